// A real S3 server (Ceph radosgw) for a whole test run: started once by a
// gtest Environment through test/servers/radosgw.sh, stopped at the end.
#pragma once

#include <memory>
#include <string>

#include "dr/result.h"

namespace dr::test {

class RgwServer {
 public:
  static Result<std::unique_ptr<RgwServer>> Start(const std::string& dir);
  ~RgwServer();
  const std::string& endpoint() const { return endpoint_; }
  // radosgw-admin for this cluster, for faults a client cannot make (a bucket removed with its objects).
  std::string admin_command() const { return "radosgw-admin -c " + dir_ + "/ceph.conf"; }
  static constexpr const char* kAccessKey = "TESTKEY";
  static constexpr const char* kSecretKey = "TESTSECRET";

 private:
  std::string dir_;
  std::string endpoint_;
};

}  // namespace dr::test
