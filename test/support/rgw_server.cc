#include "test/support/rgw_server.h"

#include "base/encoding.h"
#include "base/subprocess.h"
#include "test/support/pg_server.h"

namespace dr::test {

Result<std::unique_ptr<RgwServer>> RgwServer::Start(const std::string& dir) {
  std::string script = std::string(DR_SOURCE_DIR) + "/test/servers/radosgw.sh";
  // Eleven consecutive ports from a free one; try a few bases in case one is taken.
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    int base = FreePort();
    if (base > 65000) continue;
    auto out = RunCommand({.argv = {script, "start", dir, std::to_string(base)}});
    if (out.ok()) {
      std::unique_ptr<RgwServer> s(new RgwServer());
      s->dir_ = dir;
      std::string line(TrimWhitespace(*out));
      s->endpoint_ = line.substr(line.rfind('=') + 1);
      return s;
    }
    last = out.status();
  }
  return last.WithContext("unable to start radosgw");
}

RgwServer::~RgwServer() {
  std::string script = std::string(DR_SOURCE_DIR) + "/test/servers/radosgw.sh";
  (void)RunCommand({.argv = {script, "stop", dir_}});
}

}  // namespace dr::test
