// The failover's ordering, rollback, dry run and guards, with fakes behind
// failover_ops.h and a fake clock: no server, no sleep. The same plan runs
// against real PostgreSQL, BIND and etcd in test/integration/coordinator.
#include "coordinator/failover.h"
#include "coordinator/failover_parts.h"

#include <map>

#include "test/support/test_support.h"

namespace dr::coordinator {
namespace failover_test {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using std::chrono::seconds;

const std::string kPrimary = "host=10.0.0.1 port=5432 user=postgres dbname=postgres";
const std::string kStandby = "host=10.0.0.2 port=5432 user=postgres dbname=postgres";

class FakeClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override { return wall_; }
  std::chrono::steady_clock::time_point Monotonic() const override { return mono_; }
  void Advance(std::chrono::steady_clock::duration d) {
    mono_ += d;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }

 private:
  std::chrono::system_clock::time_point wall_ = std::chrono::system_clock::from_time_t(1'800'000'000);
  std::chrono::steady_clock::time_point mono_{};
};

// One log of every side effect, in the order the failover made them.
using Log = std::vector<std::string>;

class FakeDatabase : public DatabaseOps {
 public:
  explicit FakeDatabase(Log& log) : log_(log) {}
  Result<StandbyState> ReadStandby() override {
    log_.push_back("read standby");
    return StandbyState{.where = "10.0.0.2:5432", .in_recovery = !promoted, .replay_lsn = replay_lsn};
  }
  Result<std::string> PrimaryLsn() override {
    log_.push_back("read primary");
    if (primary_down) return Unavailable("unable to connect to PostgreSQL at 10.0.0.1:5432");
    return primary_lsn;
  }
  Result<std::string> Promote() override {
    log_.push_back("promote");
    promoted = true;
    return std::string("10.0.0.2:5432");
  }
  Result<std::string> ClearSynchronousStandbys() override {
    log_.push_back("clear synchronous_standby_names");
    return std::exchange(sync_names, "");
  }
  Status ProbeWrite(const std::string& conninfo, int) override {
    bool old = conninfo.find("10.0.0.1") != std::string::npos;
    log_.push_back(old ? "probe old primary" : "probe new primary");
    if (old) return fenced && !ignores_fence ? Unavailable("connection refused") : Status::Ok();
    if (!promoted || probes_until_writable-- > 0) return Failed("cannot execute INSERT in a read-only transaction");
    return Status::Ok();
  }

  Result<Lineage> ReadLineage(const std::string& conninfo) override {
    log_.push_back("lineage " + conninfo);
    auto it = lineages.find(conninfo);
    if (it == lineages.end()) return Unavailable("unable to connect to " + conninfo);
    return it->second;
  }

  std::map<std::string, Lineage> lineages;
  bool promoted = false, fenced = false, ignores_fence = false, primary_down = false;
  std::string replay_lsn = "0/3000060", primary_lsn = "0/3000060", sync_names = "*";
  int probes_until_writable = 0;

 private:
  Log& log_;
};

class FakeDns : public DnsOps {
 public:
  explicit FakeDns(Log& log) : log_(log) {}
  Result<std::vector<std::string>> Resolve() override {
    log_.push_back("resolve");
    return std::vector<std::string>{address};
  }
  Status Swap(const std::string& from, const std::string& to) override {
    log_.push_back("dns " + from + " -> " + to);
    if (!moved_before_swap_to.empty()) address = std::exchange(moved_before_swap_to, "");
    if (address != from) return Failed("db.platform.test no longer points at " + from + " (it points at " + address + ")");
    address = to;
    return Status::Ok();
  }
  std::string address = "10.0.0.1";
  std::string moved_before_swap_to;  // someone else moves the record after the preconditions looked

 private:
  Log& log_;
};

// Each command takes 2 s of the fake clock; exit codes by command.
class FakeHooks : public HookRunner {
 public:
  FakeHooks(Log& log, FakeClock& clock, FakeDatabase& db) : log_(log), clock_(clock), db_(db) {}
  Result<int> Run(const std::string& command, double, std::string* output,
                  const std::vector<std::string>& env) override {
    log_.push_back(command + (env.empty() ? "" : " " + env[0]));
    clock_.Advance(seconds(2));
    if (command == "fence.sh") db_.fenced = true;
    *output = exit_codes.count(command) ? "it broke" : "";
    return exit_codes.count(command) ? exit_codes[command] : 0;
  }
  std::map<std::string, int> exit_codes;

 private:
  Log& log_;
  FakeClock& clock_;
  FakeDatabase& db_;
};

class FailoverPlanTest : public ::testing::Test {
 protected:
  FailoverPlanTest() {
    config_.rpo_target_minutes = 5;
    config_.fence_command = "fence.sh";
    config_.dns_record = "db.platform.test";
    config_.storage_primary_bucket = "lake";
    config_.storage_replica_bucket = "lake-dr";
    config_.storage_switch_hook = "switch.sh";
    config_.compute_hooks = {"scale.sh"};
  }

  FailoverResult Run(FailoverRequest request, bool with_dns = true) {
    FailoverInput input{.config = config_,
                        .service = {.name = "orders-db", .type = "postgresql", .primary = kPrimary,
                                    .standby = kStandby, .timeout_seconds = 1},
                        .decided_at = clock_.Now(),
                        .event_history = "/state/events.db",
                        .primary_lsns = samples_,
                        .saved_primary_lsn = std::nullopt};
    FailoverDeps deps{.database = db_,
                      .dns = with_dns ? &dns_ : nullptr,
                      .hooks = hooks_,
                      .clock = clock_,
                      .sleep = [this](std::chrono::steady_clock::duration d) { clock_.Advance(d); },
                      .record_event = [this](const std::string& type, const json& data) {
                        events_.push_back(type);
                        event_data_.push_back(data);
                      },
                      .save_state = [this](const std::string& key, const json& value) {
                        state_[key] = value;
                        log_.push_back("save " + key);
                        return Status::Ok();
                      }};
    return RunFailover(request, input, deps);
  }
  static std::vector<std::string> Steps(const FailoverResult& r) {
    std::vector<std::string> steps;
    for (const auto& s : r.steps) steps.push_back(s.name + ":" + s.status);
    return steps;
  }
  static std::vector<std::string> NotUndone(const FailoverResult& r) {
    std::vector<std::string> steps;
    for (const auto& s : r.not_undone) steps.push_back(s.name);
    return steps;
  }

  config::DrCoordinatorConfig config_;
  FakeClock clock_;
  Log log_;
  FakeDatabase db_{log_};
  FakeDns dns_{log_};
  FakeHooks hooks_{log_, clock_, db_};
  std::deque<std::pair<SysTime, int64_t>> samples_;
  std::vector<std::string> events_;
  std::vector<json> event_data_;
  json state_ = json::object();
};

TEST_F(FailoverPlanTest, ASuccessfulFailoverActsInOrderAndRecordsEveryStep) {
  FailoverResult r = Run({.reason = "Planned maintenance"});
  EXPECT_EQ(r.status, "completed") << r.error.message();
  EXPECT_TRUE(r.success);
  EXPECT_THAT(Steps(r), ElementsAre("preconditions:ok", "fence:ok", "promote:ok", "sync_replication:ok",
                                    "wait_writable:ok", "dns:ok", "storage:ok", "compute:ok", "verify:ok", "notify:ok"));
  EXPECT_THAT(log_, ElementsAre("read standby", "read primary", "resolve",                     // preconditions
                                "fence.sh ECAP_DR_OLD_PRIMARY=10.0.0.1", "probe old primary",  // fence, verified
                                "promote", "clear synchronous_standby_names", "probe new primary", "save database",
                                "dns 10.0.0.1 -> 10.0.0.2", "switch.sh ECAP_DR_ACTIVE_BUCKET=lake-dr", "save storage",
                                "scale.sh ECAP_DR_NEW_PRIMARY=10.0.0.2", "resolve", "probe new primary"));
  EXPECT_EQ(r.old_primary, "10.0.0.1");
  EXPECT_EQ(r.new_primary, "10.0.0.2");
  EXPECT_THAT(r.steps[3].details, HasSubstr("synchronous_standby_names was '*': cleared"));
  EXPECT_EQ(r.steps[8].details, "a write through db.platform.test succeeded");
  EXPECT_THAT(r.steps[9].details, HasSubstr("failover_completed, with this result, goes to the event history "
                                            "/state/events.db"));
  EXPECT_EQ(dns_.address, "10.0.0.2");
  EXPECT_EQ(state_["database"]["primary"], kStandby);
  EXPECT_EQ(state_["database"]["previous_primary"], kPrimary);
  EXPECT_EQ(state_["storage"]["active_bucket"], "lake-dr");
  // Three hooks of 2 s each: the RTO and its phases, on the fake clock.
  EXPECT_EQ(r.rto_seconds, 6);
  EXPECT_TRUE(r.rto_met);
  EXPECT_EQ(r.rpo_seconds, 0);
  EXPECT_EQ(r.lag_bytes, 0);
  EXPECT_TRUE(r.rpo_met);
  EXPECT_EQ(r.phases, (json{{"detect", 0.0}, {"decide", 0.0}, {"fence", 2.0}, {"promote", 0.0}, {"dns", 0.0},
                            {"storage", 2.0}, {"compute", 2.0}, {"verify", 0.0}}));
  // The events: the start, each step as it ends, the outcome.
  ASSERT_EQ(events_.size(), 12u);
  EXPECT_EQ(events_.front(), "failover_started");
  EXPECT_EQ(events_.back(), "failover_completed");
  EXPECT_EQ(event_data_[2], (json{{"step", "fence"}, {"status", "ok"}, {"details", "fenced with 'fence.sh'"},
                                  {"duration_seconds", 2.0}}));
  EXPECT_EQ(event_data_.back()["reason"], "Planned maintenance");
  EXPECT_EQ(event_data_.back()["dry_run"], false);
  EXPECT_FALSE(event_data_.back().contains("not_undone"));
}

TEST_F(FailoverPlanTest, ADryRunDescribesEveryStepOfTheRealPlanAndChangesNothing) {
  FailoverResult dry = Run({.reason = "drill", .dry_run = true});
  EXPECT_EQ(dry.status, "dry_run");
  EXPECT_TRUE(dry.success);
  EXPECT_THAT(Steps(dry), ElementsAre("preconditions:ok", "fence:planned", "promote:planned",
                                      "sync_replication:planned", "wait_writable:planned", "dns:planned",
                                      "storage:planned", "compute:planned", "verify:planned", "notify:planned"));
  EXPECT_EQ(dry.steps[1].details, "fence.sh");
  EXPECT_EQ(dry.steps[2].details, "SELECT pg_promote() on 10.0.0.2");
  EXPECT_THAT(dry.steps[3].details, HasSubstr("clear synchronous_standby_names on 10.0.0.2"));
  EXPECT_EQ(dry.steps[5].details, "db.platform.test: 10.0.0.1 -> 10.0.0.2 (compare-and-swap)");
  EXPECT_EQ(dry.steps[7].details, "scale.sh");
  // Only the read-only preconditions ran; only the outcome was recorded.
  EXPECT_THAT(log_, ElementsAre("read standby", "read primary", "resolve"));
  EXPECT_EQ(events_, std::vector<std::string>{"failover_dry_run"});
  EXPECT_EQ(event_data_[0]["dry_run"], true);
  EXPECT_TRUE(state_.empty());
  EXPECT_EQ(dns_.address, "10.0.0.1");
  EXPECT_EQ(dry.phases, (json{{"detect", 0.0}, {"decide", 0.0}}));
  // The real run goes through exactly those steps.
  FailoverResult real = Run({.reason = "now"});
  ASSERT_EQ(real.steps.size(), dry.steps.size());
  for (size_t i = 0; i < real.steps.size(); ++i) EXPECT_EQ(real.steps[i].name, dry.steps[i].name);
}

// Someone moved the name between the preconditions and the swap: DNS fails,
// nothing after it runs, and what happened to the database is reported as
// not undoable rather than silently left.
TEST_F(FailoverPlanTest, AFailureAtDnsStopsAndSaysWhatCannotBeUndone) {
  dns_.moved_before_swap_to = "10.0.0.30";
  FailoverResult failed = Run({.reason = "test"});
  EXPECT_EQ(failed.status, "failed");
  EXPECT_FALSE(failed.success);
  EXPECT_THAT(failed.error.message(), HasSubstr("no longer points at 10.0.0.1 (it points at 10.0.0.30)"));
  EXPECT_THAT(Steps(failed), ElementsAre("preconditions:ok", "fence:ok", "promote:ok", "sync_replication:ok",
                                         "wait_writable:ok", "dns:failed"));
  EXPECT_THAT(NotUndone(failed), ElementsAre("sync_replication", "promote", "fence"));
  EXPECT_EQ(failed.not_undone[1].status, "cannot_undo");
  EXPECT_EQ(failed.not_undone[1].details, "a promoted standby cannot become a standby again");
  EXPECT_EQ(std::count(log_.begin(), log_.end(), "switch.sh ECAP_DR_ACTIVE_BUCKET=lake-dr"), 0) << "storage never ran";
  EXPECT_FALSE(state_.contains("storage"));
  EXPECT_EQ(events_.back(), "failover_failed");
  EXPECT_EQ(event_data_.back()["not_undone"].size(), 3u);
  EXPECT_EQ(event_data_.back()["steps"].back()["name"], "dns");
}

// A later step fails: storage and DNS, which completed, are rolled back newest
// first; the first compute hook, the promotion and the fence cannot be.
TEST_F(FailoverPlanTest, AFailureAfterDnsAndStorageRollsThemBackNewestFirst) {
  config_.compute_hooks = {"scale.sh", "warm-cache.sh"};
  hooks_.exit_codes["warm-cache.sh"] = 3;
  FailoverResult r = Run({.reason = "test"});
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error.message(), "'warm-cache.sh' exited with 3: it broke");
  EXPECT_THAT(Steps(r), ElementsAre("preconditions:ok", "fence:ok", "promote:ok", "sync_replication:ok",
                                    "wait_writable:ok", "dns:ok", "storage:ok", "compute:ok", "compute:failed",
                                    "rollback_storage:rolled_back", "rollback_dns:rolled_back"));
  EXPECT_EQ(r.steps[9].details, "undone");
  EXPECT_THAT(NotUndone(r), ElementsAre("compute", "sync_replication", "promote", "fence"));
  std::vector<std::string> tail(log_.end() - 4, log_.end());
  EXPECT_THAT(tail, ElementsAre("warm-cache.sh ECAP_DR_NEW_PRIMARY=10.0.0.2", "switch.sh ECAP_DR_ACTIVE_BUCKET=lake",
                                "save storage", "dns 10.0.0.2 -> 10.0.0.1"));
  EXPECT_EQ(dns_.address, "10.0.0.1");
  EXPECT_EQ(state_["storage"]["active_bucket"], "lake");
  EXPECT_EQ(state_["database"]["primary"], kStandby) << "the promotion stands";
  EXPECT_FALSE(r.phases.contains("verify"));
  EXPECT_EQ(events_.back(), "failover_failed");
}

// The standby is behind and the primary is down: the monitor's samples say
// the last 120 s of writes would be lost. Automatic: refused. A person may
// force it, and the result says so.
TEST_F(FailoverPlanTest, TheRpoGuardRefusesAFailoverThatWouldLoseTooMuch) {
  config_.rpo_target_minutes = 1;
  db_.primary_down = true;
  db_.replay_lsn = "0/100";
  SysTime now = clock_.Now();
  samples_ = {{now - seconds(120), 0x100}, {now - seconds(60), 0x200}, {now - seconds(10), 0x300}};
  FailoverResult automatic = Run({.reason = "automatic", .automatic = true, .detected_at = now});
  EXPECT_EQ(automatic.status, "refused");
  EXPECT_EQ(automatic.lag_bytes, 0x200);
  EXPECT_EQ(automatic.rpo_seconds, 120);
  EXPECT_THAT(automatic.error.message(), HasSubstr("would lose about 120 s of writes, more than the RPO target of 60 s; "
                                         "automatic failover refused"));
  EXPECT_THAT(Steps(automatic), ElementsAre("preconditions:failed"));
  EXPECT_THAT(log_, ElementsAre("read standby", "read primary"));
  EXPECT_EQ(events_, (std::vector<std::string>{"failover_started", "failover_step", "failover_refused"}));

  FailoverResult manual = Run({.reason = "manual"});
  EXPECT_EQ(manual.status, "refused");
  EXPECT_THAT(manual.error.message(), HasSubstr("pass --force"));
  FailoverResult forced = Run({.reason = "accept the loss", .force = true});
  EXPECT_EQ(forced.status, "completed") << forced.error.message();
  EXPECT_TRUE(forced.forced);
  EXPECT_THAT(forced.steps[0].details, HasSubstr("forced past the RPO target"));
  EXPECT_FALSE(forced.rpo_met);
}

TEST_F(FailoverPlanTest, ASecondWritablePrimaryIsRefusedWithoutAFence) {
  config_.fence_command = "";
  FailoverResult r = Run({.reason = "test"});
  EXPECT_EQ(r.status, "refused");
  EXPECT_THAT(r.error.message(), HasSubstr("still answers and no fence_command is configured"));
  EXPECT_EQ(std::count(log_.begin(), log_.end(), "promote"), 0);
}

// With several coordinators, one that lost its lease stops before each step
// that cannot be undone.
TEST_F(FailoverPlanTest, ALostLeadershipStopsBeforeTheIrreversibleSteps) {
  FailoverResult before_fence = Run({.reason = "automatic", .still_leader = [] { return false; }});
  EXPECT_EQ(before_fence.status, "failed");
  EXPECT_THAT(before_fence.error.message(), HasSubstr("lost its leadership"));
  EXPECT_THAT(Steps(before_fence), ElementsAre("preconditions:ok", "fence:failed"));
  EXPECT_THAT(log_, ElementsAre("read standby", "read primary", "resolve"));
  EXPECT_TRUE(before_fence.not_undone.empty());

  log_.clear();
  int asked = 0;
  FailoverResult before_promote = Run({.reason = "automatic", .still_leader = [&] { return ++asked < 2; }});
  EXPECT_THAT(Steps(before_promote), ElementsAre("preconditions:ok", "fence:ok", "promote:failed"));
  EXPECT_EQ(std::count(log_.begin(), log_.end(), "promote"), 0);
  EXPECT_THAT(NotUndone(before_promote), ElementsAre("fence"));
  EXPECT_EQ(dns_.address, "10.0.0.1");
}

TEST_F(FailoverPlanTest, AFenceThatLeavesThePrimaryWritableStopsTheFailover) {
  db_.ignores_fence = true;
  FailoverResult r = Run({.reason = "test"});
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error.message(), "the old primary still takes writes after the fence command");
  EXPECT_THAT(Steps(r), ElementsAre("preconditions:ok", "fence:failed"));
  EXPECT_THAT(NotUndone(r), ElementsAre("fence")) << "its command ran";
  EXPECT_FALSE(db_.promoted);
}

// The new primary takes a while to accept writes: probes every 50 ms on the
// fake clock, for at most 60 s.
TEST_F(FailoverPlanTest, WaitsForTheNewPrimaryToTakeWritesForAMinute) {
  db_.probes_until_writable = 4;
  FailoverResult r = Run({.reason = "test"}, /*with_dns=*/false);
  EXPECT_EQ(r.status, "completed") << r.error.message();
  EXPECT_DOUBLE_EQ(r.steps[4].duration_seconds, 0.2);
  EXPECT_EQ(r.phases["dns"], 0.0) << "no DNS configured: the phase took no time";
  EXPECT_EQ(r.steps.back().name, "notify");
}

TEST_F(FailoverPlanTest, ANewPrimaryThatNeverTakesWritesFailsTheFailoverAfterAMinute) {
  db_.probes_until_writable = 1 << 30;
  FailoverResult never = Run({.reason = "test"}, /*with_dns=*/false);
  EXPECT_EQ(never.status, "failed");
  EXPECT_THAT(never.error.message(), HasSubstr("the promoted server does not take writes: cannot execute INSERT"));
  EXPECT_DOUBLE_EQ(never.steps[4].duration_seconds, 60);
  EXPECT_THAT(NotUndone(never), ElementsAre("sync_replication", "promote", "fence"));
}

// attach_standby: a rebuilt standby becomes the service's standby in the
// state, other fields of the state's entry kept; refused, naming why, unless
// it is in recovery, of the primary's cluster and streaming on its timeline.
TEST_F(FailoverPlanTest, AttachingARebuiltStandbyChecksItsLineageAndRecordsIt) {
  const config::CoordinatedService service{.name = "orders-db", .type = "postgresql", .primary = kStandby,
                                           .standby = "", .timeout_seconds = 1};
  const std::string rebuilt = "host=10.0.0.1 port=5432";
  using L = DatabaseOps::Lineage;
  auto attach = [&](L standby, L primary = {.where = "10.0.0.2:5432", .system_identifier = "7",
                                            .timeline = 2, .lsn = "0/5000100"}) {
    db_.lineages = {{kStandby, primary}, {rebuilt, standby}};
    PartDeps deps{.database = db_, .hooks = hooks_, .clock = clock_, .save_state = [this](const std::string& key,
                                                                                           const json& value) {
                    state_[key] = value;
                    return Status::Ok();
                  }};
    return AttachStandby(config_, service, deps, rebuilt, {{"service", "orders-db"}, {"previous_primary", kPrimary}});
  };
  const L good{.where = "10.0.0.1:5432", .in_recovery = true, .system_identifier = "7", .timeline = 2,
               .receiver_status = "streaming", .lsn = "0/5000000"};
  auto r = attach(good);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["lag_bytes"], 0x100);
  EXPECT_EQ((*r)["standby"], "10.0.0.1:5432");
  EXPECT_EQ(state_["database"]["standby"], rebuilt);
  EXPECT_EQ(state_["database"]["primary"], kStandby);
  EXPECT_EQ(state_["database"]["previous_primary"], kPrimary) << "kept";
  EXPECT_EQ((*r)["replaced_a_standby"], false);
  EXPECT_THAT((*r)["warning"].get<std::string>(), HasSubstr("does not use $ECAP_DR_OLD_PRIMARY"))
      << "the fence names no host: a failback would stop the standby";

  state_ = json::object();
  L not_standby = good;
  not_standby.in_recovery = false;
  EXPECT_THAT(attach(not_standby).status().message(), HasSubstr("10.0.0.1:5432 is not in recovery"));
  L other = good;
  other.system_identifier = "8";
  EXPECT_THAT(attach(other).status().message(), HasSubstr("a copy of another cluster (system identifier 8"));
  L idle = good;
  idle.receiver_status = "";
  EXPECT_THAT(attach(idle).status().message(), HasSubstr("does not stream from a primary (its WAL receiver: none)"));
  L behind = good;
  behind.timeline = 1;
  auto catching_up = attach(behind);
  EXPECT_EQ(catching_up.status().code(), Code::kUnavailable) << "may still follow the promotion: retry";
  EXPECT_THAT(catching_up.status().message(), HasSubstr("streams timeline 1, the primary 10.0.0.2:5432 is on timeline 2"));
  L ahead = good;
  ahead.timeline = 3;
  EXPECT_EQ(attach(ahead).status().code(), Code::kFailed);
  L connecting = good;
  connecting.receiver_status = "waiting";
  EXPECT_EQ(attach(connecting).status().code(), Code::kUnavailable);
  L hidden = good;
  hidden.receiver_status = "";
  hidden.receiver_running = true;
  EXPECT_EQ(attach(hidden).status().code(), Code::kPermissionDenied) << "pg_stat_wal_receiver hides it: pg_monitor";
  EXPECT_THAT(attach(good, {.where = "10.0.0.2:5432", .in_recovery = true}).status().message(),
              HasSubstr("is in recovery: a standby is attached to a primary"));
  db_.lineages.clear();
  PartDeps deps{.database = db_, .hooks = hooks_, .clock = clock_, .save_state = {}};
  EXPECT_EQ(AttachStandby(config_, service, deps, rebuilt, json()).status().code(), Code::kUnavailable);
  EXPECT_EQ(AttachStandby(config_, service, deps, "", json()).status().code(), Code::kInvalidArgument);
  auto secret = AttachStandby(config_, service, deps, rebuilt + " password=hunter2", json());
  EXPECT_EQ(secret.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(secret.status().message(), Not(HasSubstr("hunter2")));
  EXPECT_EQ(AttachStandby(config_, service, deps, "port=5432", json()).status().code(), Code::kInvalidArgument)
      << "no host: no address to move the name to";
  EXPECT_TRUE(state_.empty()) << "nothing recorded when refused";
}

}  // namespace failover_test
}  // namespace dr::coordinator
