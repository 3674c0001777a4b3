// The guide's DisasterRecoveryCoordinator: continuous health checks of every
// configured service, failover of the database (and with it DNS, storage and
// compute) automatically or on command, RTO/RPO per event, and an event
// history (events/event_store.h).
//
// Failover (failover.h) is a plan of engine steps: preconditions, fence,
// promote, sync_replication, wait_writable, DNS compare-and-swap, storage,
// compute hooks, verify, notify. A failed step stops the plan and rolls back
// what can be rolled back; a dry run describes the same steps and changes
// nothing.
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
#include <stop_token>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "coordinator/failover.h"
#include "coordinator/health_check.h"
#include "dr/clock.h"
#include "events/event_store.h"

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

// What a running monitor reports, as it happens: the CLI prints it, a daemon
// may log or export it. The coordinator itself never writes to stdout.
class MonitorObserver {
 public:
  virtual ~MonitorObserver() = default;
  // role: "" standalone, "leader" or "follower" with etcd.
  virtual void OnRound(const HealthReport& /*report*/, std::string_view /*role*/) {}
  virtual void OnLeadership(bool /*leader*/, const std::string& /*coordinator_id*/) {}
  virtual void OnFailover(const FailoverResult& /*result*/) {}
  virtual void OnWarning(const std::string& /*message*/) {}
};

struct MonitorOptions {
  double max_seconds = 0;  // 0: until stop (monotonic time of the coordinator's clock)
  // Requested: the monitor ends after the round in progress; its sleeps
  // between rounds (on the coordinator's clock) end at once.
  std::stop_token stop;
  MonitorObserver* observer = nullptr;
};

class DisasterRecoveryCoordinator {
 public:
  // Events go to `sink` when given (the operations layer passes the one sink
  // every operation emits to), else straight to the history's store; they are
  // read back from the store at <state_dir>/events.db (events::HistoryPath).
  explicit DisasterRecoveryCoordinator(config::Config config, Clock& clock = RealClock(),
                                       events::EventSink* sink = nullptr);
  ~DisasterRecoveryCoordinator();

  // One round of checks. With the threshold (the monitor), a failed check
  // degrades a service until `failure_threshold` fail in a row; without it
  // (`ecap-dr health`), each service is what its check found.
  Result<HealthReport> CheckHealth(bool apply_threshold = false);
  // Checks every interval; fails over by itself when auto_failover is set and
  // the database has failed `failure_threshold` checks in a row.
  Status Monitor(const MonitorOptions& options);
  FailoverResult Failover(const FailoverRequest& request);
  // One part of a failover on its own (failover_parts.h), for a runbook step:
  // "fence", "promote", "dns_switch" (to: an address, or "primary" (default)
  // for the database's primary as the state names it now), "storage_switch"
  // (to: "replica" (default), "primary" or a bucket), "repository_switch"
  // (to: as ResolveRepository takes it, "replica" by default), "kafka_switch"
  // (to: as ResolveKafka takes it, "replica" by default), "compute_hooks"
  // or "attach_standby" (to: the rebuilt standby's conninfo).
  // Records failover_part with its outcome. data: the part's.
  Result<nlohmann::json> FailoverPart(const std::string& part, const std::string& to = "");
  Result<std::vector<events::Event>> Events(int limit, const std::vector<std::string>& types = {});
  // Every failover and drill against the RTO and RPO targets.
  Result<nlohmann::json> RtoRpoReport();

 private:
  Status Init();
  config::CoordinatedService Current(const config::CoordinatedService& s) const;  // as ServiceAsServedNow, from state_
  const config::CoordinatedService* Database() const;  // the postgresql service with a standby
  // Writes `key` of state_ into <state_dir>/state.json, read-modify-write
  // under an exclusive flock of <state_dir>/state.lock: the other keys are
  // kept as they are on disk (another process, a runbook's switch while the
  // monitor runs, may have changed them) and state_ takes them.
  // With `check`, written only when it accepts the state as it is on disk
  // (under the lock): a compare-and-swap; refused, state_ takes the disk's.
  Status SaveState(const std::string& key, const std::function<Status(const nlohmann::json& on_disk)>& check = {});
  void RecordEvent(const std::string& type, const nlohmann::json& data);
  std::string Timestamp() const;

  config::Config config_;
  Clock& clock_;
  events::EventSink* sink_ = nullptr;
  std::unique_ptr<events::EventStore> events_;
  nlohmann::json state_ = nlohmann::json::object();
  // Keys of state_ whose last SaveState failed (e.g. the promoted primary when
  // the state directory is full): what this process knows and the file lacks,
  // kept when a check round rereads the file.
  std::set<std::string> unsaved_;
  CheckContext check_context_;  // built by Init
  std::map<std::string, ServiceHealth> health_;  // by service name
  std::map<std::string, std::chrono::system_clock::time_point> first_failure_;
  std::map<std::string, std::chrono::steady_clock::time_point> next_check_;  // services with their own interval
  std::deque<std::pair<std::chrono::system_clock::time_point, int64_t>> primary_lsns_;  // recent samples
  bool refused_since_failure_ = false;
  bool follower_ = false;  // another coordinator leads: check, but neither act nor record
  bool initialized_ = false;
};

// The bucket the data lake is served from now: the coordinator state's active
// bucket after a storage switch, else dr_coordinator.failover.storage's
// primary bucket ("" when neither names one). Reads <state_dir>/state.json
// (kCorrupt when it is not JSON); the drills' lake writer asks before each
// write, as the platform's consumers follow the switch hook.
Result<std::string> ActiveBucket(const config::Config& config);

// The repository this site uses now, as RepositoryLocation::Describe() names
// it: the coordinator state's after a repository switch (the primary region
// lost: backups and restores go to its replica), else the configured
// primary's. kCorrupt when <state_dir>/state.json is not JSON.
Result<std::string> ActiveRepository(const config::Config& config);

// The Kafka brokers in use now, as `host:port,...`: the coordinator state's
// after a Kafka switch (the region runbook restored Kafka in the backup
// region), else kafka.bootstrap_servers. kCorrupt when state.json is not JSON.
Result<std::string> ActiveKafka(const config::Config& config);

// Whether Kafka has brokers in the backup region to fail over to: a kafka:
// section and dr_coordinator.failover.kafka.replica_bootstrap_servers.
bool KafkaHasReplica(const config::Config& config);

// The brokers a Kafka switch names: "replica" (dr_coordinator.failover.kafka's),
// "primary" (kafka.bootstrap_servers) or either's own bootstrap list. kConfig
// when no replica brokers (or no kafka section) are configured;
// kInvalidArgument for anything else.
Result<std::string> ResolveKafka(const config::Config& config, const std::string& to);

// A coordinated service as the coordinator's state says it is served now: with
// the primary and standby after a failover (the standby "" when none is left);
// a lake or Kafka service that names no bucket or brokers of its own, with the
// ones in use after a storage_switch or kafka_switch.
Result<config::CoordinatedService> ServiceAsServedNow(const config::Config& config,
                                                      const config::CoordinatedService& service);

// postgresql's server as the platform serves it now: after a failover of the
// coordinated postgresql service whose primary is the server postgresql:
// names (its host), the host and port of the primary the state names now
// (backups and restores of the database follow the failover as the lake's
// follow a storage switch); else postgresql: as configured.
Result<config::PostgresConfig> PostgresAsServedNow(const config::Config& config);

// A repository of the configuration by what a switch names: "primary", "replica"
// (the first of `replicas:`), or one's description (a path, "s3://bucket/prefix").
// kConfig without replicas for "replica"; kInvalidArgument for a name that is neither.
Result<config::RepositoryLocation> ResolveRepository(const config::Config& config, const std::string& to);

}  // namespace dr::coordinator
