// `ecap-dr health`, `monitor`, `failover`, `events` and `report rto-rpo`: the DR coordinator.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/context.h"
#include "base/interrupt.h"
#include "coordinator/coordinator.h"

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
    fmt::print("failover {}{}\n", r.status, r.error.empty() ? "" : ": " + r.error);
    std::fflush(stdout);
  }
  void OnWarning(const std::string& message) override { fmt::print(stderr, "ecap-dr: WARNING: {}\n", message); }
};

// Warnings still reach stderr when the commentary is off (-q).
class QuietObserver : public coordinator::MonitorObserver {
 public:
  void OnWarning(const std::string& message) override { fmt::print(stderr, "ecap-dr: WARNING: {}\n", message); }
};

Result<std::unique_ptr<coordinator::DisasterRecoveryCoordinator>> NewCoordinator(CliContext& ctx) {
  DR_ASSIGN_OR_RETURN(config::Config config, ctx.LoadConfig());
  if (!config.coordinator_configured) {
    return ConfigError("the configuration (" + config.source + ") has no dr_coordinator section");
  }
  return std::make_unique<coordinator::DisasterRecoveryCoordinator>(std::move(config));
}

struct FailoverArgs {
  coordinator::FailoverRequest request;
  bool yes = false;
};

}  // namespace

void RegisterCoordinatorCommands(CLI::App& app, CliContext& ctx) {
  auto* health = app.add_subcommand("health", "check every service of dr_coordinator once; exit 1 unless all healthy");
  health->callback([&ctx] {
    ctx.run = [&ctx] {
      if (Status denied = ctx.Authorize("dr.health", ""); !denied.ok()) return ctx.Fail(denied);
      auto c = NewCoordinator(ctx);
      if (!c.ok()) return ctx.Fail(c.status());
      auto report = (*c)->CheckHealth();
      if (!report.ok()) return ctx.Fail(report.status());
      if (Status logged = ctx.Outcome(Status::Ok(), {{"overall_status", report->overall_status}}); !logged.ok()) {
        return ctx.Fail(logged);
      }
      int rc = report->overall_status == "healthy" ? 0 : 1;
      ctx.Succeed(report->ToJson(), [&] {
        fmt::print("overall: {}\n", report->overall_status);
        for (const auto& s : report->services) {
          fmt::print("  {:<20} {:<10} {:<9} {:>8.1f} ms  {}\n", s.name, s.type, coordinator::HealthName(s.last_check),
                     s.latency_ms, s.error);
        }
      });
      return rc;
    };
  });

  auto max_seconds = std::make_shared<double>(0);
  auto* monitor = app.add_subcommand(
      "monitor", "check the services every check_interval_seconds and fail over when auto_failover is set; "
                 "runs until SIGINT/SIGTERM");
  monitor->add_option("--max-seconds", *max_seconds, "stop after this long (default: run until stopped)");
  monitor->callback([&ctx, max_seconds] {
    ctx.run = [&ctx, max_seconds] {
      if (Status denied = ctx.Authorize("dr.monitor", ""); !denied.ok()) return ctx.Fail(denied);
      auto c = NewCoordinator(ctx);
      if (!c.ok()) return ctx.Fail(c.status());
      InstallInterruptHandlers();
      PrintingObserver printing;
      QuietObserver quiet;
      Status s = (*c)->Monitor({.max_seconds = *max_seconds,
                                .stop = InterruptToken(),
                                .observer = ctx.quiet ? static_cast<coordinator::MonitorObserver*>(&quiet) : &printing});
      if (Status logged = ctx.Outcome(s); !logged.ok()) return ctx.Fail(logged);
      if (!s.ok()) return ctx.Fail(s);
      return 0;
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
      if (Status denied = ctx.Authorize("dr.failover", fargs->request.reason); !denied.ok()) return ctx.Fail(denied);
      if (!fargs->request.dry_run && !fargs->yes) {
        if (!::isatty(STDIN_FILENO)) {
          return ctx.Fail(InvalidArgument("failover promotes the standby and cannot be undone: pass --yes, or try "
                                          "--dry-run first"));
        }
        std::cerr << "Fail over the database to its standby (" << fargs->request.reason << ")? Type yes: ";
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "yes") return ctx.Fail(Status(Code::kCancelled, "failover not confirmed"));
      }
      auto c = NewCoordinator(ctx);
      if (!c.ok()) return ctx.Fail(c.status());
      auto r = (*c)->Failover(fargs->request);
      Status outcome = r.success ? Status::Ok() : Failed(r.error);
      if (Status logged = ctx.Outcome(outcome, {{"status", r.status}, {"rto_seconds", r.rto_seconds}}); !logged.ok()) {
        return ctx.Fail(logged);
      }
      auto human = [&] {
        for (const auto& s : r.steps) {
          fmt::print("  {:<22} {:<12} {:>7.3f} s  {}\n", s.name, s.status, s.duration_seconds, s.details);
        }
        fmt::print("failover {}: {} -> {}", r.status, r.old_primary, r.new_primary);
        if (r.rto_seconds >= 0) fmt::print(", RTO {:.1f} s", r.rto_seconds);
        if (r.rpo_seconds >= 0) fmt::print(", RPO {:.1f} s", r.rpo_seconds);
        fmt::print("\n");
      };
      if (!r.success) {
        std::cerr << "ecap-dr: error: failover " << r.status << ": " << r.error << std::endl;
        if (ctx.json_output) {
          std::cout << r.ToJson().dump(2) << std::endl;
        } else {
          human();
        }
        return 1;
      }
      return ctx.Succeed(r.ToJson(), human);
    };
  });

  auto limit = std::make_shared<int>(10);
  auto types = std::make_shared<std::vector<std::string>>();
  auto* events = app.add_subcommand("events", "the coordinator's event history, newest first");
  events->add_option("--limit", *limit, "how many")->capture_default_str()->check(CLI::Range(1, 1000000));
  events->add_option("--type", *types, "only events of this type (health_changed, failover_completed, ...)");
  events->callback([&ctx, limit, types] {
    ctx.run = [&ctx, limit, types] {
      if (Status denied = ctx.Authorize("dr.events", ""); !denied.ok()) return ctx.Fail(denied);
      auto c = NewCoordinator(ctx);
      if (!c.ok()) return ctx.Fail(c.status());
      auto list = (*c)->Events(*limit, *types);
      if (!list.ok()) return ctx.Fail(list.status());
      json j = json::array();
      for (const auto& e : *list) j.push_back(e.ToJson());
      if (Status logged = ctx.Outcome(Status::Ok(), {{"events", list->size()}}); !logged.ok()) return ctx.Fail(logged);
      return ctx.Succeed(json{{"events", j}}, [&] {
        for (const auto& e : *list) fmt::print("{}  {:<20} {}\n", e.timestamp, e.event_type, e.data.dump());
      });
    };
  });
}

int ReportRtoRpo(CliContext& ctx) {
  if (Status denied = ctx.Authorize("report.generate", "rto-rpo"); !denied.ok()) return ctx.Fail(denied);
  auto c = NewCoordinator(ctx);
  if (!c.ok()) return ctx.Fail(c.status());
  auto r = (*c)->RtoRpoReport();
  if (!r.ok()) return ctx.Fail(r.status());
  if (Status logged = ctx.Outcome(Status::Ok()); !logged.ok()) return ctx.Fail(logged);
  return ctx.Succeed(*r, [&] {
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
