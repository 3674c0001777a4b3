#include "server/backup_automation.h"

#include <httplib.h>

#include <mutex>
#include <set>
#include <thread>

#include "automation/alert_rules.h"
#include "automation/daemon_metrics.h"
#include "automation/notify/notifier.h"
#include "automation/notify/repeat_gate.h"
#include "backup/backup_manager.h"
#include "events/event_store.h"
#include "ops/alert_inputs.h"
#include "ops/backup_ops.h"
#include "ops/schedule_ops.h"

namespace dr::server {
namespace {

using nlohmann::json;

// "127.0.0.1:9187", "[::1]:9187", ":9187" -> host, port.
Result<std::pair<std::string, int>> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return ConfigError("automation.listen: expected host:port, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) return ConfigError("automation.listen: '" + listen + "' has no valid port");
  return std::pair{host, port};
}

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(2) + "\n", "application/json");
}

}  // namespace

struct BackupAutomation::State {
  config::Config config;
  AutomationOptions options;
};

BackupAutomation::BackupAutomation(config::Config config, AutomationOptions options)
    : state_(std::make_unique<State>(State{std::move(config), std::move(options)})) {}

BackupAutomation::~BackupAutomation() = default;

Status BackupAutomation::Start(std::stop_token stop) {
  const config::Config& config = state_->config;
  AutomationOptions& options = state_->options;
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };

  // Jobs run as this identity, emitting to the one event history.
  ops::OperationContext ctx;
  ctx.config = config;
  ctx.identity = options.identity;
  ctx.clock = options.clock;
  std::string history = events::HistoryPath(config);
  events::LazyStoreSink sink(history, *options.clock);
  ctx.events = history.empty() ? nullptr : &sink;

  DR_ASSIGN_OR_RETURN(auto setup, ops::SetUpScheduler(ctx));
  DR_ASSIGN_OR_RETURN(auto where, ParseListen(options.listen.empty() ? config.automation.listen : options.listen));

  // Metrics: every series from start, rebuilt from the job state and the repository's listing.
  automation::DaemonMetrics metrics(setup.jobs, automation::BackedUpComponents(config, setup.jobs), *options.clock);
  if (Status s = metrics.Restore(*setup.store); !s.ok()) log("metrics: " + s.message());
  if (ops::OpResult listing = ops::ListBackups(ctx); listing.ok()) {
    metrics.ObserveListing(listing.data);
  } else {
    log("metrics: the repository's backups could not be listed: " + listing.status.message());
  }
  metrics.SetRepositoryFreeBytes(ops::RepositoryFreeBytes(config.repository));
  metrics.ObserveConfig(config);

  // Alerts: the rules after every run and every minute; what changed goes to
  // the channels (each its own queue), repeats held back until repeat_interval.
  std::unique_ptr<automation::notify::Notifier> notifier;
  if (auto channels = automation::notify::NewChannels(config.alerting); !channels.ok()) {
    log("alerts: " + channels.status().message() + "; alerts are evaluated but not sent");
  } else if (!channels->empty()) {
    automation::notify::NotifierOptions nopts;
    nopts.clock = options.clock;
    nopts.log = log;
    notifier = std::make_unique<automation::notify::Notifier>(std::move(*channels), nopts);
  }
  std::mutex alerts_mu;
  automation::AlertTracker tracker;
  automation::notify::RepeatGate gate(config.alerting.RepeatInterval());
  automation::Scheduler* scheduler_ptr = nullptr;
  // Health checks, the WAL archive, the history: at most once a minute, never per scrape.
  ops::AlertInputsGatherer gatherer(ctx, std::chrono::minutes(1));
  auto evaluate = [&] {
    if (scheduler_ptr == nullptr) return;
    auto statuses = scheduler_ptr->Statuses();
    if (!statuses.ok()) return log("alerts: " + statuses.status().message());
    std::vector<std::string> warnings;
    ops::GatheredInputs gathered = gatherer.Get(&warnings);
    for (const auto& w : warnings) log("alerts: " + w);
    metrics.ObserveInputs(gathered.inputs);
    automation::AlertInputs& in = gathered.inputs;
    automation::TimePoint now = in.now;
    in.jobs = *statuses;
    in.components = metrics.Components();
    std::lock_guard lock(alerts_mu);
    auto changed = gate.Filter(tracker.Update(automation::EvaluateRules(config.alerting.rules, in), now), now);
    for (const auto& a : changed) {
      log(std::string("alert ") + automation::notify::StateName(a.state) + ": " + a.name + " " +
          a.annotations.at("summary"));
    }
    if (!changed.empty() && notifier) notifier->Send(automation::notify::MakeNotification(changed, now));
  };

  // The scheduler's observer: metrics, then the log.
  struct Observer : automation::SchedulerObserver {
    automation::DaemonMetrics* metrics;
    std::function<void(const std::string&)> log;
    std::function<void()> evaluate;
    const config::RepositoryLocation* repo;
    ops::OperationContext* ctx;
    void RunStarted(const automation::Job& j, const automation::JobRun& r) override { metrics->RunStarted(j, r); }
    void RunFinished(const automation::Job& j, const automation::JobRun& r) override {
      metrics->RunFinished(j, r);
      metrics->SetRepositoryFreeBytes(ops::RepositoryFreeBytes(*repo));
      // A backup or retention changed the repository's backups: list them again
      // (summaries only, once per run; a scrape never does this).
      if (j.config.action == "backup" || j.config.action == "retention") {
        ops::OperationContext listing_ctx = *ctx;
        if (ops::OpResult listing = ops::ListBackups(listing_ctx); listing.ok()) metrics->ObserveListing(listing.data);
      }
      evaluate();
    }
    void Log(const std::string& line) override { log(line); }
  } observer;
  observer.metrics = &metrics;
  observer.log = log;
  observer.repo = &config.repository;
  observer.ctx = &ctx;
  observer.evaluate = evaluate;
  automation::Scheduler scheduler(std::move(setup.jobs), *setup.store, ops::JobRunner(ctx), setup.options, &observer);
  scheduler_ptr = &scheduler;
  if (auto statuses = scheduler.Statuses(); statuses.ok()) metrics.ObserveStatuses(*statuses);

  httplib::Server http;
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, {{"status", "ok"}});
  });
  http.Get("/readyz", [&](const httplib::Request&, httplib::Response& res) {
    // Reachable: the repository's config object can be read (one stat or HEAD; no listing).
    auto backend = backup::OpenBackend(config.repository);
    Status s = backend.ok() ? (*backend)->Stat({ObjectKind::kConfig, "config"}).status() : backend.status();
    if (s.ok()) return SendJson(res, 200, {{"status", "ready"}, {"repository", config.repository.Describe()}});
    SendJson(res, 503, {{"status", "not_ready"}, {"repository", config.repository.Describe()},
                        {"error", {{"code", s.code_name()}, {"message", s.message()}}}});
  });
  http.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Get("/api/v1/schedules", [&](const httplib::Request&, httplib::Response& res) {
    auto statuses = scheduler.Statuses();
    if (!statuses.ok()) {
      return SendJson(res, 500, {{"error", {{"code", statuses.status().code_name()}, {"message", statuses.status().message()}}}});
    }
    json jobs = json::array();
    for (const auto& s : *statuses) jobs.push_back(s.ToJson(setup.options.zone));
    SendJson(res, 200, {{"timezone", setup.options.zone.name()}, {"jobs", jobs}});
  });
  http.Get("/api/v1/alerts", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(alerts_mu);
    SendJson(res, 200, automation::AlertsJson(tracker.Firing()));
  });
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404) {
      SendJson(res, 404, {{"error", {{"code", "not_found"}, {"message", "no such endpoint: " + req.path}}}});
    }
  });

  int port = where.second == 0 ? http.bind_to_any_port(where.first) : (http.bind_to_port(where.first, where.second) ? where.second : -1);
  if (port < 0) {
    return Unavailable("unable to listen on " + where.first + ":" + std::to_string(where.second) +
                       " (address in use, or not an address of this host)");
  }
  // Bound and listening already: connections queue until the accept loop runs.
  std::jthread server([&] { http.listen_after_bind(); });
  log("listening on " + where.first + ":" + std::to_string(port) + "; " + std::to_string(scheduler.jobs().size()) +
      " jobs in " + setup.options.zone.name());
  if (options.on_ready) options.on_ready(port);

  evaluate();
  std::jthread alerting([&](std::stop_token done) {
    while (options.clock->SleepFor(std::chrono::minutes(1), done)) evaluate();
  });
  Status run = scheduler.Run(stop);  // returns once stopped, after the running jobs ended
  alerting.request_stop();
  alerting.join();
  http.stop();
  server.join();
  log("stopped");
  return run;
}

}  // namespace dr::server
