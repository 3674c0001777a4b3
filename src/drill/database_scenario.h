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
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "dr/clock.h"
#include "dr/result.h"
#include "drill/scratch_restore.h"

namespace dr::drill {

struct DatabaseScenarioOptions {
  std::string drill_id;                  // "": one is made
  config::CoordinatedService service;    // type postgresql: primary and standby conninfo
  // The address the service's name resolves to now (the DNS record the failover moves).
  std::function<Result<std::string>()> resolve;
  // The fault, and the recovery (fills in the runbook's execution document,
  // also when it fails: the drill names the step that failed).
  std::function<Status()> inject;
  std::function<Status(nlohmann::json& runbook)> recover;
  double timeout_seconds = 900;  // from the fault: not recovered by then is a failure
  size_t commits_before_fault = 20;
  double rto_target_seconds = 900;
  double rpo_target_seconds = 300;
  std::stop_token stop;
  std::function<void(const std::string&)> progress;
};

struct LostWrite {
  int64_t seq = 0;
  std::string acknowledged_at;  // UTC
};

struct DatabaseScenarioResult {
  std::string drill_id;
  std::string started_at;
  std::string scenario = "database";
  std::string status = "failed";  // passed, failed
  Status error;
  std::string failed_step;        // load, inject, recover, write_after_recovery, verify
  std::string service;
  std::string address_before, address_after;
  std::string fault_at;           // UTC
  double rto_seconds = -1;        // -1: not recovered
  double rpo_seconds = -1;        // -1: not measured
  double rto_target_seconds = 0;
  double rpo_target_seconds = 0;
  uint64_t acknowledged = 0;      // commits acknowledged during the drill
  uint64_t acknowledged_before_fault = 0;
  uint64_t failed_attempts = 0;   // commits refused or unanswered (the outage, from the client's side)
  std::vector<LostWrite> lost;    // acknowledged, absent after recovery
  nlohmann::json runbook = nlohmann::json::object();
  std::vector<Phase> phases;
  std::vector<std::string> removed;
  std::vector<std::string> cleanup_errors;
  double duration_seconds = 0;
  nlohmann::json ToJson() const;
};

// Never fails: the outcome is the result.
DatabaseScenarioResult RunDatabaseScenario(Clock& clock, const DatabaseScenarioOptions& options);

}  // namespace dr::drill
