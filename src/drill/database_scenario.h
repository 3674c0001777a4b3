// The disruptive "database" drill: the database primary fails under load and
// the platform recovers by itself, measured from the outside.
//
//   1. A load generator commits one row at a time through the service's DNS
//      name (resolved before every connection, as a client does) into
//      ecap_dr_drill_writes, and records every commit the server acknowledged.
//   2. Once it has commits on record, the fault is injected (the configured
//      command: drill.faults.database, e.g. SIGKILL to the primary).
//   3. Recovery runs (the caller's: the database_failure runbook).
//   4. RTO: from the fault to the first commit acknowledged on a connection
//      the name led to after the fault. RPO: the acknowledged commits the recovered database does not
//      have, each named; the RPO is how long before the fault the oldest of
//      them was acknowledged (0 when none is lost).
//   5. The drill's rows are deleted again, also when the drill fails.
//
// Nothing here decides whether the platform may be disrupted: the caller
// checks drill.environment and --disruptive first.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "dr/clock.h"
#include "dr/result.h"
#include "drill/disruptive.h"

namespace dr::drill {

struct DatabaseScenarioOptions : DisruptiveOptions {
  config::CoordinatedService service;    // type postgresql: primary and standby conninfo
  // The address the service's name resolves to now (the DNS record the failover moves).
  std::function<Result<std::string>()> resolve;
  // The fault, and the recovery (fills in the runbook's execution document,
  // also when it fails: the drill names the step that failed).
  std::function<Status()> inject;
  std::function<Status(nlohmann::json& runbook)> recover;
};

// Never fails: the outcome is the result (scenario "database").
DisruptiveResult RunDatabaseScenario(Clock& clock, const DatabaseScenarioOptions& options);

}  // namespace dr::drill
