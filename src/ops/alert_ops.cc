#include "ops/alert_ops.h"

#include "automation/alert_rules.h"
#include "automation/daemon_metrics.h"
#include "ops/alert_inputs.h"
#include "ops/backup_ops.h"
#include "ops/schedule_ops.h"

namespace dr::ops {

using nlohmann::json;
namespace notify = automation::notify;

namespace {

notify::Notification TestNotification(const OperationContext& ctx) {
  auto now = ctx.clock->Now();
  notify::Alert alert{
      .name = "EcapDrTestAlert",
      .labels = {{"job", "alert-test"}},
      .annotations = {{"summary", "Test notification from ecap-dr"},
                      {"description", "Sent by `ecap-dr alert test` (user " + ctx.identity.user + ", session " +
                                          ctx.identity.session + "); no action is needed."}},
      .severity = "info",
      .starts_at = now};
  return notify::MakeNotification({alert}, now);
}

}  // namespace

OpResult AlertTest(OperationContext& ctx, const std::string& channel, notify::Transports transports) {
  Operation op(ctx, "alert.test", channel.empty() ? "all" : channel);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto channels = notify::NewChannels(ctx.config.alerting, channel, std::move(transports));
  if (!channels.ok()) return op.Finish(ErrorResult(channels.status()));
  if (channels->empty()) {
    return op.Finish(ErrorResult(ConfigError("no notification channel is enabled in alerting.notifications of " +
                                             ctx.config.source)));
  }
  // Failures are reported below, per channel; the log would say them twice.
  notify::Notifier notifier(std::move(*channels),
                            {.clock = ctx.clock,
                             .retry = {.max_attempts = 3, .initial_backoff = std::chrono::seconds(1)},
                             .log = [](const std::string&) {}});
  json rows = json::array();
  std::vector<std::string> failed;
  for (auto& future : notifier.Send(TestNotification(ctx))) {
    notify::DeliveryOutcome o = future.get();
    json row{{"channel", o.channel}, {"target", o.target}, {"success", o.status.ok()}, {"attempts", o.attempts}};
    if (!o.status.ok()) {
      row["error"] = o.status.message();
      failed.push_back(o.channel + ": " + o.status.message());
    }
    rows.push_back(std::move(row));
  }
  OpResult result{.data = json{{"status", failed.empty() ? "success" : "failed"}, {"channels", rows}}};
  if (!failed.empty()) {
    std::string message = std::to_string(failed.size()) + " of " + std::to_string(rows.size()) +
                          " channels failed: ";
    for (size_t i = 0; i < failed.size(); ++i) message += (i ? "; " : "") + failed[i];
    result.status = Unavailable(message);
  }
  return op.Finish(std::move(result), {{"channels", rows.size()}, {"failed", failed.size()}});
}

OpResult AlertList(OperationContext& ctx) {
  Operation op(ctx, "alert.list", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto setup = SetUpScheduler(ctx);
  if (!setup.ok()) return op.Finish(ErrorResult(setup.status()));
  automation::DaemonMetrics metrics(setup->jobs, automation::BackedUpComponents(ctx.config, setup->jobs), *ctx.clock);
  automation::Scheduler scheduler(std::move(setup->jobs), *setup->store, nullptr, setup->options);
  auto statuses = scheduler.Statuses();
  if (!statuses.ok()) return op.Finish(ErrorResult(statuses.status()));
  OpResult listing = ListBackups(ctx);
  if (!listing.ok()) return op.Finish(ErrorResult(listing.status));
  metrics.ObserveListing(listing.data);
  GatheredInputs gathered = GatherAlertInputs(ctx);
  automation::AlertInputs& in = gathered.inputs;
  in.jobs = *statuses;
  in.components = metrics.Components();
  OpResult out{.data = automation::AlertsJson(automation::EvaluateRules(ctx.config.alerting.rules, in))};
  out.warnings = listing.warnings;
  out.warnings.insert(out.warnings.end(), gathered.warnings.begin(), gathered.warnings.end());
  return op.Finish(std::move(out));
}

}  // namespace dr::ops
