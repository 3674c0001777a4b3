// `ecap-dr access check|revoke|reinstate|revoked`, `audit show|verify|rotate`, `key check|rotate`.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/context.h"
#include "ops/access_ops.h"
#include "ops/audit_ops.h"
#include "ops/backup_ops.h"
#include "security/access/revocations.h"

namespace dr::cli {

using nlohmann::json;

namespace {

struct GovArgs {
  std::string permission;
  std::string user;
  std::string since;
  std::string audit_user;
  std::string revoke_user;
  std::string database_role;
  std::string reason;
};

}  // namespace

void RegisterGovernanceCommands(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<GovArgs>();

  auto* access = app.add_subcommand("access", "access control");
  access->require_subcommand(1);
  auto* check = access->add_subcommand("check", "is a permission allowed, and which rule decides");
  check->add_option("permission", args->permission, "e.g. backup.create")->required();
  check->add_option("--user", args->user, "ask for another user (default: you)");
  check->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto cfg = ctx.LoadConfig();
      if (!cfg.ok()) return ctx.Fail(cfg.status());
      std::string user = args->user.empty() ? ctx.identity.user : args->user;
      auto d = security::DecideWithRevocations(*cfg, user, args->permission);
      json j{{"user", user}, {"permission", args->permission}, {"allowed", d.allowed}, {"rule", d.rule}};
      if (ctx.json_output) {
        std::cout << j.dump(2) << std::endl;
      } else {
        fmt::print("{}: {} for user {} ({})\n", args->permission, d.allowed ? "allowed" : "denied", user, d.rule);
      }
      return d.allowed ? 0 : InfoOf(Code::kPermissionDenied).exit_code;
    };
  });

  auto* revoke = access->add_subcommand(
      "revoke", "after a breach: refuse every operation of a user (whatever access_control grants) and/or turn a "
                "PostgreSQL role's logins off, ending its sessions");
  revoke->add_option("user", args->revoke_user, "the ecap-dr user (an OS account, or an API token's user)");
  revoke->add_option("--database-role", args->database_role, "a role of the configured PostgreSQL server: NOLOGIN");
  revoke->add_option("--reason", args->reason, "recorded with the revocation");
  revoke->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::RevokeAccess(*op, args->revoke_user, args->database_role, args->reason);
      return ctx.Print(r, [&] {
        if (!args->revoke_user.empty()) fmt::print("access of user {} revoked\n", args->revoke_user);
        if (!args->database_role.empty()) {
          fmt::print("PostgreSQL role {}: logins off, {} session(s) ended\n", args->database_role,
                     r.data.value("sessions_ended", 0));
        }
      });
    };
  });
  auto* reinstate = access->add_subcommand("reinstate", "undo a revocation: the user's operations and/or the role's logins");
  reinstate->add_option("user", args->revoke_user, "the ecap-dr user");
  reinstate->add_option("--database-role", args->database_role, "a role of the configured PostgreSQL server: LOGIN");
  reinstate->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::ReinstateAccess(*op, args->revoke_user, args->database_role);
      return ctx.Print(r, [&] {
        if (!args->revoke_user.empty()) {
          fmt::print("user {} {}\n", args->revoke_user,
                     r.data.value("was_revoked", false) ? "reinstated" : "was not revoked: nothing to do");
        }
        if (!args->database_role.empty()) fmt::print("PostgreSQL role {}: logins on\n", args->database_role);
      });
    };
  });
  auto* revoked = access->add_subcommand("revoked", "the users whose access is revoked");
  revoked->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::ListRevoked(*op);
      return ctx.Print(r, [&] {
        if (r.data["revoked"].empty()) fmt::print("no user's access is revoked\n");
        for (const auto& u : r.data["revoked"]) {
          fmt::print("{:<16} revoked {} by {}{}\n", u.value("user", ""), u.value("revoked_at", ""), u.value("by", ""),
                     u.value("reason", "").empty() ? "" : ": " + u.value("reason", ""));
        }
      });
    };
  });

  auto* audit = app.add_subcommand("audit", "the audit trail");
  audit->require_subcommand(1);
  auto* show = audit->add_subcommand("show", "print audit records, oldest first");
  show->add_option("--since", args->since, "only records newer than 30m, 24h, 7d, or a UTC time");
  show->add_option("--user", args->audit_user, "only this user's records");
  show->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::AuditShow(*op, args->since, args->audit_user);
      return ctx.Print(r, [&] {
        for (const auto& rec : r.data["records"]) {
          fmt::print("{} {:<10} {:<16} {:<8} {} {}\n", rec.value("time", ""), rec.value("user", ""),
                     rec.value("operation", ""), rec.value("result", ""), rec.value("target", ""),
                     rec.value("source", "") == "local" ? "" : "from " + rec.value("source", ""));
        }
      });
    };
  });
  auto* verify = audit->add_subcommand("verify", "check the hash chain: any edited, deleted, inserted, reordered or "
                                                 "truncated record is found and named");
  verify->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::AuditVerify(*op);
      return ctx.Print(r, [&] {
        fmt::print("audit log {} is intact: {} in {}\n", r.data["path"].get<std::string>(),
                   Count(r.data["records"].get<uint64_t>(), "record"), Count(r.data["files"].size(), "file"));
      });
    };
  });
  auto* rotate = audit->add_subcommand("rotate", "move the log to <log>.1 and start a new file; the chain continues");
  rotate->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::AuditRotate(*op);
      return ctx.Print(r, [&] { fmt::print("rotated {}\n", r.data["path"].get<std::string>()); });
    };
  });

  auto* key = app.get_subcommand("key");
  auto* kcheck = key->add_subcommand("check", "is the encryption key available: its source, id, age and file mode");
  kcheck->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::KeyCheck(*op);
      return ctx.Print(r, [&] {
        const json& j = r.data;
        if (!j["encryption_enabled"].get<bool>()) {
          fmt::print("Encryption is DISABLED: backups are not encrypted\n");
          return;
        }
        fmt::print("Encryption key available: true\n  source: {}\n  key id: {}\n", j.value("key_source", ""),
                   j.value("key_id", ""));
        if (j.contains("key_age_days")) {
          fmt::print("  created: {} ({:.0f} days ago; rotate quarterly)\n", j.value("key_created", ""),
                     j["key_age_days"].get<double>());
        }
        if (j.contains("key_file_mode")) {
          fmt::print("  key file mode: {}{}\n", j.value("key_file_mode", ""),
                     j.value("key_file_private", false) ? "" : "  WARNING: readable by others, use 0600");
        }
      });
    };
  });
  auto* krotate = key->add_subcommand("rotate", "replace the master key; every backup stays restorable with the new "
                                                "key alone, the old key stops working");
  krotate->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::KeyRotate(*op);
      return ctx.Print(r, [&] {
        fmt::print("rotated the master key: {} -> {} (written to {})\n", r.data["old_key_id"].get<std::string>(),
                   r.data["new_key_id"].get<std::string>(), r.data["key_file"].get<std::string>());
        fmt::print("update every copy of the key kept outside the backup location\n");
      });
    };
  });
}

}  // namespace dr::cli
