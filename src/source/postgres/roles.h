// Turning a PostgreSQL role's logins off (a compromised account, in the
// security-breach runbook) and on again: ALTER ROLE ... NOLOGIN, and its open
// sessions ended so that it keeps nothing it had.
#pragma once

#include <string>

#include "source/postgres/client.h"

namespace dr::source {

struct LoginChange {
  bool could_login_before = false;
  int sessions_ended = 0;
};

// kNotFound for a role that does not exist; the connection's errors otherwise.
Result<LoginChange> DisableLogin(const pg::ServerTarget& server, const std::string& role);
Result<LoginChange> EnableLogin(const pg::ServerTarget& server, const std::string& role);

}  // namespace dr::source
