// `ecap-dr health`, `monitor`, `failover`, `events` and `report rto-rpo`: the DR coordinator.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/context.h"
#include "base/interrupt.h"
#include "ops/coordinator_ops.h"

namespace dr::cli {

using nlohmann::json;

namespace {

// The monitor's running commentary: one line per round, leadership change and failover.
class PrintingObserver : public coordinator::MonitorObserver {
 public:
  void OnRound(const coordinator::HealthReport& report, std::string_view role) override {
    std::string line = report.timestamp + (role.empty() ? " " : " [" + std::string(role) + "] ") + report.overall_status;
    for (const auto& s : report.services) {
      line += " " + s.name + "=" + coordinator::HealthName(s.status);
      if (s.consecutive_failures > 0) line += "(" + std::to_string(s.consecutive_failures) + ")";
    }
    fmt::print("{}\n", line);
    std::fflush(stdout);
  }
  void OnLeadership(bool leader, const std::string& id) override {
    fmt::print("{}{}\n", leader ? "leader: " : "no longer leader: ", id);
    std::fflush(stdout);
  }
  void OnFailover(const coordinator::FailoverResult& r) override {
    fmt::print("failover {}{}\n", r.status, r.error.ok() ? "" : ": " + r.error.message());
    std::fflush(stdout);
  }
  void OnWarning(const std::string& message) override { fmt::print(stderr, "ecap-dr: WARNING: {}\n", message); }
};

// Warnings still reach stderr when the commentary is off (-q).
class QuietObserver : public coordinator::MonitorObserver {
 public:
  void OnWarning(const std::string& message) override { fmt::print(stderr, "ecap-dr: WARNING: {}\n", message); }
};

struct FailoverArgs {
  coordinator::FailoverRequest request;
  bool yes = false;
};

}  // namespace

void RegisterCoordinatorCommands(CLI::App& app, CliContext& ctx) {
  auto* health = app.add_subcommand("health", "check every service of dr_coordinator once; exit 1 unless all healthy");
  health->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::Health(*op);
      // Not healthy is exit 1 with the report printed as usual, and no error line.
      return ctx.Print(r, [&] {
        fmt::print("overall: {}\n", r.data["overall_status"].get<std::string>());
        for (const auto& [name, s] : r.data["services"].items()) {
          fmt::print("  {:<20} {:<10} {:<9} {:>8.1f} ms  {}\n", name, s["type"].get<std::string>(),
                     s["last_check"].get<std::string>(), s["latency_ms"].get<double>(), s.value("error", ""));
        }
      }, {.error_line = r.data.is_null(), .human_on_failure = true});
    };
  });

  auto max_seconds = std::make_shared<double>(0);
  auto* monitor = app.add_subcommand(
      "monitor", "check the services every check_interval_seconds and fail over when auto_failover is set; "
                 "runs until SIGINT/SIGTERM");
  monitor->add_option("--max-seconds", *max_seconds, "stop after this long (default: run until stopped)");
  monitor->callback([&ctx, max_seconds] {
    ctx.run = [&ctx, max_seconds] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      InstallInterruptHandlers();
      PrintingObserver printing;
      QuietObserver quiet;
      ops::OpResult r = ops::Monitor(
          *op, {.max_seconds = *max_seconds,
                .stop = InterruptToken(),
                .observer = ctx.quiet ? static_cast<coordinator::MonitorObserver*>(&quiet) : &printing});
      if (r.ok()) return 0;
      return ctx.Print(r, [] {});
    };
  });

  auto fargs = std::make_shared<FailoverArgs>();
  auto* failover = app.add_subcommand(
      "failover", "fail the database over to its standby: fence, promote, DNS, storage, compute, verify");
  failover->add_option("--reason", fargs->request.reason, "why (kept in the event history)")->required();
  failover->add_flag("--dry-run", fargs->request.dry_run, "check every precondition and show the plan; change nothing");
  failover->add_flag("--yes", fargs->yes, "do not ask for confirmation");
  failover->add_flag("--force", fargs->request.force,
                     "fail over even when the standby is further behind than the RPO target (the event says so)");
  failover->callback([&ctx, fargs] {
    ctx.run = [&ctx, fargs] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      op->before_run = [fargs]() -> Status {
        if (fargs->request.dry_run || fargs->yes) return Status::Ok();
        if (!::isatty(STDIN_FILENO)) {
          return InvalidArgument("failover promotes the standby and cannot be undone: pass --yes, or try --dry-run first");
        }
        std::cerr << "Fail over the database to its standby (" << fargs->request.reason << ")? Type yes: ";
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "yes") return Status(Code::kCancelled, "failover not confirmed");
        return Status::Ok();
      };
      ops::OpResult r = ops::Failover(*op, fargs->request);
      auto human = [&] {
        const json& j = r.data;
        for (const auto& s : j["steps"]) {
          fmt::print("  {:<22} {:<12} {:>7.3f} s  {}\n", s["name"].get<std::string>(), s["status"].get<std::string>(),
                     s["duration_seconds"].get<double>(), s["details"].get<std::string>());
        }
        fmt::print("failover {}: {} -> {}", j["status"].get<std::string>(), j["old_primary"].get<std::string>(),
                   j["new_primary"].get<std::string>());
        if (j["rto_seconds"].get<double>() >= 0) fmt::print(", RTO {:.1f} s", j["rto_seconds"].get<double>());
        if (j["rpo_seconds"].get<double>() >= 0) fmt::print(", RPO {:.1f} s", j["rpo_seconds"].get<double>());
        fmt::print("\n");
      };
      if (r.ok() || r.data.is_null()) return ctx.Print(r, human);
      // A failover that ran and did not complete: its steps, and exit 1 whatever stopped it.
      ctx.PrintWarnings(r.warnings);
      if (!r.audit_status.ok()) {
        std::cerr << "ecap-dr: error: unable to write the audit record: " << r.audit_status.message() << std::endl;
      }
      std::cerr << "ecap-dr: error: failover " << r.data["status"].get<std::string>() << ": " << r.status.message()
                << std::endl;
      if (ctx.json_output) {
        std::cout << r.data.dump(2) << std::endl;
      } else {
        human();
      }
      return 1;
    };
  });

  auto* standby = app.add_subcommand("standby", "the database's standby after a failover: attach a rebuilt one");
  standby->require_subcommand(1);
  auto attach_to = std::make_shared<std::string>();
  auto* attach = standby->add_subcommand(
      "attach",
      "make CONNINFO the database service's standby (a failback can then fail over to it): a server rebuilt from "
      "the primary (pg_basebackup -R, or pg_rewind of the old primary), checked to be in recovery, of the primary's "
      "cluster and streaming on its timeline");
  attach->add_option("conninfo", *attach_to, "the standby's libpq conninfo (\"host=10.0.0.1 port=5432 user=... "
                                             "dbname=...\"); its password is better in ~/.pgpass")
      ->required();
  attach->callback([&ctx, attach_to] {
    ctx.run = [&ctx, attach_to] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::FailoverPart(*op, "attach_standby", *attach_to);
      return ctx.Print(r, [&] {
        const json& j = r.data;
        const int64_t lag = j.value("lag_bytes", int64_t{-1});
        fmt::print("standby of {}: {}, streaming from the primary {} on timeline {}, {}\n",
                   j.value("service", ""), j.value("standby", ""), j.value("primary", ""), j.value("timeline", 0),
                   lag < 0 ? std::string("lag unknown") : fmt::format("{} bytes behind", lag));
        if (j.contains("warning")) fmt::print(stderr, "ecap-dr: warning: {}\n", j.value("warning", ""));
      });
    };
  });

  auto limit = std::make_shared<int>(10);
  auto types = std::make_shared<std::vector<std::string>>();
  auto* events = app.add_subcommand(
      "events", "the event history, newest first: backups, restores, verifications, retention, key changes, "
                "health changes and failovers");
  events->add_option("--limit", *limit, "how many")->capture_default_str()->check(CLI::Range(1, 1000000));
  events->add_option("--type", *types, "only events of this type (backup_completed, restore_failed, failover_completed, ...); repeatable");
  events->callback([&ctx, limit, types] {
    ctx.run = [&ctx, limit, types] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::Events(*op, *limit, *types);
      return ctx.Print(r, [&] {
        for (const auto& e : r.data["events"]) {
          fmt::print("{}  {:<20} {}\n", e["timestamp"].get<std::string>(), e["event_type"].get<std::string>(),
                     e["data"].dump());
        }
      });
    };
  });
}

int ReportRtoRpo(CliContext& ctx) {
  auto op = ctx.Ops();
  if (!op.ok()) return ctx.Fail(op.status());
  ops::OpResult result = ops::RtoRpoReport(*op);
  const json* r = &result.data;
  return ctx.Print(result, [&] {
    fmt::print("targets: RTO {:.0f} s, RPO {:.0f} s; {} of {} within both\n",
               (*r)["rto_target_seconds"].get<double>(), (*r)["rpo_target_seconds"].get<double>(),
               (*r)["within_targets"].get<int>(), Count((*r)["completed"].get<uint64_t>(), "completed failover"));
    for (const auto& e : (*r)["events"]) {
      fmt::print("  {}  {:<20} RTO {:>8.1f} s {}  RPO {:>8.1f} s {}  {}\n", e["timestamp"].get<std::string>(),
                 e["event_type"].get<std::string>(), e["rto_seconds"].get<double>(),
                 e["rto_met"].get<bool>() ? "met " : "MISS", e["rpo_seconds"].get<double>(),
                 e["rpo_met"].get<bool>() ? "met " : "MISS", e["reason"].get<std::string>());
    }
  });
}

}  // namespace dr::cli
