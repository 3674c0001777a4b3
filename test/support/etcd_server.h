// A real etcd 3.4 (single node) for tests, on 127.0.0.1 and free ports,
// started as its own process and stopped when destroyed (shared/TESTENV.md).
#pragma once

#include <memory>
#include <string>

#include "base/subprocess.h"
#include "dr/result.h"

namespace dr::test {

class EtcdServer {
 public:
  static Result<std::unique_ptr<EtcdServer>> Start(const std::string& dir);
  ~EtcdServer();
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(client_port_); }

 private:
  EtcdServer() = default;
  std::unique_ptr<Subprocess> etcd_;
  int client_port_ = 0;
};

}  // namespace dr::test
