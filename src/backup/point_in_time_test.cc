// `restore --to-time T` without a backup id: which backup each component comes
// from (PlanPointInTime, on a fabricated listing), and a whole restore of a
// files tree backed up three times at known times.
#include "backup/point_in_time.h"

#include "base/encoding.h"
#include "base/fake_clock.h"
#include "base/time_util.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::backup {
namespace {

using test::StatusIs;
using ::testing::HasSubstr;

std::chrono::system_clock::time_point At(const std::string& utc) { return *ParseUtc(utc); }

repo::Snapshot Backup(const std::string& id, const std::string& start, const std::string& end,
                      std::vector<std::pair<std::string, std::string>> components) {
  repo::Snapshot s;
  s.backup_id = id;
  s.start_time = start;
  s.end_time = end;
  for (auto& [name, mode] : components) {
    repo::SnapshotComponent c{name, {}, nlohmann::json::object()};
    if (!mode.empty()) c.meta["mode"] = mode;
    s.components.push_back(std::move(c));
  }
  return s;
}

// 10:00 a logical dump, files and the lake; 10:30 a base backup; 11:00 Kafka;
// 12:00 everything again. The target is 11:30.
BackupListing Listing() {
  BackupListing l;
  l.backups.push_back(Backup("b1000", "2026-11-26T10:00:00Z", "2026-11-26T10:05:00Z",
                             {{"postgresql", ""}, {"files", ""}, {"s3", ""}}));
  l.backups.push_back(Backup("b1030", "2026-11-26T10:30:00Z", "2026-11-26T10:40:00Z", {{"postgresql", "physical"}}));
  l.backups.push_back(Backup("b1100", "2026-11-26T11:00:00Z", "2026-11-26T11:01:00Z", {{"kafka", ""}}));
  auto failed = Backup("b1120", "2026-11-26T11:20:00Z", "2026-11-26T11:21:00Z", {{"files", ""}});
  failed.status = "failed";
  l.backups.push_back(failed);
  l.backups.push_back(Backup("b1200", "2026-11-26T12:00:00Z", "2026-11-26T12:05:00Z",
                             {{"postgresql", ""}, {"files", ""}, {"s3", ""}, {"kafka", ""}}));
  return l;
}

TEST(PointInTimeTest, EachComponentComesFromTheBackupClosestToTheTarget) {
  RestoreRequest all;
  all.components = {"all"};
  auto plan = PlanPointInTime(Listing(), At("2026-11-26T11:30:00Z"), all);
  ASSERT_OK(plan);
  std::map<std::string, ComponentAsOf> by;
  for (const auto& c : *plan) by[c.component] = c;
  ASSERT_EQ(by.size(), 4u) << "every component some backup has";
  EXPECT_EQ(by["postgresql"].backup_id, "b1000") << "the newest logical dump finished by the target";
  EXPECT_EQ(by["postgresql"].how, "backup");
  EXPECT_EQ(by["postgresql"].recovery_point, "2026-11-26T10:00:00Z") << "a dump is as of its start";
  EXPECT_DOUBLE_EQ(by["postgresql"].seconds_before_target, 5400);
  EXPECT_EQ(by["files"].backup_id, "b1000") << "a failed backup is not used";
  EXPECT_EQ(by["s3"].backup_id, "b1000");
  EXPECT_EQ(by["kafka"].backup_id, "b1200") << "the oldest taken after the target, cut at it";
  EXPECT_EQ(by["kafka"].how, "messages_to_time");
  EXPECT_DOUBLE_EQ(by["kafka"].seconds_before_target, 0);
}

TEST(PointInTimeTest, WhatToRestoreIsNamedWhenTheBackupsHoldSeveralComponents) {
  auto plan = PlanPointInTime(Listing(), At("2026-11-26T11:30:00Z"), {});
  EXPECT_THAT(plan.status(), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(plan.status().message(), HasSubstr("hold the components postgresql, files, s3, kafka; choose what to "
                                                 "restore with --component (or --component all)"));
  RestoreRequest request;
  request.components = {"all", "files"};
  EXPECT_THAT(PlanPointInTime(Listing(), At("2026-11-26T11:30:00Z"), request).status(),
              StatusIs(Code::kInvalidArgument));
  request.components = {"postgres"};
  EXPECT_THAT(PlanPointInTime(Listing(), At("2026-11-26T11:30:00Z"), request).status().message(),
              HasSubstr("unknown component 'postgres' (known: files, postgresql, s3, kafka, or all)"));
  // "all" at 10:20: what the backups finished by then hold, and kafka taken after.
  request.components = {"all"};
  plan = PlanPointInTime(Listing(), At("2026-11-26T10:20:00Z"), request);
  ASSERT_OK(plan);
  std::vector<std::string> names;
  for (const auto& c : *plan) names.push_back(c.component + "=" + c.backup_id);
  EXPECT_EQ(names, (std::vector<std::string>{"postgresql=b1000", "files=b1000", "s3=b1000", "kafka=b1100"}));
}

TEST(PointInTimeTest, ABackupRunningAtTheTargetIsNotUsed) {
  RestoreRequest request;
  request.components = {"files"};
  auto plan = PlanPointInTime(Listing(), At("2026-11-26T10:03:00Z"), request);
  EXPECT_THAT(plan.status(), StatusIs(Code::kNotFound)) << "b1000 ran from 10:00 to 10:05";
  request.components = {"postgresql"};
  request.target_dir = "/tmp/extract";  // extracted: a physical backup will do as well
  plan = PlanPointInTime(Listing(), At("2026-11-26T11:30:00Z"), request);
  ASSERT_OK(plan);
  EXPECT_EQ(plan->at(0).backup_id, "b1030");
  EXPECT_EQ(plan->at(0).how, "backup");
}

TEST(PointInTimeTest, WithPgdataTheBaseBackupIsReplayedToTheTarget) {
  RestoreRequest request;
  request.components = {"postgresql"};
  request.postgres.pgdata = "/tmp/pgdata";
  auto plan = PlanPointInTime(Listing(), At("2026-11-26T11:30:00Z"), request);
  ASSERT_OK(plan);
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_EQ(plan->at(0).backup_id, "b1030");
  EXPECT_EQ(plan->at(0).how, "wal_replay");
  EXPECT_EQ(plan->at(0).recovery_point, "2026-11-26T11:30:00Z");
}

TEST(PointInTimeTest, KafkaWithNothingAfterTheTargetTakesTheNewestBefore) {
  RestoreRequest request;
  request.components = {"kafka"};
  auto plan = PlanPointInTime(Listing(), At("2026-11-26T13:00:00Z"), request);
  ASSERT_OK(plan);
  EXPECT_EQ(plan->at(0).backup_id, "b1200");
  EXPECT_EQ(plan->at(0).how, "backup");
  EXPECT_DOUBLE_EQ(plan->at(0).seconds_before_target, 3600);
}

TEST(PointInTimeTest, AComponentNoBackupReachesIsNotFoundNamingTheOldest) {
  RestoreRequest request;
  request.components = {"files"};
  auto plan = PlanPointInTime(Listing(), At("2026-11-26T09:00:00Z"), request);
  EXPECT_THAT(plan.status(), StatusIs(Code::kNotFound));
  EXPECT_THAT(plan.status().message(), HasSubstr("no completed backup of component 'files' finished by "
                                                 "2026-11-26T09:00:00Z (the oldest, b1000, finished "
                                                 "2026-11-26T10:05:00Z)"));
  request.components = {"postgresql"};
  request.postgres.pgdata = "/tmp/pgdata";
  plan = PlanPointInTime(Listing(), At("2026-11-26T10:20:00Z"), request);
  EXPECT_THAT(plan.status().message(), HasSubstr("no completed physical (for --pgdata) backup"));
}

TEST(PointInTimeTest, TimesAreTakenAsUsersAndPostgresWriteThem) {
  EXPECT_EQ(*ParseTimeArg("2026-11-26T10:41:00Z"), At("2026-11-26T10:41:00Z"));
  EXPECT_EQ(*ParseTimeArg("2026-11-26 10:41:00+00"), At("2026-11-26T10:41:00Z"));
  EXPECT_EQ(*ParseTimeArg("2026-11-26 12:41:00+02:00"), At("2026-11-26T10:41:00Z"));
  EXPECT_EQ(*ParseTimeArg("2026-11-26 05:41:00-0500"), At("2026-11-26T10:41:00Z"));
  EXPECT_EQ(*ParseTimeArg("2026-11-26T10:41:00.250Z"), At("2026-11-26T10:41:00.250Z"));
  for (const char* bad : {"2026-11-26", "2026-11-26 10:41:00", "2026-13-01T00:00:00Z", "yesterday",
                          "2026-11-26T10:41:00+2", "2026-02-30T00:00:00Z", "2026-11-31T00:00:00Z",
                          "2026-11-26T10:-5:00Z", "2026-11- 5T10:00:00Z", "2026-11-26T10:41:00+-1",
                          "2026-11-26T10:41:00.Z", "2026-11-26T24:00:00Z"}) {
    EXPECT_THAT(ParseTimeArg(bad).status(), StatusIs(Code::kInvalidArgument)) << bad;
  }
}

// Three backups of a tree at known times; restored as of a time between the
// second and the third, the tree is the second's, and the result says how far
// before the target its recovery point is.
TEST(PointInTimeTest, AFilesTreeComesBackAsOfTheTarget) {
  ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
  test::TempDir dir;
  config::Config config;
  config.files.paths = {dir / "src"};
  FakeClock clock(At("2026-11-26T10:00:00Z"));
  ManagerOptions options;
  options.clock = &clock;
  options.backend = storage::NewMemoryBackend();
  BackupManager manager(config, std::move(options));
  ASSERT_OK(manager.InitRepository());
  for (const char* version : {"one", "two", "three"}) {
    test::WriteFile(dir / "src/state.txt", version);
    auto made = manager.CreateFullBackup(std::string("b-") + version);
    ASSERT_EQ(made.status, "completed") << made.error.ToString();
    clock.Advance(std::chrono::hours(1));
  }
  RestoreRequest request;
  request.target_dir = dir / "out";
  PointInTimeResult r = RestoreToTime(manager, "2026-11-26 11:30:00+00", request, clock);
  ASSERT_EQ(r.status, "completed") << r.error.ToString();
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].backup_id, "b-two");
  EXPECT_DOUBLE_EQ(r.rpo_seconds, 1800);
  EXPECT_EQ(test::ReadFileOrDie(dir / "out" + dir.path() + "/src/state.txt"), "two");
  nlohmann::json j = r.ToJson();
  EXPECT_EQ(j["target_time"], "2026-11-26T11:30:00Z");
  EXPECT_EQ(j["components"][0]["status"], "completed");
  EXPECT_EQ(j["components"][0]["restore"]["items_restored"], 2) << "src and state.txt";

  // --stdout with no item named still needs one component; files need a target.
  RestoreRequest no_target;
  r = RestoreToTime(manager, "2026-11-26T11:30:00Z", no_target, clock);
  EXPECT_THAT(r.error, StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(r.error.message(), HasSubstr("restoring files needs --target DIR"));

  // An option for a component that is not restored is refused before anything is written.
  request.target_dir = dir / "out2";
  request.s3.target_bucket = "elsewhere";
  r = RestoreToTime(manager, "2026-11-26T11:30:00Z", request, clock);
  EXPECT_THAT(r.error, StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(r.error.message(), HasSubstr("--target-bucket"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out2"));
  ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY");
}

}  // namespace
}  // namespace dr::backup
