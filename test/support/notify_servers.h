// The receivers of the notification tests, started on 127.0.0.1 and free
// ports as their own processes and stopped when destroyed
// (shared/TESTENV.md): an SMTP sink (aiosmtpd, test/servers/smtp_sink.py)
// that may require AUTH, and a real Prometheus Alertmanager.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/subprocess.h"
#include "dr/result.h"

namespace dr::test {

class SmtpSink {
 public:
  // With user and password, AUTH is required.
  static Result<std::unique_ptr<SmtpSink>> Start(const std::string& dir, const std::string& user = "",
                                                 const std::string& password = "");
  ~SmtpSink();
  int port() const { return port_; }
  // The messages received so far, each as the file aiosmtpd wrote.
  std::vector<std::string> Messages() const;

 private:
  SmtpSink() = default;
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
  std::string maildir_;
};

class AlertmanagerServer {
 public:
  static Result<std::unique_ptr<AlertmanagerServer>> Start(const std::string& dir);
  ~AlertmanagerServer();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  AlertmanagerServer() = default;
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
};

// Waits (up to `seconds`) until something accepts TCP connections on 127.0.0.1:port.
Status WaitForPort(int port, int seconds, const std::string& what);

}  // namespace dr::test
