// Drills as an operation (drill/): authorize drill.run, run the scenario
// against the configured repository and services, audit, and record the
// outcome in the event history (drill_completed / drill_failed, which
// `report rto-rpo` and the status page read).
#pragma once

#include <functional>
#include <string>

#include "ops/operation.h"

namespace dr::ops {

struct DrillRequest {
  std::string scenario = "restore-test";  // the only one so far
  std::string backup_id;                  // "": the newest completed backup
  std::function<void(const std::string&)> progress;
};

// drill.run; drill_completed (passed) / drill_failed. data: the drill's
// result (drill/scratch_restore.h); status: its first failure.
OpResult RunDrill(OperationContext& ctx, const DrillRequest& request);

// report.generate (target "drill"), from the event history:
// - drill_id given: that drill's whole result document, as the drill returned
//   it (kNotFound naming it when the history has no such drill);
// - else the drills of `month` (YYYY-MM; "": this month) aggregated per
//   scenario (drill/report.h: MonthlyReport); the result's status is a failure
//   when overall_status is not "passed" (exit 1), the report still in data.
OpResult DrillReport(OperationContext& ctx, const std::string& month, const std::string& drill_id);

}  // namespace dr::ops
