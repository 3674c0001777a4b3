// `ecap-dr access check`, `audit show|verify|rotate`, `key check|rotate`.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/time_util.h"
#include "cli/context.h"
#include "security/audit/audit_log.h"

namespace dr::cli {

using nlohmann::json;

namespace {

struct GovArgs {
  std::string permission;
  std::string user;
  std::string since;
  std::string audit_user;
};

// "24h", "7d", "30m" before now, or an ISO time as it is.
Result<std::string> SinceToIso(const std::string& since) {
  if (since.empty()) return std::string();
  char unit = since.back();
  if (unit == 'h' || unit == 'd' || unit == 'm') {
    try {
      long n = std::stol(since.substr(0, since.size() - 1));
      long secs = n * (unit == 'h' ? 3600 : unit == 'd' ? 86400 : 60);
      return FormatUtc(std::chrono::system_clock::now() - std::chrono::seconds(secs), true);
    } catch (const std::exception&) {
    }
  }
  if (ParseUtc(since)) return since;
  return InvalidArgument("--since '" + since + "': give a duration (30m, 24h, 7d) or a UTC time (2026-11-26T10:41:00Z)");
}

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
      auto d = security::AccessControl(cfg->access_control).Check(user, args->permission);
      json j{{"user", user}, {"permission", args->permission}, {"allowed", d.allowed}, {"rule", d.rule}};
      if (ctx.json_output) {
        std::cout << j.dump(2) << std::endl;
      } else {
        fmt::print("{}: {} for user {} ({})\n", args->permission, d.allowed ? "allowed" : "denied", user, d.rule);
      }
      return d.allowed ? 0 : InfoOf(Code::kPermissionDenied).exit_code;
    };
  });

  auto* audit = app.add_subcommand("audit", "the audit trail");
  audit->require_subcommand(1);
  auto* show = audit->add_subcommand("show", "print audit records, oldest first");
  show->add_option("--since", args->since, "only records newer than 30m, 24h, 7d, or a UTC time");
  show->add_option("--user", args->audit_user, "only this user's records");
  show->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      if (Status denied = ctx.Authorize("audit.read", ""); !denied.ok()) return ctx.Fail(denied);
      auto since = SinceToIso(args->since);
      if (!since.ok()) return ctx.Fail(since.status());
      auto cfg = ctx.LoadConfig();
      security::AuditLog log(cfg->audit.log_file);
      if (!log.enabled()) return ctx.Fail(ConfigError("no audit log: set audit.log_file"));
      auto records = log.Read(*since, args->audit_user);
      if (!records.ok()) return ctx.Fail(records.status());
      return ctx.Succeed(json{{"records", *records}}, [&] {
        for (const auto& r : *records) {
          fmt::print("{} {:<10} {:<16} {:<8} {} {}\n", r.value("time", ""), r.value("user", ""),
                     r.value("operation", ""), r.value("result", ""), r.value("target", ""),
                     r.value("source", "") == "local" ? "" : "from " + r.value("source", ""));
        }
      });
    };
  });
  auto* verify = audit->add_subcommand("verify", "check the hash chain: any edited, deleted, inserted, reordered or "
                                                 "truncated record is found and named");
  verify->callback([&ctx] {
    ctx.run = [&ctx] {
      if (Status denied = ctx.Authorize("audit.read", ""); !denied.ok()) return ctx.Fail(denied);
      auto cfg = ctx.LoadConfig();
      security::AuditLog log(cfg->audit.log_file);
      if (!log.enabled()) return ctx.Fail(ConfigError("no audit log: set audit.log_file"));
      auto r = log.Verify();
      if (!r.ok) return ctx.Fail(Corrupt("audit log " + log.path() + " is not intact: " + r.problem));
      return ctx.Succeed(r.ToJson(), [&] {
        fmt::print("audit log {} is intact: {} in {}\n", log.path(), Count(r.records, "record"), Count(r.files.size(), "file"));
      });
    };
  });
  auto* rotate = audit->add_subcommand("rotate", "move the log to <log>.1 and start a new file; the chain continues");
  rotate->callback([&ctx] {
    ctx.run = [&ctx] {
      if (Status denied = ctx.Authorize("audit.read", ""); !denied.ok()) return ctx.Fail(denied);
      auto cfg = ctx.LoadConfig();
      security::AuditLog log(cfg->audit.log_file);
      if (!log.enabled()) return ctx.Fail(ConfigError("no audit log: set audit.log_file"));
      if (Status s = log.Rotate(); !s.ok()) return ctx.Fail(s);
      return ctx.Succeed(json{{"status", "completed"}}, [&] { fmt::print("rotated {}\n", log.path()); });
    };
  });

  auto* key = app.get_subcommand("key");
  auto* kcheck = key->add_subcommand("check", "is the encryption key available: its source, id, age and file mode");
  kcheck->callback([&ctx] {
    ctx.run = [&ctx] {
      if (Status denied = ctx.Authorize("key.check", ""); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      auto r = (*manager)->KeyCheck();
      if (!r.ok()) return ctx.Fail(r.status());
      if ((*r)["status"] == "failed") return ctx.Fail(ConfigError((*r)["error"].get<std::string>()));
      return ctx.Succeed(*r, [&] {
        const json& j = *r;
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
      if (Status denied = ctx.Authorize("key.rotate", ""); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      auto r = (*manager)->KeyRotate();
      if (!r.ok()) return ctx.Fail(r.status());
      return ctx.Succeed(*r, [&] {
        fmt::print("rotated the master key: {} -> {} (written to {})\n", (*r)["old_key_id"].get<std::string>(),
                   (*r)["new_key_id"].get<std::string>(), (*r)["key_file"].get<std::string>());
        fmt::print("update every copy of the key kept outside the backup location\n");
      });
    };
  });
}

}  // namespace dr::cli
