// GatherAlertInputs on a memory repository, a fake clock and a real event
// history file: each source read on its own, unknown where it does not apply,
// a warning (not a stop) where it fails; and the daemon's once-a-minute cache.
#include "ops/alert_inputs.h"

#include <cstdlib>
#include <filesystem>

#include "base/encoding.h"
#include "base/fake_clock.h"
#include "base/time_util.h"
#include "events/event_store.h"
#include "ops/backup_ops.h"
#include "source/s3lake/mirror.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::ops {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using std::chrono::minutes;

class AlertInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
    backend_ = storage::NewMemoryBackend();
    ctx_.config.encryption.enabled = false;
    ctx_.config.repository = {.type = "s3", .bucket = "b"};  // free space: unknown
    ctx_.clock = &clock_;
    ctx_.identity = {.user = "ecap-dr", .session = "s-1", .source = "local"};
    ctx_.open_backend = [this] { return test::BorrowBackend(*backend_); };
  }
  void TearDown() override { ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY"); }

  std::string Ago(std::chrono::seconds d) { return FormatUtc(clock_.Now() - d, true); }

  test::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Backend> backend_;
  OperationContext ctx_;
};

TEST_F(AlertInputsTest, WhatIsNotConfiguredIsUnknownWithoutWarnings) {
  GatheredInputs g = GatherAlertInputs(ctx_);
  EXPECT_TRUE(g.warnings.empty()) << g.warnings.front();
  const automation::AlertInputs& in = g.inputs;
  EXPECT_EQ(in.now, clock_.Now());
  EXPECT_EQ(in.rto_target_seconds, 900);
  EXPECT_EQ(in.rpo_target_seconds, 300);
  EXPECT_TRUE(in.service_health.empty());
  EXPECT_FALSE(in.last_failover);
  EXPECT_FALSE(in.wal_archive_lag_seconds);
  EXPECT_FALSE(in.s3_mirror_lag_seconds);
  EXPECT_FALSE(in.repository_free_bytes);
  EXPECT_FALSE(in.access_denials_in_window);
  EXPECT_FALSE(in.access_denials_total);
  EXPECT_FALSE(in.master_key_age_seconds);

  ctx_.config.repository = {.type = "local", .path = dir_.path()};
  auto local = GatherAlertInputs(ctx_).inputs.repository_free_bytes;
  ASSERT_TRUE(local);
  EXPECT_GT(*local, 0);
}

TEST_F(AlertInputsTest, TheHistoryGivesCountsInTheWindowAndTheLastFailover) {
  ctx_.config.audit.log_file = dir_ / "audit.log";  // the history: events.db beside it
  ctx_.config.alerting.rules.access_denial_window = "1h";
  GatheredInputs empty = GatherAlertInputs(ctx_);
  EXPECT_TRUE(empty.warnings.empty());
  EXPECT_EQ(empty.inputs.access_denials_total, 0);
  EXPECT_EQ(empty.inputs.restores.at("failed"), 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "events.db"));  // reading created nothing

  auto store = events::EventStore::Open(dir_ / "events.db", clock_);
  ASSERT_OK(store);
  auto& s = **store;
  ASSERT_OK(s.Record(Ago(std::chrono::hours(2)), "access_denied", {}));
  for (int i = 0; i < 3; ++i) ASSERT_OK(s.Record(Ago(minutes(30)), "access_denied", {}));
  ASSERT_OK(s.Record(Ago(minutes(9)), "restore_completed", {}));
  ASSERT_OK(s.Record(Ago(minutes(8)), "restore_failed", {}));
  ASSERT_OK(s.Record(Ago(minutes(7)), "verify_passed", {}));
  ASSERT_OK(s.Record(Ago(minutes(6)), "verify_passed", {}));
  ASSERT_OK(s.Record(Ago(std::chrono::hours(30)), "failover_completed", {{"rto_seconds", 10.0}, {"rpo_seconds", 0.0}}));
  ASSERT_OK(s.Record(Ago(minutes(5)), "failover_completed",
                     {{"rto_seconds", 1000.5}, {"rpo_seconds", 20.0}, {"storage_rpo_seconds", 400.0}}));
  ASSERT_OK(s.Record(Ago(minutes(4)), "failover_failed", {{"rto_seconds", -1.0}}));
  ASSERT_OK(s.Record(Ago(minutes(3)), "drill_completed",
                     {{"scenario", "restore-test"}, {"rto_seconds", 40.0}, {"rpo_seconds", 60.0}}));
  ASSERT_OK(s.Record(Ago(minutes(2)), "drill_failed", {{"scenario", "restore-test"}, {"rto_seconds", 12.0}}));

  GatheredInputs g = GatherAlertInputs(ctx_);
  EXPECT_TRUE(g.warnings.empty()) << g.warnings.front();
  const automation::AlertInputs& in = g.inputs;
  EXPECT_EQ(in.access_denials_total, 4);
  EXPECT_EQ(in.access_denials_in_window, 3);
  EXPECT_EQ(in.restores, (std::map<std::string, int64_t>{{"succeeded", 1}, {"failed", 1}}));
  EXPECT_EQ(in.verifications, (std::map<std::string, int64_t>{{"succeeded", 2}, {"failed", 0}}));
  ASSERT_TRUE(in.last_failover);
  EXPECT_EQ(FormatUtc(in.last_failover->at), FormatUtc(clock_.Now() - minutes(5)));
  EXPECT_EQ(in.last_failover->rto_seconds, 1000.5);
  EXPECT_EQ(in.last_failover->rpo_seconds, 400);  // the mirror lost more than the database
  ASSERT_EQ(in.last_drills.size(), 1u);
  const auto& drill = in.last_drills.at("restore-test");
  EXPECT_FALSE(drill.passed) << "the newest drill of the scenario: the failed one";
  EXPECT_EQ(drill.rto_seconds, 12.0);
  EXPECT_FALSE(drill.rpo_seconds) << "it did not say";

  auto names = [](const std::vector<automation::notify::Alert>& alerts) {
    std::set<std::string> out;
    for (const auto& a : alerts) out.insert(a.name);
    return out;
  };
  // The failover over both targets, and the failed drill.
  EXPECT_EQ(names(automation::EvaluateRules(ctx_.config.alerting.rules, in)),
            (std::set<std::string>{"FailoverRtoViolated", "FailoverRpoViolated", "DrillFailed"}));
  ctx_.config.alerting.rules.max_access_denials = 2;
  EXPECT_TRUE(names(automation::EvaluateRules(ctx_.config.alerting.rules, in)).count("AccessDenialsHigh"));
}

TEST_F(AlertInputsTest, TheMasterKeysAgeFromTheRepository) {
  ctx_.config.encryption.enabled = true;
  ASSERT_OK(InitRepository(ctx_).status);
  clock_.Advance(std::chrono::hours(24 * 100));
  GatheredInputs g = GatherAlertInputs(ctx_);
  EXPECT_TRUE(g.warnings.empty()) << g.warnings.front();
  ASSERT_TRUE(g.inputs.master_key_age_seconds);
  EXPECT_NEAR(*g.inputs.master_key_age_seconds, 100 * 86400.0, 1);
  auto alerts = automation::EvaluateRules(ctx_.config.alerting.rules, g.inputs);  // 90 days by default
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].name, "MasterKeyTooOld");
}

// A source that fails is a warning and an unknown input; the others are read.
TEST_F(AlertInputsTest, AFailingSourceWarnsAndTheOthersAreStillRead) {
  ctx_.config.coordinator_configured = true;
  ctx_.config.coordinator.state_dir = dir_ / "state";
  ctx_.config.coordinator.services = {{.name = "up", .type = "command", .command = "true"},
                                      {.name = "down", .type = "command", .command = "false"}};
  ctx_.config.postgresql_configured = true;  // the repository does not exist: WalStatus fails
  ctx_.config.encryption.enabled = true;     // nor does KeyCheck find the key in it
  ctx_.config.s3.mirror_source = "lake";
  ctx_.config.s3.mirror_target = "lake-dr";
  ctx_.config.s3.mirror_state_file = dir_ / "mirror.state";

  GatheredInputs g = GatherAlertInputs(ctx_);
  ASSERT_EQ(g.warnings.size(), 3u) << json(g.warnings).dump();
  EXPECT_THAT(g.warnings[0], HasSubstr("s3 mirror lag unknown: no completed pass in "));
  EXPECT_THAT(g.warnings[1], HasSubstr("WAL archive lag unknown: "));
  EXPECT_THAT(g.warnings[2], HasSubstr("master key age unknown: "));
  const automation::AlertInputs& in = g.inputs;
  EXPECT_EQ(in.service_health, (std::map<std::string, std::string>{{"up", "healthy"}, {"down", "failed"}}));
  EXPECT_EQ(in.access_denials_total, 0);  // the history was read
  EXPECT_FALSE(in.wal_archive_lag_seconds);
  EXPECT_FALSE(in.s3_mirror_lag_seconds);
  // Observing health records nothing: health_changed is the monitor's event.
  auto store = events::EventStore::Open(dir_ / "state/events.db", clock_);
  ASSERT_OK(store);
  EXPECT_TRUE((*store)->List(10)->empty());

  // The mirror's lag: its last pass's lag plus the time since the pass.
  test::WriteFile(source::MirrorPassFile(dir_ / "mirror.state"),
                  json{{"finished_at", Ago(minutes(2))}, {"lag_seconds", 30}}.dump());
  auto lag = GatherAlertInputs(ctx_).inputs.s3_mirror_lag_seconds;
  ASSERT_TRUE(lag);
  EXPECT_EQ(*lag, 150);
}

TEST_F(AlertInputsTest, TheGathererReadsAtMostOncePerIntervalAndWarnsOnce) {
  ctx_.config.audit.log_file = dir_ / "audit.log";
  ctx_.config.encryption.enabled = true;  // no repository: the same warning every time
  auto store = events::EventStore::Open(dir_ / "events.db", clock_);
  ASSERT_OK(store);
  AlertInputsGatherer gatherer(ctx_, minutes(1));
  std::vector<std::string> warnings;
  EXPECT_EQ(gatherer.Get(&warnings).inputs.access_denials_total, 0);
  EXPECT_EQ(warnings.size(), 1u);
  ASSERT_OK((*store)->Emit("access_denied", {}));
  clock_.Advance(std::chrono::seconds(59));
  warnings.clear();
  GatheredInputs cached = gatherer.Get(&warnings);
  EXPECT_EQ(cached.inputs.access_denials_total, 0);  // not read again yet
  EXPECT_EQ(cached.inputs.now, clock_.Now());       // but evaluated for now
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(gatherer.Get(&warnings).inputs.access_denials_total, 1);
  EXPECT_TRUE(warnings.empty());  // the same warning as before: logged once
}

}  // namespace
}  // namespace dr::ops
