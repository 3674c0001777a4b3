// `ecap-dr serve` (the automation daemon), `ecap-dr schedule list` and
// `ecap-dr schedule run NAME`.
//
// serve under systemd (packaging/ecap-dr.service, Type=notify): READY=1 once
// it listens and schedules, STOPPING=1 on SIGTERM, and WATCHDOG=1 every half
// watchdog interval while its own /healthz answers, so systemd restarts a
// daemon whose HTTP server hangs.
#include <signal.h>
#include <systemd/sd-daemon.h>

#include <chrono>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/interrupt.h"
#include "base/time_util.h"
#include "cli/context.h"
#include "net/http.h"
#include "ops/schedule_ops.h"
#include "server/backup_automation.h"

namespace dr::cli {
namespace {

using nlohmann::json;

// SIGTERM, SIGINT and SIGHUP are blocked in every thread and taken by sigwait
// here: the first requests a graceful stop; a second one also interrupts the
// running jobs at once (the process-wide interrupt flag they poll).
void WaitForSignals(std::stop_source& stop, std::stop_token done) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  int received = 0;
  while (!done.stop_requested()) {
    timespec tick{0, 200 * 1000 * 1000};
    int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig <= 0) continue;
    if (++received == 1) {
      std::cerr << "ecap-dr serve: " << strsignal(sig) << ": stopping (again to cancel running jobs)" << std::endl;
      sd_notify(0, "STOPPING=1");
      stop.request_stop();
    } else {
      std::cerr << "ecap-dr serve: " << strsignal(sig) << ": cancelling running jobs" << std::endl;
      RequestInterrupt();
    }
  }
}

// Pings systemd's watchdog while the daemon's own /healthz answers.
void Watchdog(int port, std::stop_token done) {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  auto every = std::chrono::microseconds(usec / 2);
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  while (RealClock().SleepFor(every, done)) {
    auto reply = net::HttpRequest("GET", url, "", static_cast<long>(usec / 4000));
    if (reply.ok() && reply->status == 200) sd_notify(0, "WATCHDOG=1");
  }
}

int Serve(CliContext& ctx, const std::string& listen) {
  auto config = ctx.LoadConfig();
  if (!config.ok()) return ctx.Fail(config.status());
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread starts: they inherit the mask

  std::stop_source stop, done;
  std::jthread signals([&] { WaitForSignals(stop, done.get_token()); });
  std::jthread watchdog;
  server::AutomationOptions options;
  options.listen = listen;
  options.identity = ctx.identity;
  options.identity.source = "scheduler";
  options.log = [](const std::string& line) { std::cerr << "ecap-dr serve: " << line << std::endl; };
  options.on_ready = [&](int port) {
    sd_notify(0, "READY=1");
    watchdog = std::jthread([&done, port] { Watchdog(port, done.get_token()); });
  };
  server::BackupAutomation automation(*config, options);
  Status s = automation.Start(stop.get_token());
  done.request_stop();
  if (!s.ok()) return ctx.Fail(s);
  return 0;
}

std::string Local(const json& run, const char* field) {
  if (!run.is_object() || !run.contains(field) || !run[field].is_string()) return "-";
  return run[field].get<std::string>();
}

void PrintSchedules(const json& data) {
  fmt::print("time zone: {}\n", data.value("timezone", ""));
  fmt::print("{:<18} {:<11} {:<24} {:<25} {:<10} {}\n", "JOB", "ACTION", "SCHEDULE", "NEXT RUN", "LAST", "LAST SUCCESS");
  for (const auto& j : data["jobs"]) {
    std::string next = j["next_runs"].empty() ? "-" : j["next_runs"][0]["local"].get<std::string>();
    std::string last = j["running"].get<bool>() ? "running" : j["last_run"].is_null() ? "never" : Local(j["last_run"], "outcome");
    fmt::print("{:<18} {:<11} {:<24} {:<25} {:<10} {}\n", j["name"].get<std::string>(), j["action"].get<std::string>(),
               j["schedule"].get<std::string>(), next, last, Local(j["last_success"], "finished"));
  }
}

}  // namespace

void RegisterServeCommands(CLI::App& app, CliContext& ctx) {
  auto listen = std::make_shared<std::string>();
  auto* serve = app.add_subcommand(
      "serve", "run the automation daemon: scheduled jobs (automation.jobs), /metrics, /healthz, /readyz and "
               "/api/v1 until SIGTERM");
  serve->add_option("--listen", *listen, "host:port to serve on (default: automation.listen)");
  serve->callback([&ctx, listen] { ctx.run = [&ctx, listen] { return Serve(ctx, *listen); }; });

  auto* schedule = app.add_subcommand("schedule", "the scheduled jobs of `serve`");
  schedule->require_subcommand(1);
  auto* list = schedule->add_subcommand("list", "every job: schedule, next runs, last run and last success");
  list->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::ScheduleList(*op);
      return ctx.Print(r, [&] { PrintSchedules(r.data); });
    };
  });
  auto name = std::make_shared<std::string>();
  auto* run = schedule->add_subcommand("run", "run one job now, exactly as the daemon would, and record the run");
  run->add_option("name", *name, "the job (automation.jobs[].name)")->required();
  run->callback([&ctx, name] {
    ctx.run = [&ctx, name] {
      InstallInterruptHandlers();
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      op->stop = InterruptToken();
      ops::OpResult r = ops::ScheduleRun(*op, *name);
      return ctx.Print(r, [&] {
        fmt::print("job {}: {} after {} attempt(s) in {:.1f} s\n", *name, r.data.value("outcome", ""),
                   r.data.value("attempts", 0), r.data.value("duration_seconds", 0.0));
      });
    };
  });
}

}  // namespace dr::cli
