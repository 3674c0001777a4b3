// The disruptive "storage" drill: the data lake's primary bucket is lost
// under load, the lake moves to its mirror in the backup region, and what the
// move cost is measured from the outside.
//
//   1. A load generator (lake_load.h) puts one small object at a time under
//      the drill's prefix into the bucket the platform serves the lake from
//      now, and records every object the bucket acknowledged.
//   2. Once it has objects on record, one mirror pass runs (what the mirror's
//      schedule does), and the load goes on: the objects acknowledged after
//      the pass are the mirror's lag at the fault.
//   3. The fault is injected (drill.faults.storage: e.g. the bucket removed).
//   4. Recovery runs (the caller's: the storage_failure runbook, whose
//      storage switch makes the mirror the active bucket).
//   5. RTO: from the fault to the first object acknowledged by the bucket the
//      platform serves the lake from after recovery. RPO: the acknowledged
//      objects the active bucket lacks, each named; how long before the fault
//      the oldest of them was acknowledged (the mirror's lag as the writes saw
//      it; the mirror's own account of its lag is reported beside it).
//   6. The drill's objects are removed again from every bucket that still
//      answers, also when the drill fails.
//
// Nothing here decides whether the platform may be disrupted: the caller
// checks drill.environment and --disruptive first.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dr/clock.h"
#include "dr/result.h"
#include "drill/disruptive.h"
#include "drill/lake_load.h"

namespace dr::drill {

// The lake's buckets, the drill's prefix and the active bucket: LakeLoad.
struct StorageScenarioOptions : DisruptiveOptions, LakeLoad {
  // One mirror pass (its result document), and the mirror's account of its lag now (nullopt: unknown).
  std::function<Result<nlohmann::json>()> mirror;
  std::function<std::optional<double>()> mirror_lag;
  // The fault, and the recovery (fills in the runbook's execution document,
  // also when it fails: the drill names the step that failed).
  std::function<Status()> inject;
  std::function<Status(nlohmann::json& runbook)> recover;
};

// Never fails: the outcome is the result (scenario "storage").
DisruptiveResult RunStorageScenario(Clock& clock, const StorageScenarioOptions& options);

}  // namespace dr::drill
