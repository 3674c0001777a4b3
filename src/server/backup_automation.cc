#include "server/backup_automation.h"

#include <functional>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <httplib.h>

#include <mutex>
#include <set>
#include <thread>

#include "automation/alert_rules.h"
#include "automation/daemon_metrics.h"
#include "automation/notify/notifier.h"
#include "automation/notify/repeat_gate.h"
#include "automation/run_ledger.h"
#include "backup/backup_manager.h"
#include "coordinator/leader.h"
#include "events/event_store.h"
#include "ops/alert_inputs.h"
#include "ops/backup_ops.h"
#include "ops/schedule_ops.h"
#include "server/api_auth.h"
#include "server/api_jobs.h"
#include "server/api_router.h"
#include "server/api_routes.h"
#include "server/status_page.h"
#include "server/status_view.h"

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

// Plain HTTP, or HTTPS with automation.api.tls_certificate and tls_key (both or neither).
Result<std::unique_ptr<httplib::Server>> NewHttpServer(const config::AutomationConfig& a) {
  if (a.tls_certificate.empty() && a.tls_key.empty()) return std::make_unique<httplib::Server>();
  if (a.tls_certificate.empty() || a.tls_key.empty()) {
    return ConfigError("automation.api: set both tls_certificate and tls_key to serve HTTPS, or neither");
  }
  for (const auto* file : {&a.tls_certificate, &a.tls_key}) {
    if (::access(file->c_str(), R_OK) != 0) {
      return ConfigError("automation.api: " + std::string(file == &a.tls_key ? "tls_key " : "tls_certificate ") + *file +
                         " cannot be read: " + std::strerror(errno));
    }
  }
  auto server = std::make_unique<httplib::SSLServer>(a.tls_certificate.c_str(), a.tls_key.c_str());
  if (!server->is_valid()) {
    return ConfigError("automation.api: the certificate " + a.tls_certificate + " and key " + a.tls_key +
                       " could not be loaded (PEM files of one key pair?)");
  }
  return std::unique_ptr<httplib::Server>(std::move(server));
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
  // The repository in use now: a repository switch while the daemon runs moves it.
  auto repository_free_bytes = [&config] { return ops::RepositoryFreeBytes(ops::AsServedNow(config).repository); };
  automation::DaemonMetrics metrics(setup.jobs, automation::BackedUpComponents(config, setup.jobs), *options.clock);
  if (Status s = metrics.Restore(*setup.store); !s.ok()) log("metrics: " + s.message());
  if (ops::OpResult listing = ops::ListBackups(ctx); listing.ok()) {
    metrics.ObserveListing(listing.data);
  } else {
    log("metrics: the repository's backups could not be listed: " + listing.status.message());
  }
  metrics.SetRepositoryFreeBytes(repository_free_bytes());
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
    std::function<double()> free_bytes;
    std::function<void()> relist;
    std::function<void()> drilled;
    void RunStarted(const automation::Job& j, const automation::JobRun& r) override { metrics->RunStarted(j, r); }
    void RunFinished(const automation::Job& j, const automation::JobRun& r) override {
      metrics->RunFinished(j, r);
      metrics->SetRepositoryFreeBytes(free_bytes());
      // A backup or retention changed the repository's backups: list them again.
      if (j.config.action == "backup" || j.config.action == "retention") relist();
      if (j.config.action == "drill" || j.config.action == "restore_test") drilled();
      evaluate();
    }
    void Log(const std::string& line) override { log(line); }
  } observer;
  observer.metrics = &metrics;
  observer.log = log;
  observer.free_bytes = repository_free_bytes;
  // The repository's backups listed again (summaries only, after a change; a scrape never does this).
  auto relist = [&] {
    ops::OperationContext listing_ctx = ctx;
    if (ops::OpResult listing = ops::ListBackups(listing_ctx); listing.ok()) metrics.ObserveListing(listing.data);
  };
  observer.relist = relist;
  observer.evaluate = evaluate;
  // A drill's result goes into the metrics (and the alerts) at once.
  observer.drilled = [&gatherer] { gatherer.Invalidate(); };
  // Several daemons: with dr_coordinator.etcd_endpoints they elect one leader,
  // which alone runs jobs (every one serves /metrics and the API). Each keeps
  // its history in its own state directory; the newest run of each job is
  // shared through etcd (automation/run_ledger.h), so a leader on another host
  // takes over what its predecessor left and neither repeats nor skips a job.
  std::unique_ptr<coordinator::EtcdLeader> leader;
  std::unique_ptr<automation::EtcdRunLedger> ledger;
  std::jthread campaign;
  metrics.registry().Declare("ecap_dr_automation_leader", automation::MetricRegistry::Type::kGauge,
                             "1 when this daemon leads and runs the jobs (always 1 without etcd).");
  metrics.registry().Set("ecap_dr_automation_leader", {}, 1);
  if (!config.coordinator.etcd_endpoints.empty()) {
    const auto& c = config.coordinator;
    std::string id = setup.options.owner.empty() ? automation::ProcessOwner() : setup.options.owner;
    leader = std::make_unique<coordinator::EtcdLeader>(c.etcd_endpoints, "/ecap-dr/automation/leader", id,
                                                       c.lease_seconds);
    metrics.registry().Set("ecap_dr_automation_leader", {}, 0);
    setup.options.leading = [&leader] { return leader->IsLeader(); };
    ledger = std::make_unique<automation::EtcdRunLedger>(leader->client(), "/ecap-dr/automation/runs/", leader->key(), id);
    setup.options.ledger = ledger.get();
    setup.options.leader_poll = std::chrono::seconds(std::max(1, c.lease_seconds / 3));
    campaign = std::jthread([&, period = setup.options.leader_poll](std::stop_token done) {
      bool was = false;
      do {
        auto won = leader->Campaign();
        bool is = won.ok() && *won;
        if (!won.ok() && was) log("leadership: " + won.status().message());
        if (is != was) metrics.registry().Set("ecap_dr_automation_leader", {}, is ? 1 : 0);
        was = is;
      } while (options.clock->SleepFor(period, done));
      leader->Resign();
    });
  }
  automation::Scheduler scheduler(std::move(setup.jobs), *setup.store, ops::JobRunner(ctx), setup.options, &observer);
  scheduler_ptr = &scheduler;
  if (auto statuses = scheduler.Statuses(); statuses.ok()) metrics.ObserveStatuses(*statuses);

  // HTTP: health, readiness and metrics open; the API and the status page need a token.
  std::vector<std::string> token_warnings;
  DR_ASSIGN_OR_RETURN(TokenAuth auth, TokenAuth::Load(config.automation.api_tokens, &token_warnings));
  for (const auto& w : token_warnings) log("api: " + w);
  if (auth.empty()) log("api: no tokens in automation.api.tokens: /api/v1 and the status page answer 401");
  std::unique_ptr<httplib::Server> server_ptr;
  DR_ASSIGN_OR_RETURN(server_ptr, NewHttpServer(config.automation));
  httplib::Server& http = *server_ptr;
  ApiJobs api_jobs(*options.clock);
  ApiRouter router(auth, ctx);
  router.Add("GET", "/healthz", Access::kOpen, [](ApiCall& call) { ApiRouter::Send(call.response, 200, {{"status", "ok"}}); });
  router.Add("GET", "/readyz", Access::kOpen, [&](ApiCall& call) {
    // Reachable: the repository's config object can be read (one stat or HEAD; no listing).
    const config::RepositoryLocation repository = ops::AsServedNow(config).repository;
    auto backend = backup::OpenBackend(repository);
    Status s = backend.ok() ? (*backend)->Stat({ObjectKind::kConfig, "config"}).status() : backend.status();
    if (s.ok()) return ApiRouter::Send(call.response, 200, {{"status", "ready"}, {"repository", repository.Describe()}});
    ApiRouter::Send(call.response, 503, {{"status", "not_ready"}, {"repository", repository.Describe()},
                                         {"error", {{"code", s.code_name()}, {"message", s.message()}}}});
  });
  router.Add("GET", "/metrics", Access::kOpen, [&](ApiCall& call) {
    call.response.set_content(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  ApiDeps deps;
  deps.ctx = &ctx;
  deps.scheduler = &scheduler;
  deps.jobs = &api_jobs;
  deps.firing_alerts = [&] {
    std::lock_guard lock(alerts_mu);
    return automation::AlertsJson(tracker.Firing());
  };
  deps.after_job = [&](const std::string& operation) {
    metrics.SetRepositoryFreeBytes(repository_free_bytes());
    if (operation == "backup.create") relist();  // schedule.run: the scheduler's observer did
    if (operation == "drill.run") gatherer.Invalidate();  // its result in the metrics now, not within a minute
    evaluate();
  };
  AddApiRoutes(router, deps);
  router.Add("GET", "/", Access::kTokenLogin, [&](ApiCall& call) {
    ops::OperationContext caller = CallerContext(deps, call);
    ops::OpResult r = ops::RunChecked(caller, "status.read", "status page", [&] {
      // The health the daemon last gathered (at most a minute old; gathered now if older).
      ops::GatheredInputs gathered = gatherer.Get();
      return ops::OpResult{.data = StatusView(config, scheduler, metrics, deps.firing_alerts(),
                                              gathered.inputs.service_health, *options.clock)};
    });
    if (!r.ok()) return SendResult(call, r);
    call.response.set_content(RenderStatusPage(r.data), "text/html; charset=utf-8");
  });
  router.Install(http);

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
  if (campaign.joinable()) {
    campaign.request_stop();
    campaign.join();  // resigns: a follower takes over at once, not after the lease
  }
  alerting.request_stop();
  alerting.join();
  // The API's jobs get the scheduled runs' grace too, then are cancelled cleanly.
  api_jobs.StopAll(setup.options.shutdown_timeout);
  http.stop();
  server.join();
  log("stopped");
  return run;
}

}  // namespace dr::server
