#include "ops/schedule_ops.h"

#include <optional>

#include "base/time_util.h"
#include "events/event_store.h"
#include "ops/job_ops.h"

namespace dr::ops {
namespace {

using nlohmann::json;

// The daemon's scheduler when there is one (its API), else one of our own
// over the job state (the CLI), alive as long as this object.
struct SchedulerInUse {
  std::optional<SchedulerSetup> setup;
  std::optional<automation::Scheduler> own;
  automation::Scheduler* scheduler = nullptr;

  Status Open(const OperationContext& ctx, automation::Scheduler* live, automation::JobRunFn run) {
    scheduler = live;
    if (scheduler != nullptr) return Status::Ok();
    DR_ASSIGN_OR_RETURN(setup, SetUpScheduler(ctx));
    scheduler = &own.emplace(std::move(setup->jobs), *setup->store, std::move(run), setup->options);
    return Status::Ok();
  }
};

}  // namespace

Result<SchedulerSetup> SetUpScheduler(const OperationContext& ctx) {
  const config::AutomationConfig& a = ctx.config.automation;
  SchedulerSetup setup;
  DR_ASSIGN_OR_RETURN(setup.jobs, automation::JobsOf(ctx.config));
  std::string path = events::HistoryPath(ctx.config);
  if (path.empty()) {
    return ConfigError("the scheduler keeps its job state beside the event history: set dr_coordinator.state_dir or "
                       "audit.log_file");
  }
  DR_ASSIGN_OR_RETURN(setup.store, automation::RunStore::Open(path));
  auto& o = setup.options;
  o.clock = ctx.clock;
  // The loader validated these; a value that does not parse here is a bug, reported as a configuration error.
  DR_ASSIGN_OR_RETURN(o.zone, LoadZone(a.timezone));
  DR_ASSIGN_OR_RETURN(o.starting_deadline, ParseDuration(a.starting_deadline));
  DR_ASSIGN_OR_RETURN(o.shutdown_timeout, ParseDuration(a.shutdown_timeout));
  DR_ASSIGN_OR_RETURN(o.retry_delay, ParseDuration(a.retry_delay));
  return setup;
}

automation::JobRunFn JobRunner(const OperationContext& ctx) {
  return [&ctx](const automation::Job& job, std::stop_token stop) {
    OperationContext attempt = ctx;
    attempt.stop = stop;
    attempt.progress = false;
    OpResult r = RunJob(attempt, job.config);
    return automation::JobOutcome{r.status, r.data};
  };
}

OpResult ScheduleList(OperationContext& ctx, automation::Scheduler* live) {
  Operation op(ctx, "schedule.list", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  SchedulerInUse use;
  if (Status s = use.Open(ctx, live, nullptr); !s.ok()) return op.Finish(ErrorResult(s));
  live = use.scheduler;
  auto statuses = live->Statuses();
  if (!statuses.ok()) return op.Finish(ErrorResult(statuses.status()));
  const cctz::time_zone& zone = live->options().zone;
  json jobs = json::array();
  for (const auto& s : *statuses) jobs.push_back(s.ToJson(zone));
  return op.Finish(OpResult{.data = {{"timezone", zone.name()}, {"jobs", jobs}}});
}

OpResult ScheduleRun(OperationContext& ctx, const std::string& name, automation::Scheduler* live) {
  Operation op(ctx, "schedule.run", name);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  SchedulerInUse use;
  if (Status s = use.Open(ctx, live, JobRunner(ctx)); !s.ok()) return op.Finish(ErrorResult(s));
  auto run = use.scheduler->RunNow(name, ctx.stop);
  if (!run.ok()) return op.Finish(ErrorResult(run.status()));
  OpResult out{.data = run->ToJson()};
  if (run->outcome != "succeeded") {
    // The run's own error code (unavailable, permission_denied, cancelled, ...).
    out.status = Status(CodeFromName(run->error_code), "job '" + name + "' " + run->outcome + ": " + run->message);
  }
  return op.Finish(std::move(out), {{"job", name}, {"outcome", run->outcome}});
}

}  // namespace dr::ops
