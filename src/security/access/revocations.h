// Users whose access was revoked (a security breach's isolation: the
// security_breach runbook's revoke_access step, or `ecap-dr access revoke`).
// Every operation a revoked user asks for is denied, whatever access_control
// grants and also when it is disabled, until the user is reinstated. The
// list is JSON in the state directory (beside the event history), written
// atomically; a user cannot revoke itself (nobody would be left to undo it
// with the CLI; the file can always be edited by its owner).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "security/access/access_control.h"
#include "dr/clock.h"
#include "dr/result.h"

namespace dr::security {

struct Revocation {
  std::string user;
  std::string revoked_at;  // UTC
  std::string by;          // who revoked it
  std::string reason;
};

// <state directory>/revoked_users.json; "" when the configuration has no
// state directory (neither dr_coordinator.state_dir nor audit.log_file).
std::string RevocationsPath(const config::Config& config);

// The revocation of `user`, if any. An unreadable or damaged list is an error
// (kCorrupt naming the file): the operation is then denied, not allowed.
Result<std::optional<Revocation>> FindRevocation(const config::Config& config, const std::string& user);
// All revocations, oldest first.
Result<std::vector<Revocation>> ListRevocations(const config::Config& config);
// Adds (or replaces) the revocation of r.user. kConfig without a state directory.
Status AddRevocation(const config::Config& config, const Revocation& r);
// Removes it; returns whether there was one.
Result<bool> RemoveRevocation(const config::Config& config, const std::string& user);

// The whole decision for `user` and `permission`, as every operation takes it
// and `access check` shows it: a revoked user is refused before access control
// is asked (also when it is disabled); so is everyone when the list cannot be read.
Decision DecideWithRevocations(const config::Config& config, const std::string& user, const std::string& permission);

}  // namespace dr::security
