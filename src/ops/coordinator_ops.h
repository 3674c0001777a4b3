// The DR coordinator's operations: health, the monitor, failover, the event
// history and the RTO/RPO report. The coordinator emits its own events
// (health_changed, failover_*) to the context's sink, the same one every
// other operation emits to.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "coordinator/coordinator.h"
#include "ops/operation.h"

namespace dr::ops {

// dr.health. status kFailed unless every service is healthy (audited as success: the check ran).
OpResult Health(OperationContext& ctx);
// dr.monitor: runs until `stop` (or max_seconds).
OpResult Monitor(OperationContext& ctx, coordinator::MonitorOptions options);
// dr.failover (target: the reason). data: FailoverResult::ToJson; status: its error.
OpResult Failover(OperationContext& ctx, const coordinator::FailoverRequest& request);
// dr.failover (target: the part); the coordinator records failover_part.
// One part of a failover on its own (DisasterRecoveryCoordinator::FailoverPart).
// `undo`: a runbook's undo of the part (a repository switch back is not
// checked against what the repository holds: it was in use before).
OpResult FailoverPart(OperationContext& ctx, const std::string& part, const std::string& to, bool undo = false);
// dr.events: the one event history (events::HistoryPath), newest first.
// Needs no dr_coordinator section: backups, restores, ... are recorded without one.
OpResult Events(OperationContext& ctx, int limit, const std::vector<std::string>& types);
// report.generate (target "rto-rpo").
OpResult RtoRpoReport(OperationContext& ctx);

}  // namespace dr::ops
