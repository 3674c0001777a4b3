// Access control (the guide's access_control section): users and roles hold
// permission patterns ("backup.create", "backup.*", "*"); a user may be given
// roles by listing "role:<name>" among its patterns. Every operation checks
// exactly one permission (kPermissions) before doing anything.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"

namespace dr::security {

// The permissions operations check; patterns may name any of them.
inline constexpr const char* kPermissions[] = {
    "backup.create",   "backup.list",     "backup.restore", "backup.verify", "backup.delete",  "backup.pin",
    "retention.apply", "report.generate", "key.rotate",     "key.check",     "audit.read",     "access.revoke",
    "dr.health",       "dr.monitor",      "dr.failover",    "dr.events",     "runbook.execute", "runbook.read",
    "repo.init",       "repo.replicate",  "wal.push",       "wal.fetch",     "s3.mirror",      "alert.test",
    "alert.list",      "schedule.list",   "schedule.run",   "status.read",   "drill.run",
};

struct Decision {
  bool allowed = false;
  std::string rule;  // what decided: "user backup_operator: backup.create", "role admin: *", ...
};

// True when pattern covers permission: "*", an exact name, or "prefix.*".
bool PatternMatches(const std::string& pattern, const std::string& permission);

class AccessControl {
 public:
  explicit AccessControl(const config::AccessControlConfig& config) : config_(config) {}
  bool enabled() const { return config_.enabled; }
  Decision Check(const std::string& user, const std::string& permission) const;

 private:
  config::AccessControlConfig config_;
};

// Who is asking: the CLI's user is the operating-system account running it;
// the HTTP API will supply its own (a token's user). Pluggable by design.
struct Identity {
  std::string user;
  std::string session;  // stable for one process or connection
  std::string source;   // "local", or the SSH client's address
};

// The identity of this process: effective OS user, a session id, and
// $SSH_CLIENT's address when logged in over SSH.
Identity ProcessIdentity();

}  // namespace dr::security
