// The guide's DisasterRecoveryCoordinator: continuous health checks of every
// configured service, failover of the database (and with it DNS, storage and
// compute) automatically or on command, RTO/RPO per event, and an event
// history (event_store.h).
//
// Failover is an ordered plan of timed steps: preconditions (standby in
// recovery, DNS still on the old primary, the RPO guard), fence the old
// primary, promote the standby, wait until it takes writes, swap the DNS
// record (compare-and-swap), switch storage, run compute hooks, verify writes
// through the DNS name. A failed step stops the plan and rolls back what can be
// rolled back (DNS, storage; a fence or a promotion cannot be undone, and the
// event says so). A dry run checks every precondition and changes nothing.
//
// State that must survive the process (which server is primary now, the
// active bucket, the last primary WAL position seen) is kept in
// <state_dir>/state.json, written atomically.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "coordinator/event_store.h"
#include "coordinator/health_check.h"
#include "dr/clock.h"

namespace dr::coordinator {

struct ServiceHealth {
  std::string name;
  std::string type;
  Health status = Health::kFailed;  // after the failure threshold (see the monitor)
  Health last_check = Health::kFailed;
  double latency_ms = 0;
  std::string error;
  int consecutive_failures = 0;
  nlohmann::json details = nlohmann::json::object();
};

struct HealthReport {
  std::string timestamp;
  std::string overall_status;  // healthy, degraded, failed
  std::vector<ServiceHealth> services;
  nlohmann::json ToJson() const;
};

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
  std::string status;  // ok, failed, skipped, planned (dry run), rolled_back
  double duration_seconds = 0;
  std::string details;
};

struct FailoverResult {
  bool success = false;
  std::string status;  // completed, failed, refused, dry_run
  std::string reason;
  bool automatic = false;
  bool forced = false;
  std::string error;
  std::string old_primary;
  std::string new_primary;
  std::vector<FailoverStep> steps;
  double rto_seconds = -1;
  double rpo_seconds = -1;         // estimated data loss window (the database's)
  double storage_rpo_seconds = -1; // the data-lake mirror's lag when storage failed over; -1 unknown
  int64_t lag_bytes = -1;          // standby replay position behind the last known primary position
  nlohmann::json phases = nlohmann::json::object();  // seconds per phase
  bool rto_met = false;
  bool rpo_met = false;
  nlohmann::json ToJson() const;
};

struct MonitorOptions {
  double max_seconds = 0;              // 0: until stop
  const std::atomic<bool>* stop = nullptr;
  bool print = false;                  // a line per status change on stdout
};

class DisasterRecoveryCoordinator {
 public:
  explicit DisasterRecoveryCoordinator(config::Config config, Clock& clock = RealClock());
  ~DisasterRecoveryCoordinator();

  // One round of checks. With the threshold (the monitor), a failed check
  // degrades a service until `failure_threshold` fail in a row; without it
  // (`ecap-dr health`), each service is what its check found.
  Result<HealthReport> CheckHealth(bool apply_threshold = false);
  // Checks every interval; fails over by itself when auto_failover is set and
  // the database has failed `failure_threshold` checks in a row.
  Status Monitor(const MonitorOptions& options);
  FailoverResult Failover(const FailoverRequest& request);
  Result<std::vector<Event>> Events(int limit, const std::vector<std::string>& types = {});
  // Every failover and drill against the RTO and RPO targets.
  Result<nlohmann::json> RtoRpoReport();

 private:
  Status Init();
  config::CoordinatedService Current(const config::CoordinatedService& s) const;  // with the state's primary/standby
  const config::CoordinatedService* Database() const;  // the postgresql service with a standby
  Status SaveState();
  void RecordEvent(const std::string& type, const nlohmann::json& data);
  std::string Timestamp() const;

  config::Config config_;
  Clock& clock_;
  std::unique_ptr<EventStore> events_;
  nlohmann::json state_ = nlohmann::json::object();
  CheckContext check_context_;  // built by Init
  std::map<std::string, ServiceHealth> health_;  // by service name
  std::map<std::string, std::chrono::system_clock::time_point> first_failure_;
  std::map<std::string, std::chrono::steady_clock::time_point> next_check_;  // services with their own interval
  std::deque<std::pair<std::chrono::system_clock::time_point, int64_t>> primary_lsns_;  // recent samples
  bool refused_since_failure_ = false;
  bool follower_ = false;  // another coordinator leads: check, but neither act nor record
  bool initialized_ = false;
};

}  // namespace dr::coordinator
