#include "coordinator/coordinator.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>
#include <iostream>
#include <thread>

#include "base/fs.h"
#include "base/time_util.h"
#include "coordinator/dns.h"
#include "coordinator/leader.h"
#include "source/postgres/pg_client.h"
#include "source/s3lake/mirror.h"

namespace dr::coordinator {

using nlohmann::json;
using SysTime = std::chrono::system_clock::time_point;

namespace {

template <typename Rep, typename Period>
double Secs(std::chrono::duration<Rep, Period> d) {
  return std::chrono::duration<double>(d).count();
}

Health Worst(Health a, Health b) { return static_cast<int>(a) > static_cast<int>(b) ? a : b; }

// The address a conninfo points at (what the DNS record holds for it).
std::string HostOf(const std::string& conninfo) {
  auto s = source::pg::ParseConninfo(conninfo);
  if (!s.ok()) return "";
  if (s->count("hostaddr")) return s->at("hostaddr");
  return s->count("host") ? s->at("host") : "";
}

std::string WithHost(const std::string& conninfo, const std::string& host) {
  auto s = source::pg::ParseConninfo(conninfo);
  if (!s.ok()) return conninfo;
  s->erase("hostaddr");
  (*s)["host"] = host;
  return source::pg::MakeConninfo(*s);
}

// A committed write, as a client's: it fails on a standby, and (bounded by the
// statement timeout) shows a commit that waits for a synchronous standby.
// A temporary table leaves nothing behind in the user's database.
Status ProbeWrite(const std::string& conninfo, int timeout_seconds) {
  DR_ASSIGN_OR_RETURN(auto conn, source::pg::Connection::OpenConninfo(conninfo, timeout_seconds));
  DR_RETURN_IF_ERROR(conn->Exec("SET statement_timeout = " + std::to_string(std::max(timeout_seconds, 1) * 1000)));
  DR_RETURN_IF_ERROR(conn->Exec("CREATE TEMP TABLE IF NOT EXISTS ecap_dr_write_probe (at timestamptz)"));
  return conn->Exec("INSERT INTO ecap_dr_write_probe VALUES (now())");
}

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

json FailoverResult::ToJson() const {
  json st = json::array();
  for (const auto& s : steps) {
    st.push_back({{"name", s.name}, {"status", s.status}, {"duration_seconds", s.duration_seconds},
                  {"details", s.details}});
  }
  json j{{"success", success},     {"status", status},       {"reason", reason},       {"automatic", automatic},
         {"forced", forced},       {"old_primary", old_primary}, {"new_primary", new_primary}, {"steps", st},
         {"rto_seconds", rto_seconds}, {"rpo_seconds", rpo_seconds}, {"storage_rpo_seconds", storage_rpo_seconds},
         {"lag_bytes", lag_bytes},
         {"phases", phases},       {"rto_met", rto_met},     {"rpo_met", rpo_met}};
  if (!error.empty()) j["error"] = error;
  return j;
}

DisasterRecoveryCoordinator::DisasterRecoveryCoordinator(config::Config config, Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

DisasterRecoveryCoordinator::~DisasterRecoveryCoordinator() = default;

std::string DisasterRecoveryCoordinator::Timestamp() const { return FormatUtc(clock_.Now(), true); }

Status DisasterRecoveryCoordinator::Init() {
  if (initialized_) return Status::Ok();
  const auto& c = config_.coordinator;
  if (!config_.coordinator_configured) return ConfigError("the configuration has no dr_coordinator section");
  std::error_code ec;
  std::filesystem::create_directories(c.state_dir, ec);
  if (ec) return IoError("unable to create the state directory " + c.state_dir + ": " + ec.message());
  DR_ASSIGN_OR_RETURN(events_, EventStore::Open(c.state_dir + "/events.db"));
  if (auto text = ReadFile(c.state_dir + "/state.json"); text.ok()) {
    state_ = json::parse(*text, nullptr, false);
    if (state_.is_discarded()) return Corrupt("the coordinator state " + c.state_dir + "/state.json is not JSON");
  }
  // What the checks need besides each service, resolved once (credentials may come from a file).
  check_context_.dns_server = c.dns_server;
  const auto& lake = config_.s3;
  check_context_.s3.endpoint = lake.endpoint.empty() ? "https://s3." + lake.region + ".amazonaws.com" : lake.endpoint;
  check_context_.s3.region = lake.region;
  check_context_.s3.path_style = lake.force_path_style;
  if (auto creds = storage::s3::ResolveCredentials(lake.access_key_id, lake.secret_access_key); creds.ok()) {
    check_context_.s3.credentials = *creds;
  }
  initialized_ = true;
  return Status::Ok();
}

Status DisasterRecoveryCoordinator::SaveState() {
  return WriteFileAtomic(config_.coordinator.state_dir + "/state.json", state_.dump(2) + "\n", {});
}

void DisasterRecoveryCoordinator::RecordEvent(const std::string& type, const json& data) {
  if (!events_) return;
  if (Status s = events_->Record(Timestamp(), type, data); !s.ok()) {
    std::cerr << "ecap-dr: WARNING: " << s.message() << "\n";
  }
}

config::CoordinatedService DisasterRecoveryCoordinator::Current(const config::CoordinatedService& s) const {
  config::CoordinatedService out = s;
  if (s.type == "postgresql" && state_.contains("database") && state_["database"].value("service", "") == s.name) {
    out.primary = state_["database"].value("primary", s.primary);
    out.standby = state_["database"].value("standby", s.standby);
  }
  return out;
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
  auto stopping = [&] { return options.stop != nullptr && options.stop->load(); };

  // With etcd, only the leader acts; a thread renews the lease every TTL/3.
  std::unique_ptr<EtcdLeader> leader;
  std::thread campaign;
  std::atomic<bool> campaign_stop{false};
  if (!c.etcd_endpoints.empty()) {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    leader = std::make_unique<EtcdLeader>(c.etcd_endpoints, "/ecap-dr/coordinator/leader",
                                          std::string(host) + ":" + std::to_string(::getpid()), c.lease_seconds);
    campaign = std::thread([&] {
      bool was = false;
      std::string last_error;
      while (!campaign_stop) {
        auto led = leader->Campaign();
        bool is = led.ok() && *led;
        if (!led.ok() && led.status().message() != last_error) {
          last_error = led.status().message();
          std::cerr << "ecap-dr: WARNING: leader election: " << last_error << std::endl;
        }
        if (is != was) {
          RecordEvent(is ? "leader_acquired" : "leader_lost", {{"coordinator", leader->id()}});
          if (options.print) std::cout << (is ? "leader: " : "no longer leader: ") << leader->id() << std::endl;
          was = is;
        }
        for (int i = 0; i < c.lease_seconds * 1000 / 3 / 20 && !campaign_stop; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
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
    if (options.print) {
      std::cout << report->timestamp << (leader ? (follower_ ? " [follower] " : " [leader] ") : " ")
                << report->overall_status;
      for (const auto& s : report->services) {
        std::cout << " " << s.name << "=" << HealthName(s.status);
        if (s.consecutive_failures > 0) std::cout << "(" << s.consecutive_failures << ")";
      }
      std::cout << std::endl;
    }
    const auto* db = Database();
    if (db != nullptr && c.auto_failover && health_[db->name].status == Health::kFailed && !refused_since_failure_ &&
        acting()) {
      FailoverResult r = Failover({.reason = "automatic: " + db->name + " failed " +
                                             std::to_string(health_[db->name].consecutive_failures) +
                                             " checks in a row (" + health_[db->name].error + ")",
                                   .automatic = true,
                                   .detected_at = first_failure_[db->name],
                                   .still_leader = acting});
      if (options.print) std::cout << "failover " << r.status << (r.error.empty() ? "" : ": " + r.error) << std::endl;
      if (r.success) {
        health_.erase(db->name);  // the new primary starts with a clean record
        first_failure_.erase(db->name);
      } else {
        refused_since_failure_ = true;  // not again until the service has been healthy
      }
    }
    if (acting()) (void)SaveState();
    if (stopping()) break;
    if (options.max_seconds > 0 && Secs(clock_.Monotonic() - start) >= options.max_seconds) break;
    auto next = round + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(interval));
    while (clock_.Monotonic() < next && !stopping()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (leader) {
    campaign_stop = true;
    campaign.join();
    if (leader->IsLeader()) RecordEvent("leader_lost", {{"coordinator", leader->id()}, {"resigned", true}});
    leader->Resign();
  }
  RecordEvent("monitor_stopped", json::object());
  return status;
}

FailoverResult DisasterRecoveryCoordinator::Failover(const FailoverRequest& request) {
  FailoverResult result;
  result.reason = request.reason;
  result.automatic = request.automatic;
  result.status = "failed";
  SysTime t0 = request.automatic && request.detected_at != SysTime{} ? request.detected_at : clock_.Now();
  SysTime decided = clock_.Now();
  auto mono = [&] { return clock_.Monotonic(); };
  if (Status s = Init(); !s.ok()) {
    result.error = s.message();
    return result;
  }
  const auto& c = config_.coordinator;
  const config::CoordinatedService* db = Database();
  if (db == nullptr) {
    result.error = "no postgresql service with a standby in dr_coordinator.services: nothing to fail over";
    return result;
  }
  config::CoordinatedService svc = Current(*db);
  if (svc.standby.empty()) {
    result.error = "service '" + db->name + "' has no standby left to fail over to (it failed over already?)";
    return result;
  }
  result.old_primary = HostOf(svc.primary);
  result.new_primary = HostOf(svc.standby);
  int timeout = std::max(1, static_cast<int>(svc.timeout_seconds + 0.999));
  double rto_target = c.rto_target_minutes * 60, rpo_target = c.rpo_target_minutes * 60;

  struct Undo {
    std::string step;
    std::function<Status()> fn;
  };
  std::vector<Undo> undo;
  auto finish = [&](const std::string& status, const std::string& error) {
    result.status = status;
    result.error = error;
    if (status == "failed") {
      // Roll back what can be, newest first.
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
        auto s0 = mono();
        Status s = it->fn();
        result.steps.push_back({"rollback_" + it->step, s.ok() ? "rolled_back" : "failed", Secs(mono() - s0),
                                s.ok() ? "undone" : s.message()});
      }
    }
    json data = result.ToJson();
    data["dry_run"] = request.dry_run;
    RecordEvent(request.dry_run ? "failover_dry_run" : "failover_" + status, data);
    return result;
  };
  auto step = [&](const std::string& name, const std::function<Status(std::string*)>& fn) -> bool {
    auto s0 = mono();
    std::string details;
    Status s = fn(&details);
    result.steps.push_back({name, s.ok() ? "ok" : "failed", Secs(mono() - s0), s.ok() ? details : s.message()});
    if (!request.dry_run) {
      RecordEvent("failover_step", {{"step", name}, {"status", s.ok() ? "ok" : "failed"}, {"details", result.steps.back().details},
                                    {"duration_seconds", result.steps.back().duration_seconds}});
    }
    return s.ok();
  };
  if (!request.dry_run) {
    RecordEvent("failover_started", {{"reason", request.reason}, {"automatic", request.automatic},
                                     {"old_primary", result.old_primary}, {"new_primary", result.new_primary}});
  }

  // 1. Preconditions: nothing changes until all hold.
  std::optional<Endpoint> dns;
  TsigKey tsig;
  bool primary_alive = false;
  bool refused = false;  // a guard said no (RPO, a second writable primary), as opposed to an error
  auto pre_start = mono();
  bool pre_ok = step("preconditions", [&](std::string* details) -> Status {
    DR_ASSIGN_OR_RETURN(auto standby, source::pg::Connection::OpenConninfo(svc.standby, timeout));
    DR_ASSIGN_OR_RETURN(auto rows, standby->Query(
        "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, ''),"
        " coalesce(extract(epoch from pg_last_xact_replay_timestamp())::text, '')"));
    if (rows.empty() || rows[0][0] != "t") {
      return Failed("standby " + standby->where() + " is not in recovery: it is a primary already");
    }
    int64_t replay = ParseLsn(rows[0][1]);
    // How far behind: against the primary now if it answers, else against what the monitor last saw.
    int64_t primary_lsn = -1;
    auto primary = source::pg::Connection::OpenConninfo(svc.primary, std::min(timeout, 3));
    if (primary.ok()) {
      auto lsn = (*primary)->QueryValue("SELECT pg_current_wal_lsn()::text");
      if (lsn.ok()) {
        primary_alive = true;
        primary_lsn = ParseLsn(*lsn);
      }
    }
    SysTime now = clock_.Now();
    if (primary_alive) {
      result.lag_bytes = std::max<int64_t>(0, primary_lsn - replay);
      double replayed_at = rows[0][2].empty() ? 0 : std::stod(rows[0][2]);
      result.rpo_seconds = result.lag_bytes == 0 ? 0 : std::max(0.0, Secs(now.time_since_epoch()) - replayed_at);
    } else if (!primary_lsns_.empty() || state_.contains("last_primary_lsn")) {
      int64_t last = primary_lsns_.empty() ? state_["last_primary_lsn"].value("lsn", int64_t{-1}) : primary_lsns_.back().second;
      result.lag_bytes = std::max<int64_t>(0, last - replay);
      // The newest sample the standby has replayed: writes after it may be lost.
      SysTime safe{};
      for (auto it = primary_lsns_.rbegin(); it != primary_lsns_.rend(); ++it) {
        if (it->second <= replay) {
          safe = it->first;
          break;
        }
      }
      if (result.lag_bytes == 0) {
        result.rpo_seconds = 0;
      } else {
        result.rpo_seconds = safe == SysTime{} ? -1 : std::max(0.0, Secs(t0 - safe));
      }
    }
    *details = "standby " + standby->where() + " in recovery at " + rows[0][1] + "; primary " +
               (primary_alive ? "reachable" : "unreachable") + "; lag " + std::to_string(result.lag_bytes) +
               " bytes, estimated RPO " + (result.rpo_seconds < 0 ? std::string("unknown") :
                                           std::to_string(result.rpo_seconds) + " s");
    bool behind = result.rpo_seconds < 0 ? result.lag_bytes > 0 : result.rpo_seconds > rpo_target;
    if (behind) {
      if (request.automatic || !request.force) {
        refused = true;
        return Failed("the standby is behind: failing over would lose about " +
                      (result.rpo_seconds < 0 ? std::to_string(result.lag_bytes) + " bytes"
                                              : std::to_string(static_cast<int64_t>(result.rpo_seconds)) + " s") +
                      " of writes, more than the RPO target of " + std::to_string(static_cast<int64_t>(rpo_target)) +
                      " s" + (request.automatic ? "; automatic failover refused" : "; pass --force to fail over anyway"));
      }
      result.forced = true;
      *details += "; forced past the RPO target";
    }
    if (primary_alive && c.fence_command.empty()) {
      refused = true;
      return Failed("the primary " + result.old_primary + " still answers and no fence_command is configured: "
                    "refusing to make a second writable primary");
    }
    if (!c.dns_server.empty()) {
      DR_ASSIGN_OR_RETURN(auto ep, ParseEndpoint(c.dns_server, 53));
      dns = ep;
      DR_ASSIGN_OR_RETURN(tsig, LoadTsigKey(c.dns_tsig_key_file));
      DR_ASSIGN_OR_RETURN(auto addrs, ResolveA(*dns, c.dns_record, svc.timeout_seconds));
      if (addrs.size() != 1 || addrs[0] != result.old_primary) {
        return Failed(c.dns_record + " points at " + addrs[0] + ", not at the primary " + result.old_primary +
                      ": the DNS record was changed by someone else");
      }
      *details += "; " + c.dns_record + " -> " + result.old_primary;
    }
    return Status::Ok();
  });
  result.phases["decide"] = Secs(mono() - pre_start);
  result.phases["detect"] = std::max(0.0, Secs(decided - t0));
  if (!pre_ok) return finish(refused ? "refused" : "failed", result.steps.back().details);

  if (request.dry_run) {
    auto plan = [&](const std::string& name, const std::string& what) { result.steps.push_back({name, "planned", 0, what}); };
    plan("fence", c.fence_command.empty() ? "no fence command (the primary is down)" : c.fence_command);
    plan("promote", "SELECT pg_promote() on " + result.new_primary);
    plan("wait_writable", "until " + result.new_primary + " takes writes");
    if (dns) plan("dns", c.dns_record + ": " + result.old_primary + " -> " + result.new_primary + " (compare-and-swap)");
    if (!c.storage_replica_bucket.empty()) plan("storage", "active bucket -> " + c.storage_replica_bucket);
    for (const auto& h : c.compute_hooks) plan("compute", h);
    plan("verify", "a write through " + (dns ? c.dns_record : result.new_primary));
    result.success = true;
    return finish("dry_run", "");
  }

  // 2. Fence: the old primary must stop taking writes before another starts.
  auto phase = mono();
  auto leading = [&]() -> Status {
    if (request.still_leader && !request.still_leader()) {
      return Failed("this coordinator lost its leadership (etcd lease); another may take over");
    }
    return Status::Ok();
  };
  bool ok = step("fence", [&](std::string* details) -> Status {
    DR_RETURN_IF_ERROR(leading());
    if (c.fence_command.empty()) {
      *details = "no fence command; the primary was unreachable";
      return Status::Ok();
    }
    std::string out;
    DR_ASSIGN_OR_RETURN(int rc, RunShell(c.fence_command, c.hook_timeout_seconds, &out,
                                         {"ECAP_DR_OLD_PRIMARY=" + result.old_primary}));
    if (rc != 0) return Failed("fence command exited with " + std::to_string(rc) + ": " + out);
    if (ProbeWrite(svc.primary, 2).ok()) return Failed("the old primary still takes writes after the fence command");
    *details = "fenced with '" + c.fence_command + "'";
    return Status::Ok();
  });
  result.phases["fence"] = Secs(mono() - phase);
  if (!ok) return finish("failed", result.steps.back().details);

  // 3. Promote, and wait until the new primary takes writes.
  phase = mono();
  ok = step("promote", [&](std::string* details) -> Status {
    DR_RETURN_IF_ERROR(leading());
    DR_ASSIGN_OR_RETURN(auto standby, source::pg::Connection::OpenConninfo(svc.standby, timeout));
    DR_ASSIGN_OR_RETURN(std::string promoted, standby->QueryValue("SELECT pg_promote(true, 60)"));
    if (promoted != "t") return Failed("pg_promote() on " + standby->where() + " returned " + promoted);
    *details = "promoted " + standby->where() + " (irreversible)";
    return Status::Ok();
  });
  if (ok) {
    // A promoted standby keeps the old primary's synchronous_standby_names:
    // with no standby left, every commit would wait forever.
    ok = step("sync_replication", [&](std::string* details) -> Status {
      DR_ASSIGN_OR_RETURN(auto conn, source::pg::Connection::OpenConninfo(svc.standby, timeout));
      DR_ASSIGN_OR_RETURN(std::string names, conn->QueryValue("SHOW synchronous_standby_names"));
      if (names.empty()) {
        *details = "asynchronous replication: nothing to change";
        return Status::Ok();
      }
      DR_RETURN_IF_ERROR(conn->Exec("ALTER SYSTEM SET synchronous_standby_names = ''"));
      DR_RETURN_IF_ERROR(conn->Exec("SELECT pg_reload_conf()"));
      *details = "synchronous_standby_names was '" + names + "': cleared, since no standby is left to confirm "
                 "commits; set it again when a new standby follows " + result.new_primary;
      return Status::Ok();
    });
  }
  if (ok) {
    ok = step("wait_writable", [&](std::string* details) -> Status {
      auto deadline = mono() + std::chrono::seconds(60);
      Status last = Status::Ok();
      while (mono() < deadline) {
        last = ProbeWrite(svc.standby, timeout);
        if (last.ok()) {
          *details = result.new_primary + " takes writes";
          return Status::Ok();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return Failed("the promoted server does not take writes: " + last.message());
    });
  }
  result.phases["promote"] = Secs(mono() - phase);
  if (!ok) return finish("failed", result.steps.back().details);
  // From here the new primary is the database: remember it before anything else can fail.
  state_["database"] = {{"service", db->name}, {"primary", svc.standby}, {"standby", ""},
                        {"previous_primary", svc.primary}, {"failed_over_at", Timestamp()}};
  (void)SaveState();

  // 4. DNS, as a compare-and-swap.
  phase = mono();
  if (dns) {
    ok = step("dns", [&](std::string* details) -> Status {
      DR_RETURN_IF_ERROR(SwapARecord(*dns, c.dns_zone, c.dns_record, result.old_primary, result.new_primary, c.dns_ttl,
                                     tsig, svc.timeout_seconds));
      *details = c.dns_record + ": " + result.old_primary + " -> " + result.new_primary;
      return Status::Ok();
    });
    if (!ok) return finish("failed", result.steps.back().details);
    undo.push_back({"dns", [&, d = *dns] {
                      return SwapARecord(d, c.dns_zone, c.dns_record, result.new_primary, result.old_primary, c.dns_ttl,
                                         tsig, svc.timeout_seconds);
                    }});
  }
  result.phases["dns"] = Secs(mono() - phase);

  // 5. Storage: the backup-region bucket becomes the active one.
  phase = mono();
  if (!c.storage_replica_bucket.empty()) {
    auto switch_to = [&](const std::string& bucket) -> Status {
      if (!c.storage_switch_hook.empty()) {
        std::string out;
        DR_ASSIGN_OR_RETURN(int rc, RunShell(c.storage_switch_hook, c.hook_timeout_seconds, &out,
                                             {"ECAP_DR_ACTIVE_BUCKET=" + bucket}));
        if (rc != 0) return Failed("storage switch hook exited with " + std::to_string(rc) + ": " + out);
      }
      state_["storage"] = {{"active_bucket", bucket}, {"changed_at", Timestamp()}};
      return SaveState();
    };
    ok = step("storage", [&](std::string* details) -> Status {
      DR_RETURN_IF_ERROR(switch_to(c.storage_replica_bucket));
      *details = "active bucket " + c.storage_replica_bucket;
      // The storage RPO: the mirror's lag when its last pass ended, plus the time since.
      if (!config_.s3.mirror_source.empty()) {
        auto pass = ReadFile(source::MirrorPassFile(config_.s3.MirrorStateFile()));
        json p = pass.ok() ? json::parse(*pass, nullptr, false) : json();
        auto finished = p.is_object() ? ParseUtc(p.value("finished_at", "")) : std::nullopt;
        if (finished) {
          result.storage_rpo_seconds = p.value("lag_seconds", 0.0) + std::max(0.0, Secs(clock_.Now() - *finished));
          *details += "; mirror behind by " + std::to_string(static_cast<int64_t>(result.storage_rpo_seconds)) + " s";
        } else {
          *details += "; mirror lag unknown (no completed pass of s3 mirror)";
        }
      }
      return Status::Ok();
    });
    if (!ok) return finish("failed", result.steps.back().details);
    undo.push_back({"storage", [switch_to, &c] { return switch_to(c.storage_primary_bucket); }});
  }
  result.phases["storage"] = Secs(mono() - phase);

  // 6. Compute hooks, in order.
  phase = mono();
  for (size_t i = 0; i < c.compute_hooks.size(); ++i) {
    ok = step("compute", [&](std::string* details) -> Status {
      std::string out;
      DR_ASSIGN_OR_RETURN(int rc, RunShell(c.compute_hooks[i], c.hook_timeout_seconds, &out,
                                           {"ECAP_DR_NEW_PRIMARY=" + result.new_primary}));
      if (rc == 124) return Failed("'" + c.compute_hooks[i] + "' timed out");
      if (rc != 0) return Failed("'" + c.compute_hooks[i] + "' exited with " + std::to_string(rc) + ": " + out);
      *details = c.compute_hooks[i];
      return Status::Ok();
    });
    if (!ok) return finish("failed", result.steps.back().details);
  }
  result.phases["compute"] = Secs(mono() - phase);

  // 7. Verify as a client would: through the DNS name, a write.
  phase = mono();
  ok = step("verify", [&](std::string* details) -> Status {
    std::string target = svc.standby;
    if (dns) {
      DR_ASSIGN_OR_RETURN(auto addrs, ResolveA(*dns, c.dns_record, svc.timeout_seconds));
      if (addrs[0] != result.new_primary) return Failed(c.dns_record + " resolves to " + addrs[0]);
      target = WithHost(svc.standby, addrs[0]);
    }
    DR_RETURN_IF_ERROR(ProbeWrite(target, timeout));
    *details = "a write through " + (dns ? c.dns_record : result.new_primary) + " succeeded";
    return Status::Ok();
  });
  result.phases["verify"] = Secs(mono() - phase);
  if (!ok) return finish("failed", result.steps.back().details);

  result.rto_seconds = Secs(clock_.Now() - t0);
  result.rto_met = result.rto_seconds <= rto_target;
  result.rpo_met = result.rpo_seconds >= 0 && result.rpo_seconds <= rpo_target &&
                   (result.storage_rpo_seconds < 0 || result.storage_rpo_seconds <= rpo_target);
  result.success = true;
  step("notify", [&](std::string* details) -> Status {
    *details = "event recorded";
    return Status::Ok();
  });
  return finish("completed", "");
}

Result<std::vector<Event>> DisasterRecoveryCoordinator::Events(int limit, const std::vector<std::string>& types) {
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
