#include "coordinator/coordinator.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>
#include <iostream>
#include <thread>

#include "base/fs.h"
#include "base/ownership.h"
#include "base/host.h"
#include "base/time_util.h"
#include "coordinator/failover_parts.h"
#include "coordinator/leader.h"
#include "net/postgres/pg_client.h"
#include "source/s3lake/mirror.h"
#include "source/s3lake/s3lake_spec.h"

namespace dr::coordinator {

using nlohmann::json;

namespace {

// A string field of the state, `fallback` when absent or of another type
// (a hand-edited state file must not make every command throw).
std::string StateString(const json& object, const char* key, const std::string& fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// The bucket the coordinator's state names as the lake's active one, else the primary.
std::string ActiveBucketIn(const json& state, const config::DrCoordinatorConfig& c) {
  std::string active = state.contains("storage") ? StateString(state["storage"], "active_bucket", "") : "";
  return active.empty() ? c.storage_primary_bucket : active;
}

// The repository the coordinator's state names as the one in use, else the primary.
std::string ActiveRepositoryIn(const json& state, const config::Config& c) {
  std::string active = state.contains("repository") ? StateString(state["repository"], "active", "") : "";
  return active.empty() ? c.repository.Describe() : active;
}

// The Kafka brokers the coordinator's state names as the cluster in use, else kafka.bootstrap_servers.
std::string ActiveKafkaIn(const json& state, const config::Config& c) {
  std::string active = state.contains("kafka") ? StateString(state["kafka"], "active_bootstrap_servers", "") : "";
  return active.empty() ? c.kafka.bootstrap_servers : active;
}

// `s` as it is served now: a database with the primary and standby the state
// names after its failover; a lake bucket or Kafka service that names no bucket
// or brokers of its own with the ones in use (a storage_switch or kafka_switch
// moves what it checks; one that names them keeps checking those).
config::CoordinatedService CurrentIn(const json& state, const config::Config& config,
                                     const config::CoordinatedService& s) {
  config::CoordinatedService out = s;
  if (s.type == "s3" && s.bucket.empty()) out.bucket = ActiveBucketIn(state, config.coordinator);
  if (s.type == "kafka" && s.bootstrap_servers.empty()) out.bootstrap_servers = ActiveKafkaIn(state, config);
  const json moved = state.is_object() && state.contains("database") ? state["database"] : json();
  if (s.type == "postgresql" && StateString(moved, "service", "") == s.name) {
    out.primary = StateString(moved, "primary", s.primary);
    out.standby = StateString(moved, "standby", s.standby);
  }
  return out;
}

// The state file at `path`: empty when there is none; kCorrupt when it is not a JSON object.
Result<json> ReadStateFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return json::object();
  DR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  json state = json::parse(text, nullptr, false);
  if (state.is_discarded() || !state.is_object()) return Corrupt("the coordinator state " + path + " is not JSON");
  return state;
}

// The coordinator's state as saved in <state_dir>/state.json; empty without
// one, and without a dr_coordinator section (the default state_dir may hold
// another installation's state).
Result<json> ReadSavedState(const config::Config& config) {
  if (!config.coordinator_configured || config.coordinator.state_dir.empty()) return json::object();
  return ReadStateFile(config.coordinator.state_dir + "/state.json");
}

Health Worst(Health a, Health b) { return static_cast<int>(a) > static_cast<int>(b) ? a : b; }

}  // namespace

json HealthReport::ToJson() const {
  json services = json::object();
  for (const auto& s : this->services) {
    services[s.name] = {{"type", s.type},
                        {"status", HealthName(s.status)},
                        {"last_check", HealthName(s.last_check)},
                        {"latency_ms", std::round(s.latency_ms * 10) / 10},
                        {"consecutive_failures", s.consecutive_failures},
                        {"details", s.details}};
    if (!s.error.empty()) services[s.name]["error"] = s.error;
  }
  return {{"timestamp", timestamp}, {"overall_status", overall_status}, {"services", services}};
}

DisasterRecoveryCoordinator::DisasterRecoveryCoordinator(config::Config config, Clock& clock,
                                                         events::EventSink* sink)
    : config_(std::move(config)), clock_(clock), sink_(sink) {}

DisasterRecoveryCoordinator::~DisasterRecoveryCoordinator() = default;

std::string DisasterRecoveryCoordinator::Timestamp() const { return FormatUtc(clock_.Now(), true); }

Status DisasterRecoveryCoordinator::Init() {
  if (initialized_) return Status::Ok();
  const auto& c = config_.coordinator;
  if (!config_.coordinator_configured) return ConfigError("the configuration has no dr_coordinator section");
  DR_RETURN_IF_ERROR(MakeDirs(c.state_dir, 0755).WithContext("unable to create the state directory"));
  DR_ASSIGN_OR_RETURN(events_, events::EventStore::Open(events::HistoryPath(config_), clock_));
  if (auto text = ReadFile(c.state_dir + "/state.json"); text.ok()) {
    state_ = json::parse(*text, nullptr, false);
    if (state_.is_discarded() || !state_.is_object()) {
      state_ = json::object();
      return Corrupt("the coordinator state " + c.state_dir + "/state.json is not a JSON object");
    }
  }
  // What the checks need besides each service, resolved once (credentials may come from a file).
  check_context_.dns_server = c.dns_server;
  const auto& lake = config_.s3;
  check_context_.s3.endpoint = lake.endpoint.empty() ? "https://s3." + lake.region + ".amazonaws.com" : lake.endpoint;
  check_context_.s3.region = lake.region;
  check_context_.s3.path_style = lake.force_path_style;
  if (auto creds = net::s3::ResolveCredentials(lake.access_key_id, lake.secret_access_key); creds.ok()) {
    check_context_.s3.credentials = *creds;
  }
  if (auto mirror = source::MirrorFromConfig(config_); mirror.ok()) check_context_.s3_mirror = mirror->target;
  check_context_.kafka_properties = config_.kafka.ClientProperties();
  for (const std::string& servers : {config_.kafka.bootstrap_servers, c.kafka_replica_bootstrap_servers}) {
    if (!servers.empty()) check_context_.kafka_platform_servers.push_back(servers);
  }
  initialized_ = true;
  return Status::Ok();
}

Status DisasterRecoveryCoordinator::SaveState(const std::string& key,
                                              const std::function<Status(const json& on_disk)>& check) {
  unsaved_.insert(key);  // until written
  const std::string dir = config_.coordinator.state_dir;
  const std::string lock_path = dir + "/state.lock";
  // Never through a symlink, and given to the directory's owner only when
  // this call made it (ownership.h: root must not chown what it was pointed at).
  int fd = ::open(lock_path.c_str(), O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd >= 0) {
    GiveToDirectoryOwner(fd, lock_path);
  } else if (errno == EEXIST) {
    fd = ::open(lock_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) return IoError("unable to open " + lock_path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || ::flock(fd, LOCK_EX) != 0) {
    Status failed = IoError("unable to lock " + lock_path + " (a regular file is expected): " + std::strerror(errno));
    ::close(fd);
    return failed;
  }
  // The other keys as they are now: another process may have changed them.
  // A state that cannot be read is not overwritten with this key alone.
  const std::string path = dir + "/state.json";
  auto read = ReadStateFile(path);
  if (!read.ok()) {
    ::close(fd);
    return read.status().WithContext("'" + key + "' not saved");
  }
  json on_disk = std::move(*read);
  if (check) {
    if (Status s = check(on_disk); !s.ok()) {
      ::close(fd);
      state_ = std::move(on_disk);
      unsaved_.erase(key);  // refused: the disk's value is the one
      return s;
    }
  }
  if (state_.contains(key)) {
    on_disk[key] = state_[key];
  } else {
    on_disk.erase(key);
  }
  state_ = std::move(on_disk);
  Status written = WriteFileAtomic(path, state_.dump(2) + "\n", {});
  ::close(fd);  // releases the lock
  if (written.ok()) unsaved_.erase(key);
  return written;
}

void DisasterRecoveryCoordinator::RecordEvent(const std::string& type, const json& data) {
  if (sink_ == nullptr && !events_) return;
  Status s = sink_ != nullptr ? sink_->Emit(type, data) : events_->Record(Timestamp(), type, data);
  if (!s.ok()) {
    std::cerr << "ecap-dr: WARNING: " << s.message() << "\n";
  }
}

config::CoordinatedService DisasterRecoveryCoordinator::Current(const config::CoordinatedService& s) const {
  return CurrentIn(state_, config_, s);
}

const config::CoordinatedService* DisasterRecoveryCoordinator::Database() const {
  for (const auto& s : config_.coordinator.services) {
    if (s.type == "postgresql" && !s.standby.empty()) return &s;
  }
  return nullptr;
}

Result<HealthReport> DisasterRecoveryCoordinator::CheckHealth(bool apply_threshold) {
  DR_RETURN_IF_ERROR(Init());
  const auto& c = config_.coordinator;
  // What another process changed since (a switch by hand, the leader's
  // failover: a follower saves nothing) decides where this round's checks go.
  // The primary's last LSN is this process's own observation and stays, as
  // does what it could not save (unsaved_).
  if (auto fresh = ReadStateFile(c.state_dir + "/state.json"); fresh.ok()) {
    std::set<std::string> keep = unsaved_;
    keep.insert("last_primary_lsn");
    for (const auto& key : keep) {
      if (state_.contains(key)) (*fresh)[key] = state_[key];
    }
    state_ = std::move(*fresh);
  }
  const CheckContext& ctx = check_context_;
  HealthReport report;
  report.timestamp = Timestamp();
  Health overall = Health::kHealthy;
  // Checks run in parallel: one slow service does not delay the others' verdicts.
  // A service with its own interval longer than the round's is checked when it is due; in
  // between, its last verdict stands.
  std::vector<std::future<CheckResult>> running;
  std::vector<config::CoordinatedService> services;
  std::vector<bool> due;
  auto mono = clock_.Monotonic();
  for (const auto& s : c.services) {
    services.push_back(Current(s));
    bool is_due = !apply_threshold || s.interval_seconds <= 0 || !next_check_.count(s.name) || mono >= next_check_[s.name];
    due.push_back(is_due);
    if (is_due && s.interval_seconds > 0) {
      next_check_[s.name] = mono + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       std::chrono::duration<double>(s.interval_seconds));
    }
  }
  for (size_t i = 0; i < services.size(); ++i) {
    running.push_back(due[i] ? std::async(std::launch::async, [&ctx, s = services[i]] { return RunCheck(s, ctx); })
                             : std::future<CheckResult>());
  }
  auto now = clock_.Now();
  for (size_t i = 0; i < services.size(); ++i) {
    const auto& s = services[i];
    if (!due[i]) {
      report.services.push_back(health_[s.name]);
      overall = Worst(overall, health_[s.name].status);
      continue;
    }
    CheckResult r = running[i].get();
    ServiceHealth& h = health_[s.name];
    Health before = h.name.empty() ? Health::kHealthy : h.status;
    h.name = s.name;
    h.type = s.type;
    h.last_check = r.status;
    h.latency_ms = r.latency_ms;
    h.error = r.error;
    h.details = r.details;
    int threshold = s.failure_threshold > 0 ? s.failure_threshold : c.failure_threshold;
    if (r.status == Health::kFailed) {
      if (h.consecutive_failures++ == 0) first_failure_[s.name] = now;
      // Below the threshold a failure only degrades: one slow answer never fails a service over.
      h.status = h.consecutive_failures >= threshold || !apply_threshold ? Health::kFailed : Health::kDegraded;
    } else {
      h.consecutive_failures = 0;
      h.status = r.status;
      if (r.status == Health::kHealthy) refused_since_failure_ = false;
    }
    if (s.type == "postgresql" && r.status != Health::kFailed) {
      int64_t lsn = ParseLsn(r.details["primary"].value("lsn", ""));
      if (lsn >= 0) {
        primary_lsns_.emplace_back(now, lsn);
        while (primary_lsns_.size() > 1000) primary_lsns_.pop_front();
        state_["last_primary_lsn"] = {{"service", s.name}, {"lsn", lsn}, {"time", FormatUtc(now, true)}};
      }
    }
    if (h.status != before && !follower_) {
      RecordEvent("health_changed", {{"service", s.name}, {"from", HealthName(before)}, {"to", HealthName(h.status)},
                                     {"error", h.error}, {"consecutive_failures", h.consecutive_failures}});
    }
    overall = Worst(overall, h.status);
    report.services.push_back(h);
  }
  report.overall_status = HealthName(overall);
  return report;
}

Status DisasterRecoveryCoordinator::Monitor(const MonitorOptions& options) {
  DR_RETURN_IF_ERROR(Init());
  const auto& c = config_.coordinator;
  auto start = clock_.Monotonic();
  MonitorObserver silent;
  MonitorObserver& observer = options.observer != nullptr ? *options.observer : silent;

  // With etcd, only the leader acts; a thread renews the lease every TTL/3.
  std::unique_ptr<EtcdLeader> leader;
  std::jthread campaign;
  if (!c.etcd_endpoints.empty()) {
    leader = std::make_unique<EtcdLeader>(c.etcd_endpoints, "/ecap-dr/coordinator/leader",
                                          HostName() + ":" + std::to_string(::getpid()), c.lease_seconds);
    campaign = std::jthread([&](std::stop_token stop) {
      bool was = false;
      std::string last_error;
      do {
        auto led = leader->Campaign();
        bool is = led.ok() && *led;
        if (!led.ok() && led.status().message() != last_error) {
          last_error = led.status().message();
          observer.OnWarning("leader election: " + last_error);
        }
        if (is != was) {
          RecordEvent(is ? "leader_acquired" : "leader_lost", {{"coordinator", leader->id()}});
          observer.OnLeadership(is, leader->id());
          was = is;
        }
      } while (clock_.SleepFor(std::chrono::milliseconds(c.lease_seconds * 1000 / 3), stop));
    });
  }
  auto acting = [&] { return !leader || leader->IsLeader(); };

  RecordEvent("monitor_started", {{"auto_failover", c.auto_failover}, {"interval_seconds", c.check_interval_seconds},
                                  {"coordinator", leader ? leader->id() : std::string("standalone")}});
  double interval = c.check_interval_seconds;  // between rounds: the shortest of the global and the services' own
  for (const auto& svc : c.services) {
    if (svc.interval_seconds > 0) interval = std::min(interval, svc.interval_seconds);
  }
  Status status = Status::Ok();
  while (true) {
    auto round = clock_.Monotonic();
    follower_ = !acting();
    auto report = CheckHealth(/*apply_threshold=*/true);
    if (!report.ok()) {
      status = report.status();
      break;
    }
    observer.OnRound(*report, leader ? (follower_ ? "follower" : "leader") : "");
    const auto* db = Database();
    if (db != nullptr && c.auto_failover && health_[db->name].status == Health::kFailed && !refused_since_failure_ &&
        acting()) {
      FailoverResult r = Failover({.reason = "automatic: " + db->name + " failed " +
                                             std::to_string(health_[db->name].consecutive_failures) +
                                             " checks in a row (" + health_[db->name].error + ")",
                                   .automatic = true,
                                   .detected_at = first_failure_[db->name],
                                   .still_leader = acting});
      observer.OnFailover(r);
      if (r.success) {
        health_.erase(db->name);  // the new primary starts with a clean record
        first_failure_.erase(db->name);
      } else {
        refused_since_failure_ = true;  // not again until the service has been healthy
      }
    }
    if (acting()) (void)SaveState("last_primary_lsn");
    if (options.stop.stop_requested()) break;
    auto now = clock_.Monotonic();
    if (options.max_seconds > 0 && SecondsOf(now - start) >= options.max_seconds) break;
    auto next = round + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(interval));
    if (next > now && !clock_.SleepFor(next - now, options.stop)) break;
  }
  if (leader) {
    campaign.request_stop();
    campaign.join();
    if (leader->IsLeader()) RecordEvent("leader_lost", {{"coordinator", leader->id()}, {"resigned", true}});
    leader->Resign();
  }
  RecordEvent("monitor_stopped", json::object());
  return status;
}

FailoverResult DisasterRecoveryCoordinator::Failover(const FailoverRequest& request) {
  SysTime decided = clock_.Now();
  FailoverResult result;
  result.reason = request.reason;
  result.automatic = request.automatic;
  result.status = "failed";
  if (Status s = Init(); !s.ok()) {
    result.error = s;
    return result;
  }
  const auto& c = config_.coordinator;
  const config::CoordinatedService* db = Database();
  if (db == nullptr) {
    result.error = ConfigError("no postgresql service with a standby in dr_coordinator.services: nothing to fail over");
    return result;
  }
  config::CoordinatedService svc = Current(*db);
  if (svc.standby.empty()) {
    result.error = Failed("service '" + db->name + "' has no standby left to fail over to (it failed over "
                          "already?): rebuild one from the primary and `ecap-dr standby attach` it");
    return result;
  }
  int timeout = std::max(1, static_cast<int>(svc.timeout_seconds + 0.999));
  auto database = NewPostgresOps(svc.primary, svc.standby, timeout);
  auto dns = c.dns_server.empty() ? nullptr : NewDnsOps(c, svc.timeout_seconds);
  auto hooks = NewShellHookRunner();
  std::optional<int64_t> saved_lsn;
  if (state_.contains("last_primary_lsn")) saved_lsn = state_["last_primary_lsn"].value("lsn", int64_t{-1});
  FailoverInput input{
      .config = c,
      .service = svc,
      .decided_at = decided,
      .event_history = events::HistoryPath(config_),
      .mirror_pass_file = config_.s3.mirror_source.empty() ? "" : source::MirrorPassFile(config_.s3.MirrorStateFile()),
      .primary_lsns = primary_lsns_,
      .saved_primary_lsn = saved_lsn};
  FailoverDeps deps{.database = *database,
                    .dns = dns.get(),
                    .hooks = *hooks,
                    .clock = clock_,
                    .record_event = [this](const std::string& type, const json& data) { RecordEvent(type, data); },
                    .save_state = [this](const std::string& key, const json& value) {
                      state_[key] = value;
                      return SaveState(key);
                    }};
  return RunFailover(request, input, deps);
}

Result<json> DisasterRecoveryCoordinator::FailoverPart(const std::string& part, const std::string& to) {
  DR_RETURN_IF_ERROR(Init());
  const auto& c = config_.coordinator;
  const config::CoordinatedService* db = Database();
  bool needs_database = part != "storage_switch" && part != "repository_switch" && part != "kafka_switch" &&
                        !(part == "dns_switch" && !to.empty() && to != "primary");
  if (needs_database && db == nullptr) {
    return ConfigError("no postgresql service with a standby in dr_coordinator.services: nothing to " + part);
  }
  config::CoordinatedService svc = db != nullptr ? Current(*db) : config::CoordinatedService{};
  auto database = NewPostgresOps(svc.primary, svc.standby, std::max(1, static_cast<int>(svc.timeout_seconds + 0.999)));
  auto dns = c.dns_server.empty() ? nullptr : NewDnsOps(c, std::max(1.0, svc.timeout_seconds));
  auto hooks = NewShellHookRunner();
  PartDeps deps{.database = *database,
                .dns = dns.get(),
                .hooks = *hooks,
                .clock = clock_,
                .sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); },
                .save_state = [this](const std::string& key, const json& value) {
                  state_[key] = value;
                  return SaveState(key);
                }};
  Result<json> r = InvalidArgument("no failover part '" + part +
                                   "' (there are: fence, promote, dns_switch, storage_switch, repository_switch, "
                                   "kafka_switch, compute_hooks, attach_standby)");
  if (part == "fence") r = FencePrimary(c, svc, deps);
  if (part == "promote") r = PromoteStandby(c, svc, deps);
  if (part == "dns_switch") r = SwitchDns(c, deps, to.empty() || to == "primary" ? HostOfConninfo(svc.primary) : to);
  if (part == "storage_switch") {
    r = SwitchStorage(c, deps, to.empty() ? "replica" : to, ActiveBucketIn(state_, c));
  }
  if (part == "repository_switch") {
    r = SwitchRepository(config_, deps, to.empty() ? "replica" : to, ActiveRepositoryIn(state_, config_));
  }
  if (part == "kafka_switch") {
    r = SwitchKafka(config_, deps, to.empty() ? "replica" : to, ActiveKafkaIn(state_, config_));
  }
  if (part == "compute_hooks") r = RunComputeHooks(c, deps, HostOfConninfo(svc.primary));
  if (part == "attach_standby") {
    // Saved only if the primary on disk is still the one checked: a failover
    // meanwhile (the monitor) must not be undone by this attach.
    deps.save_state = [this, db, primary = svc.primary](const std::string& key, const json& value) {
      state_[key] = value;
      return SaveState(key, [&](const json& on_disk) -> Status {
        if (CurrentIn(on_disk, config_, *db).primary != primary) {
          return Failed("the database's primary changed while the standby was checked (a failover?): run the "
                        "attach again");
        }
        return Status::Ok();
      });
    };
    r = AttachStandby(c, svc, deps, to, state_.value("database", json::object()));
  }
  json event{{"part", part}, {"status", r.ok() ? "completed" : "failed"}};
  if (r.ok()) event["result"] = *r;
  if (!r.ok()) event["error"] = r.status().message();
  RecordEvent("failover_part", event);
  return r;
}

Result<std::vector<events::Event>> DisasterRecoveryCoordinator::Events(int limit, const std::vector<std::string>& types) {
  DR_RETURN_IF_ERROR(Init());
  return events_->List(limit, types);
}

Result<json> DisasterRecoveryCoordinator::RtoRpoReport() {
  DR_RETURN_IF_ERROR(Init());
  const auto& c = config_.coordinator;
  DR_ASSIGN_OR_RETURN(auto events, events_->List(100000, {"failover_completed", "failover_failed", "failover_refused",
                                                          "drill_completed"}));
  json rows = json::array();
  int met = 0, completed = 0;
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    const json& d = it->data;
    json row{{"timestamp", it->timestamp}, {"event_type", it->event_type}, {"reason", d.value("reason", "")},
             {"automatic", d.value("automatic", false)}, {"rto_seconds", d.value("rto_seconds", -1.0)},
             {"rpo_seconds", d.value("rpo_seconds", -1.0)}, {"rto_met", d.value("rto_met", false)},
             {"rpo_met", d.value("rpo_met", false)}, {"phases", d.value("phases", json::object())}};
    if (it->event_type == "failover_completed" || it->event_type == "drill_completed") {
      completed++;
      met += d.value("rto_met", false) && d.value("rpo_met", false);
    }
    rows.push_back(row);
  }
  return json{{"rto_target_seconds", c.rto_target_minutes * 60}, {"rpo_target_seconds", c.rpo_target_minutes * 60},
              {"events", rows}, {"completed", completed}, {"within_targets", met}};
}

}  // namespace dr::coordinator

namespace dr::coordinator {

Result<std::string> ActiveBucket(const config::Config& config) {
  DR_ASSIGN_OR_RETURN(json state, ReadSavedState(config));
  return ActiveBucketIn(state, config.coordinator);
}

Result<std::string> ActiveRepository(const config::Config& config) {
  DR_ASSIGN_OR_RETURN(json state, ReadSavedState(config));
  return ActiveRepositoryIn(state, config);
}

Result<std::string> ActiveKafka(const config::Config& config) {
  DR_ASSIGN_OR_RETURN(json state, ReadSavedState(config));
  return ActiveKafkaIn(state, config);
}

bool KafkaHasReplica(const config::Config& config) {
  return config.kafka_configured && !config.coordinator.kafka_replica_bootstrap_servers.empty();
}

Result<std::string> ResolveKafka(const config::Config& config, const std::string& to) {
  const std::string& primary = config.kafka.bootstrap_servers;
  const std::string& replica = config.coordinator.kafka_replica_bootstrap_servers;
  if (!KafkaHasReplica(config)) {
    return ConfigError("no Kafka brokers in the backup region are configured "
                       "(dr_coordinator.failover.kafka.replica_bootstrap_servers, with a kafka: section)");
  }
  if (to == "replica" || to == replica) return replica;
  if (to == "primary" || to == primary) return primary;
  return InvalidArgument("Kafka can be switched to '" + primary + "' (primary) or '" + replica + "' (replica), not '" +
                         to + "'");
}

Result<config::CoordinatedService> ServiceAsServedNow(const config::Config& config,
                                                      const config::CoordinatedService& service) {
  DR_ASSIGN_OR_RETURN(json state, ReadSavedState(config));
  return CurrentIn(state, config, service);
}

Result<config::PostgresConfig> PostgresAsServedNow(const config::Config& config) {
  config::PostgresConfig now = config.postgresql;
  DR_ASSIGN_OR_RETURN(json state, ReadSavedState(config));
  const json moved = state.contains("database") ? state["database"] : json();
  for (const auto& s : config.coordinator.services) {
    if (s.type != "postgresql" || s.name != StateString(moved, "service", "")) continue;
    auto configured = net::pg::ParseConninfo(s.primary);
    auto current = net::pg::ParseConninfo(CurrentIn(state, config, s).primary);
    if (!configured.ok() || !current.ok()) return now;
    auto value = [](const std::map<std::string, std::string>& conninfo, const std::string& key) {
      auto it = conninfo.find(key);
      return it == conninfo.end() ? std::string() : it->second;
    };
    std::string port = value(*configured, "port");
    if (value(*configured, "host") != now.host || (!port.empty() && port != std::to_string(now.port))) return now;
    if (!value(*current, "host").empty()) now.host = value(*current, "host");
    std::string current_port = value(*current, "port");
    int port_number = 0;
    auto [end, error] = std::from_chars(current_port.data(), current_port.data() + current_port.size(), port_number);
    if (error == std::errc() && end == current_port.data() + current_port.size() && port_number > 0) {
      now.port = port_number;
    }
    return now;
  }
  return now;
}

Result<config::RepositoryLocation> ResolveRepository(const config::Config& config, const std::string& to) {
  if (to == "primary" || to == config.repository.Describe()) return config.repository;
  if (to == "replica") {
    if (config.replicas.empty()) {
      return ConfigError("no replica of the repository is configured (the replicas: section): nothing to switch to");
    }
    return config.replicas.front();
  }
  std::string known = "primary (" + config.repository.Describe() + ")";
  const config::RepositoryLocation* found = nullptr;
  for (const auto& replica : config.replicas) {
    known += ", " + replica.Describe();
    if (to != replica.Describe()) continue;
    if (found != nullptr) {
      return InvalidArgument("two replicas are at " + to + " (endpoints " + found->endpoint + " and " +
                             replica.endpoint + "): a switch names a repository by its location and cannot tell "
                             "them apart; give one of them its own prefix");
    }
    found = &replica;
  }
  if (found != nullptr) return *found;
  return InvalidArgument("no repository '" + to + "' in the configuration (there are: " + known + ")");
}

}  // namespace dr::coordinator
