// The scheduler's operations: `schedule list`, `schedule run NAME`, and the
// runner through which `serve` runs each job (ops::RunJob with the caller's
// identity, a stop token and the job state kept in the event history's file).
#pragma once

#include <memory>
#include <string>

#include "automation/run_store.h"
#include "automation/scheduler.h"
#include "ops/operation.h"

namespace dr::ops {

// The scheduler's parts for a configuration: its jobs, the job state
// (events::HistoryPath; kConfig naming the keys when the configuration has no
// state directory) and its options (time zone, deadlines, retries).
struct SchedulerSetup {
  std::vector<automation::Job> jobs;
  std::unique_ptr<automation::RunStore> store;
  automation::SchedulerOptions options;
};
Result<SchedulerSetup> SetUpScheduler(const OperationContext& ctx);

// Runs jobs as `ctx`'s identity: each attempt is ops::RunJob with the
// attempt's stop token. `ctx` must outlive the function.
automation::JobRunFn JobRunner(const OperationContext& ctx);

// schedule.list. data: {"timezone", "jobs": [JobStatus::ToJson]}. `live`: the
// running daemon's scheduler (its API); null: one over the job state, for the CLI.
OpResult ScheduleList(OperationContext& ctx, automation::Scheduler* live = nullptr);
// schedule.run (target: the job): runs it now, as the daemon would, and
// records the run; the job's own operation checks its own permission too.
// status: the run's outcome (ok when it succeeded). data: the run. `live`: the
// daemon's scheduler, so the run never overlaps a scheduled one of the same
// job (its job runs as the daemon's identity, as scheduled runs do).
OpResult ScheduleRun(OperationContext& ctx, const std::string& name, automation::Scheduler* live = nullptr);

}  // namespace dr::ops
