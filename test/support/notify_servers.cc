#include "test/support/notify_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "test/support/pg_server.h"

namespace dr::test {

Status WaitForPort(int port, int seconds, const std::string& what) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (true) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (up) return Status::Ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return Unavailable(what + " did not start on 127.0.0.1:" + std::to_string(port));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<std::unique_ptr<SmtpSink>> SmtpSink::Start(const std::string& dir, const std::string& user,
                                                  const std::string& password) {
  std::unique_ptr<SmtpSink> s(new SmtpSink());
  s->port_ = FreePort();
  s->maildir_ = dir + "/maildir";
  std::filesystem::create_directories(dir);
  std::vector<std::string> argv = {"/usr/bin/python3", std::string(DR_SOURCE_DIR) + "/test/servers/smtp_sink.py",
                                   "127.0.0.1", std::to_string(s->port_), s->maildir_};
  if (!user.empty()) {
    argv.push_back(user);
    argv.push_back(password);
  }
  DR_ASSIGN_OR_RETURN(s->process_, Subprocess::Start({.argv = argv, .pipe_stdout = false}));
  if (Status up = WaitForPort(s->port_, 15, "the SMTP sink (python3-aiosmtpd)"); !up.ok()) {
    return Unavailable(up.message() + ": " + s->process_->StderrTail());
  }
  return s;
}

SmtpSink::~SmtpSink() {
  if (process_) process_->Kill(SIGTERM);
}

std::vector<std::string> SmtpSink::Messages() const {
  std::vector<std::string> out;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(maildir_ + "/new", ec)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  return out;
}

Result<std::unique_ptr<AlertmanagerServer>> AlertmanagerServer::Start(const std::string& dir) {
  std::unique_ptr<AlertmanagerServer> s(new AlertmanagerServer());
  s->port_ = FreePort();
  std::filesystem::create_directories(dir + "/am-data");
  {
    // A receiver without integrations: alerts are stored and listed, nothing is sent on.
    std::ofstream conf(dir + "/am.yml");
    conf << "route: {receiver: none, group_wait: 1s, group_interval: 1s, repeat_interval: 1h}\n"
            "receivers:\n  - name: none\n";
  }
  std::string listen = "127.0.0.1:" + std::to_string(s->port_);
  DR_ASSIGN_OR_RETURN(s->process_,
                      Subprocess::Start({.argv = {"prometheus-alertmanager", "--config.file=" + dir + "/am.yml",
                                                  "--storage.path=" + dir + "/am-data",
                                                  "--web.listen-address=" + listen, "--cluster.listen-address="},
                                         .pipe_stdout = false}));
  DR_RETURN_IF_ERROR(WaitForHttp(s->url() + "/-/ready", 20, "prometheus-alertmanager", *s->process_));
  return s;
}

AlertmanagerServer::~AlertmanagerServer() {
  if (process_) process_->Kill(SIGTERM);
}

}  // namespace dr::test
