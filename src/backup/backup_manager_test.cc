// The C++ API as the guide uses it: CreateFullBackup(id) -> result.status,
// VerifyBackupIntegrity(id) -> verification_results.overall_status.
#include "backup/backup_manager.h"

#include <unistd.h>

#include "base/encoding.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::backup {
namespace {

using test::StatusIs;

class FixedClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override { return wall_; }
  std::chrono::steady_clock::time_point Monotonic() const override { return mono_; }
  void Advance(std::chrono::seconds s) {
    wall_ += s;
    mono_ += s;
  }

 private:
  std::chrono::system_clock::time_point wall_ = std::chrono::system_clock::from_time_t(1795000000);
  std::chrono::steady_clock::time_point mono_{};
};

class BackupManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
    test::WriteFile(dir_ / "src/a.txt", "alpha");
    test::WriteFile(dir_ / "src/nested/b.bin", test::RandomData(700000, 3));
    config_.files.paths = {dir_ / "src"};
  }
  void TearDown() override { ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY"); }
  // A manager over a fresh memory repository (created, unless init is false).
  std::unique_ptr<BackupManager> NewManager(bool init = true) {
    ManagerOptions options;
    options.clock = &clock_;
    options.backend = storage::NewMemoryBackend();
    auto manager = std::make_unique<BackupManager>(config_, std::move(options));
    if (init) {
      EXPECT_OK(manager->InitRepository());
    }
    return manager;
  }

  test::TempDir dir_;
  config::Config config_;
  FixedClock clock_;
};

TEST_F(BackupManagerTest, TheGuidesFlow) {
  auto manager = NewManager();
  auto result = manager->CreateFullBackup("manual_backup_20241127");
  ASSERT_EQ(result.status, "completed") << result.error.ToString();
  EXPECT_EQ(result.ToJson()["status"], "completed");
  EXPECT_EQ(result.components.at(0).name, "files");
  EXPECT_EQ(result.components.at(0).size_bytes, 700005u);

  auto verify = manager->VerifyBackupIntegrity("manual_backup_20241127", /*full=*/true);
  EXPECT_EQ(verify.ToJson()["verification_results"]["overall_status"], "passed");

  auto list = manager->ListBackups();
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].backup_id, "manual_backup_20241127");

  auto restored = manager->RestoreBackup("manual_backup_20241127", {.target_dir = dir_ / "out"});
  ASSERT_EQ(restored.status, "completed") << restored.error.ToString();
  EXPECT_EQ(test::ReadFileOrDie(dir_ / "out" + dir_.path() + "/src/nested/b.bin"), test::RandomData(700000, 3));
  EXPECT_EQ(test::ReadFileOrDie(dir_ / "out" + dir_.path() + "/src/a.txt"), "alpha");
}

TEST_F(BackupManagerTest, GeneratedIdsAreTypeAndUtcTimeAndNeverCollide) {
  auto manager = NewManager();
  auto first = manager->CreateFullBackup("");
  auto second = manager->CreateFullBackup("");
  ASSERT_EQ(first.status, "completed");
  ASSERT_EQ(second.status, "completed");
  EXPECT_EQ(first.backup_id, "full_20261118T110640Z");
  EXPECT_EQ(second.backup_id, "full_20261118T110640Z_2");
}

TEST_F(BackupManagerTest, FailuresAreResultsNotExceptions) {
  auto manager = NewManager();
  ASSERT_EQ(manager->CreateFullBackup("dup").status, "completed");
  auto dup = manager->CreateFullBackup("dup");
  EXPECT_EQ(dup.status, "failed");
  EXPECT_THAT(dup.error, StatusIs(Code::kAlreadyExists));
  EXPECT_EQ(dup.ToJson()["error"]["code"], "already_exists");
  auto missing = manager->VerifyBackupIntegrity("nope");
  EXPECT_EQ(missing.ToJson()["verification_results"]["overall_status"], "failed");
  EXPECT_THAT(manager->DeleteBackup("nope"), StatusIs(Code::kNotFound));
  config_.files.paths.clear();
  auto nothing = NewManager()->CreateFullBackup("empty");
  EXPECT_EQ(nothing.status, "failed");
  EXPECT_THAT(nothing.error, StatusIs(Code::kInvalidArgument));
}

TEST_F(BackupManagerTest, RecordsTimesSizesAndDedup) {
  auto manager = NewManager();
  auto first = manager->CreateFullBackup("one");
  clock_.Advance(std::chrono::seconds(90));
  auto second = manager->CreateFullBackup("two");
  ASSERT_EQ(second.status, "completed");
  EXPECT_EQ(second.start_time, "2026-11-18T11:08:10.000Z");
  EXPECT_EQ(second.stats.input_bytes, 700005u);
  EXPECT_EQ(second.stats.new_bytes, 0u) << "unchanged data is stored once";
  auto snap = manager->GetBackup("two");
  ASSERT_OK(snap);
  const auto& items = snap->components.at(0).items;
  auto it = std::find_if(items.begin(), items.end(), [](const auto& i) { return i.name.ends_with("a.txt"); });
  ASSERT_NE(it, items.end());
  EXPECT_EQ(it->sha256, "8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8");  // sha256("alpha")
}

// A mistyped backup_dir used to become a new, empty repository on the first
// backup; only `repo init` or an explicit request may create one.
TEST_F(BackupManagerTest, ABackupNeverCreatesARepositoryUnlessAsked) {
  auto manager = NewManager(/*init=*/false);
  auto refused = manager->CreateFullBackup("b1");
  EXPECT_EQ(refused.status, "failed");
  EXPECT_THAT(refused.error, StatusIs(Code::kNotFound));
  EXPECT_THAT(refused.error.message(), ::testing::HasSubstr("no repository at "));
  EXPECT_THAT(refused.error.message(), ::testing::HasSubstr("run 'ecap-dr repo init'"));
  EXPECT_THAT(manager->ListBackups(), StatusIs(Code::kNotFound)) << "nothing was created";
  auto asked = manager->CreateFullBackup("b1", {.init_repository = true});
  ASSERT_EQ(asked.status, "completed") << asked.error.ToString();
  ASSERT_OK(manager->ListBackups());
  EXPECT_EQ(manager->ListBackups()->size(), 1u);
}

}  // namespace
}  // namespace dr::backup
