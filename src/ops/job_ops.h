// The scheduled jobs' actions: what `ecap-dr serve` and `schedule run` do
// for one job of automation.jobs. Each action is the operation of its CLI
// twin (same permission, audit record and event), so a scheduled backup is
// exactly a `backup create` by the scheduler's identity:
//
//   backup      backup create --component ... --file ... --tag ... (then
//               retention apply when automation.retention_after_backup)
//   verify      verify [--full] of the newest backup
//   retention   retention apply (forget + prune)
//   repo_check  repo check [--read-data when full]
//   replicate   repo replicate
//   s3_mirror   s3 mirror (one pass)
#pragma once

#include "config/config.h"
#include "ops/operation.h"

namespace dr::ops {

// Runs `job` once with ctx (its identity, its stop token). data: the
// action's result ({"backup": ..., "retention": ...} for a backup with
// retention after it).
OpResult RunJob(OperationContext& ctx, const config::JobConfig& job);

}  // namespace dr::ops
