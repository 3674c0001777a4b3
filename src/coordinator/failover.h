// Failover of the database (and with it DNS, storage and compute) as a plan
// of engine steps (engine/engine.h), run or, for a dry run, described from
// the same list:
//
//   preconditions     standby in recovery, the RPO guard, no second writable
//                     primary, DNS still on the old primary (read-only: runs
//                     in a dry run too)
//   fence             the fence command; the old primary must stop taking writes
//   promote           pg_promote() on the standby
//   sync_replication  clears synchronous_standby_names the promoted standby
//                     inherited (no standby is left to confirm commits)
//   wait_writable     until the new primary takes writes; then the state file
//                     names it as the primary
//   dns               compare-and-swap of the A record (when configured)
//   storage           the replica bucket becomes the active one (when configured)
//   compute           each compute hook, in order
//   verify            a write through the DNS name, as a client's
//   notify            names where the failover_completed event is recorded
//
// A failed step stops the plan; DNS and storage are rolled back; fence,
// promote, sync_replication and compute cannot be, and the result says so
// (not_undone). Before fence and before promote, a coordinator that lost its
// leadership (request.still_leader) stops. The side effects go through
// failover_ops.h, so the ordering and rollback are unit-tested with fakes.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "coordinator/failover_ops.h"
#include "dr/clock.h"

namespace dr::coordinator {

struct FailoverRequest {
  std::string reason;
  bool dry_run = false;
  bool force = false;      // manual only: go on although the standby is behind the RPO target
  bool automatic = false;  // started by the monitor
  // automatic: when the first failed check of the streak happened (the start of the RTO)
  std::chrono::system_clock::time_point detected_at{};
  // With several coordinators: asked before each step that cannot be undone;
  // false stops the failover (another coordinator may be taking over).
  std::function<bool()> still_leader;
};

struct FailoverStep {
  std::string name;
  std::string status;  // ok, failed, planned (dry run), rolled_back; cannot_undo in not_undone
  double duration_seconds = 0;
  std::string details;
};

struct FailoverResult {
  bool success = false;
  std::string status;  // completed, failed, refused, dry_run
  std::string reason;
  bool automatic = false;
  bool forced = false;
  Status error;  // why it did not complete (ok when it did); "error": {"code", "message"} in the JSON
  std::string old_primary;
  std::string new_primary;
  std::vector<FailoverStep> steps;  // as run (a dry run: planned), then rollback_<step> after a failure
  // After a failure: the completed steps that changed something and cannot be
  // undone, with why (status cannot_undo). In the JSON only when not empty.
  std::vector<FailoverStep> not_undone;
  double rto_seconds = -1;
  double rpo_seconds = -1;         // estimated data loss window (the database's)
  double storage_rpo_seconds = -1; // the data-lake mirror's lag when storage failed over; -1 unknown
  int64_t lag_bytes = -1;          // standby replay position behind the last known primary position
  nlohmann::json phases = nlohmann::json::object();  // seconds per phase
  bool rto_met = false;
  bool rpo_met = false;
  nlohmann::json ToJson() const;
};

using SysTime = std::chrono::system_clock::time_point;

// What the coordinator knows when a failover starts.
struct FailoverInput {
  const config::DrCoordinatorConfig& config;
  config::CoordinatedService service;  // the database, with the state's current primary and standby
  SysTime decided_at;                  // when the failover was asked for
  std::string event_history;           // where events are recorded (notify says so)
  std::string mirror_pass_file;        // the s3 mirror's last pass; "" when no mirror is configured
  // The primary's WAL positions the monitor saw (oldest first), and the last
  // one saved in the state file: the RPO estimate when the primary is down.
  const std::deque<std::pair<SysTime, int64_t>>& primary_lsns;
  std::optional<int64_t> saved_primary_lsn;
};

// Where the failover acts and records. All must outlive RunFailover.
struct FailoverDeps {
  DatabaseOps& database;
  DnsOps* dns = nullptr;  // null: no DNS record to move
  HookRunner& hooks;
  Clock& clock;
  // Between write probes; default std::this_thread::sleep_for (tests advance a fake clock).
  std::function<void(std::chrono::steady_clock::duration)> sleep;
  // The coordinator's event history and state file.
  std::function<void(const std::string& type, const nlohmann::json& data)> record_event;
  std::function<Status(const std::string& key, const nlohmann::json& value)> save_state;
};

// Runs the failover (or the dry run) and records its events: failover_started,
// failover_step per step, then failover_<status> (failover_dry_run for a dry
// run, which records only that one). Never fails: the outcome is the result.
FailoverResult RunFailover(const FailoverRequest& request, const FailoverInput& input, FailoverDeps& deps);

}  // namespace dr::coordinator
