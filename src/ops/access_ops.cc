#include "ops/access_ops.h"

#include "base/time_util.h"
#include "security/access/revocations.h"
#include "source/postgres/postgres_spec.h"
#include "source/postgres/roles.h"

namespace dr::ops {

using nlohmann::json;

OpResult RevokeAccess(OperationContext& ctx, const std::string& user, const std::string& database_role,
                      const std::string& reason) {
  Operation op(ctx, "access.revoke", user.empty() ? "role " + database_role : user);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  if (user.empty() && database_role.empty()) {
    return op.Finish(ErrorResult(InvalidArgument("name a user (ecap-dr) or a database role (PostgreSQL) to revoke")));
  }
  if (user == ctx.identity.user) {
    return op.Finish(ErrorResult(InvalidArgument("user '" + user + "' cannot revoke its own access: nobody could "
                                                 "reinstate it with ecap-dr; ask another administrator")));
  }
  json data{{"user", user}, {"database_role", database_role}, {"by", ctx.identity.user}, {"reason", reason}};
  if (!database_role.empty()) {
    auto changed = source::DisableLogin(source::ServerFromConfig(AsServedNow(ctx.config).postgresql), database_role);
    if (!changed.ok()) return op.Finish(ErrorResult(changed.status()));
    data["sessions_ended"] = changed->sessions_ended;
    data["database_role_could_login"] = changed->could_login_before;
  }
  if (!user.empty()) {
    security::Revocation r{.user = user, .revoked_at = FormatUtc(ctx.clock->Now(), false), .by = ctx.identity.user,
                           .reason = reason};
    if (Status s = security::AddRevocation(ctx.config, r); !s.ok()) return op.Finish(ErrorResult(s));
    data["revoked_at"] = r.revoked_at;
  }
  return op.Finish(OpResult{.data = data}, data, "access_revoked", data);
}

OpResult ReinstateAccess(OperationContext& ctx, const std::string& user, const std::string& database_role) {
  Operation op(ctx, "access.revoke", user.empty() ? "role " + database_role : user);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  if (user.empty() && database_role.empty()) {
    return op.Finish(ErrorResult(InvalidArgument("name a user (ecap-dr) or a database role (PostgreSQL) to reinstate")));
  }
  json data{{"user", user}, {"database_role", database_role}, {"was_revoked", false}};
  if (!database_role.empty()) {
    auto changed = source::EnableLogin(source::ServerFromConfig(AsServedNow(ctx.config).postgresql), database_role);
    if (!changed.ok()) return op.Finish(ErrorResult(changed.status()));
  }
  if (!user.empty()) {
    auto removed = security::RemoveRevocation(ctx.config, user);
    if (!removed.ok()) return op.Finish(ErrorResult(removed.status()));
    data["was_revoked"] = *removed;
  }
  return op.Finish(OpResult{.data = data}, data, "access_reinstated", data);
}

OpResult ListRevoked(OperationContext& ctx) {
  Operation op(ctx, "audit.read", "revoked users");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto list = security::ListRevocations(ctx.config);
  if (!list.ok()) return op.Finish(ErrorResult(list.status()));
  json revoked = json::array();
  for (const auto& r : *list) {
    revoked.push_back({{"user", r.user}, {"revoked_at", r.revoked_at}, {"by", r.by}, {"reason", r.reason}});
  }
  return op.Finish(OpResult{.data = {{"revoked", revoked}}});
}

}  // namespace dr::ops
