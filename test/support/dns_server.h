// A real BIND 9 name server for tests: zone platform.test with dynamic updates
// allowed to one TSIG key, on 127.0.0.1 and a free port, started by `named -g`
// as its own process (shared/TESTENV.md) and stopped when destroyed.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/subprocess.h"
#include "dr/result.h"

namespace dr::test {

class DnsServer {
 public:
  // records: name (relative to the zone) -> IPv4 address.
  static Result<std::unique_ptr<DnsServer>> Start(const std::string& dir, const std::map<std::string, std::string>& records);
  ~DnsServer();
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& key_file() const { return key_file_; }
  static constexpr const char* kZone = "platform.test";

 private:
  DnsServer() = default;
  std::unique_ptr<Subprocess> named_;
  int port_ = 0;
  std::string key_file_;
};

}  // namespace dr::test
