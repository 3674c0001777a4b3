#include "ops/schedule_ops.h"

#include "base/time_util.h"
#include "events/event_store.h"
#include "ops/job_ops.h"

namespace dr::ops {
namespace {

using nlohmann::json;

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

OpResult ScheduleList(OperationContext& ctx) {
  Operation op(ctx, "schedule.list", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto setup = SetUpScheduler(ctx);
  if (!setup.ok()) return op.Finish(ErrorResult(setup.status()));
  automation::Scheduler scheduler(std::move(setup->jobs), *setup->store, nullptr, setup->options);
  auto statuses = scheduler.Statuses();
  if (!statuses.ok()) return op.Finish(ErrorResult(statuses.status()));
  json jobs = json::array();
  for (const auto& s : *statuses) jobs.push_back(s.ToJson(setup->options.zone));
  return op.Finish(OpResult{.data = {{"timezone", setup->options.zone.name()}, {"jobs", jobs}}});
}

OpResult ScheduleRun(OperationContext& ctx, const std::string& name) {
  Operation op(ctx, "schedule.run", name);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto setup = SetUpScheduler(ctx);
  if (!setup.ok()) return op.Finish(ErrorResult(setup.status()));
  automation::Scheduler scheduler(std::move(setup->jobs), *setup->store, JobRunner(ctx), setup->options);
  auto run = scheduler.RunNow(name, ctx.stop);
  if (!run.ok()) return op.Finish(ErrorResult(run.status()));
  OpResult out{.data = run->ToJson()};
  if (run->outcome != "succeeded") {
    // The run's own error code (unavailable, permission_denied, cancelled, ...).
    out.status = Status(CodeFromName(run->error_code), "job '" + name + "' " + run->outcome + ": " + run->message);
  }
  return op.Finish(std::move(out), {{"job", name}, {"outcome", run->outcome}});
}

}  // namespace dr::ops
