// Revoking and reinstating access after a breach: a user's access to
// ecap-dr (security/access/revocations.h: every operation refused) and a
// PostgreSQL role's logins on the configured server (source/postgres/roles.h).
#pragma once

#include <string>

#include "ops/operation.h"

namespace dr::ops {

// access.revoke; access_revoked. `user` (ecap-dr) and/or `database_role`
// (PostgreSQL); at least one. A user cannot revoke itself. data: {user,
// database_role, revoked_at, by, reason, sessions_ended, database_role_could_login}.
OpResult RevokeAccess(OperationContext& ctx, const std::string& user, const std::string& database_role,
                      const std::string& reason);
// access.revoke; access_reinstated. data: {user, database_role, was_revoked}.
OpResult ReinstateAccess(OperationContext& ctx, const std::string& user, const std::string& database_role);
// audit.read. data: {revoked: [{user, revoked_at, by, reason}]}.
OpResult ListRevoked(OperationContext& ctx);

}  // namespace dr::ops
