// A backup never references data that a prune deleted: the lock is taken
// before any index is read, nothing read by one operation is reused by the
// next, and a backup whose lock was lost does not commit.
#include <unistd.h>

#include "backup/backup_manager.h"
#include "base/encoding.h"
#include "base/fake_clock.h"
#include "storage/memory/memory_backend.h"
#include "test/support/counting_backend.h"
#include "test/support/test_support.h"

namespace dr::backup {
namespace {

using test::StatusIs;
using ::testing::HasSubstr;

class BackupLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
    test::WriteFile(dir_ / "src/data.bin", Data());
    config_.files.paths = {dir_ / "src"};
  }
  void TearDown() override { ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY"); }
  static std::string Data() { return test::RandomData(3 << 20, 7); }
  // A manager ("a process") over the shared repository.
  std::unique_ptr<BackupManager> Manager() {
    ManagerOptions options;
    options.clock = &clock_;
    options.backend = test::BorrowBackend(*store_);
    return std::make_unique<BackupManager>(config_, std::move(options));
  }
  // Forgets `id` and prunes what only it referenced, as another process would.
  void ForgetAndPrune(const std::string& id) {
    auto other = Manager();
    ASSERT_OK(other->DeleteBackup(id));
    auto retention = other->ApplyRetention({.prune = true});
    ASSERT_OK(retention);
    ASSERT_GT(retention->prune.packs_deleted, 0u);
  }
  void ExpectRestoresByteForByte(BackupManager& manager, const std::string& id) {
    auto restored = manager.RestoreBackup(id, {.target_dir = dir_ / ("out-" + id)});
    ASSERT_EQ(restored.status, "completed") << restored.error.ToString();
    EXPECT_EQ(test::ReadFileOrDie(dir_ / ("out-" + id) + dir_.path() + "/src/data.bin"), Data());
    auto check = manager.CheckRepository(/*read_data=*/true);
    ASSERT_OK(check);
    EXPECT_TRUE(check->ok()) << check->ToJson().dump();
  }

  test::TempDir dir_;
  config::Config config_;
  FakeClock clock_;
  std::unique_ptr<Backend> store_ = storage::NewMemoryBackend();
};

// The old order: open + read every index, then lock. A prune finishing in
// between left the backup deduplicating against deleted packs.
TEST_F(BackupLockTest, APruneRightBeforeTheBackupLocksCannotCutTheGroundFromUnderIt) {
  auto backups = Manager();
  ASSERT_OK(backups->InitRepository());
  ASSERT_EQ(backups->CreateFullBackup("b1").status, "completed");
  ManagerOptions options;
  options.clock = &clock_;
  options.backend = test::BorrowBackend(*store_);
  int gaps = 0;
  options.test_hook = [&](std::string_view point) {
    if (point == "backup.before_lock") {
      ++gaps;
      ForgetAndPrune("b1");
    }
  };
  BackupManager racing(config_, std::move(options));
  auto b2 = racing.CreateFullBackup("b2");
  ASSERT_EQ(b2.status, "completed") << b2.error.ToString();
  EXPECT_EQ(gaps, 1);
  // Written again, not deduplicated against b1's deleted packs.
  EXPECT_EQ(b2.stats.new_bytes, Data().size());
  ExpectRestoresByteForByte(racing, "b2");
}

// A manager that lives for months (the daemon) must not reuse the index of an
// earlier job: another process may have pruned since.
TEST_F(BackupLockTest, ALongLivedManagerReadsTheIndexAgainForEveryJob) {
  auto daemon = Manager();
  ASSERT_OK(daemon->InitRepository());
  ASSERT_EQ(daemon->CreateFullBackup("b1").status, "completed");
  ExpectRestoresByteForByte(*daemon, "b1");
  ForgetAndPrune("b1");
  auto b2 = daemon->CreateFullBackup("b2");
  ASSERT_EQ(b2.status, "completed") << b2.error.ToString();
  EXPECT_EQ(b2.stats.new_bytes, Data().size());
  ExpectRestoresByteForByte(*daemon, "b2");
}

TEST_F(BackupLockTest, ABackupWhoseLockWasLostDoesNotCommit) {
  auto setup = Manager();
  ASSERT_OK(setup->InitRepository());
  ManagerOptions options;
  options.clock = &clock_;
  options.backend = test::BorrowBackend(*store_);
  options.test_hook = [&](std::string_view point) {
    if (point != "backup.before_commit") return;
    // Another host judged the lock stale and removed it (and may be pruning now).
    std::vector<std::string> locks;
    ASSERT_OK(store_->List(ObjectKind::kLock, [&](const ObjectInfo& info) {
      locks.push_back(info.name.id);
      return Status::Ok();
    }));
    for (const auto& id : locks) ASSERT_OK(store_->Remove({ObjectKind::kLock, id}));
  };
  BackupManager manager(config_, std::move(options));
  auto result = manager.CreateFullBackup("lost");
  EXPECT_EQ(result.status, "failed");
  EXPECT_THAT(result.error, StatusIs(Code::kLocked));
  EXPECT_THAT(result.error.message(), HasSubstr("backup not committed"));
  EXPECT_THAT(result.error.message(), HasSubstr("removed by another process"));
  EXPECT_THAT(setup->GetBackup("lost"), StatusIs(Code::kNotFound));
}

TEST_F(BackupLockTest, EveryOperationReleasesItsLock) {
  auto manager = Manager();
  ASSERT_OK(manager->InitRepository());
  ASSERT_EQ(manager->CreateFullBackup("b1").status, "completed");
  ASSERT_EQ(manager->VerifyBackupIntegrity("b1", true).status, "completed");
  ASSERT_EQ(manager->RestoreBackup("b1", {.target_dir = dir_ / "out"}).status, "completed");
  ASSERT_OK(manager->CheckRepository(false));
  ASSERT_OK(manager->PinBackup("b1", true));
  ASSERT_OK(manager->ApplyRetention({.prune = true}));
  int locks = 0;
  ASSERT_OK(store_->List(ObjectKind::kLock, [&](const ObjectInfo&) {
    ++locks;
    return Status::Ok();
  }));
  EXPECT_EQ(locks, 0);
}

}  // namespace
}  // namespace dr::backup

namespace dr::backup {
namespace {

using test::CountingBackend;

TEST_F(BackupLockTest, ListingAgainReadsOnlySnapshotsThatChanged) {
  auto counting = std::make_unique<CountingBackend>(test::BorrowBackend(*store_));
  CountingBackend* reads = counting.get();
  ManagerOptions options;
  options.clock = &clock_;
  options.backend = std::move(counting);
  BackupManager manager(config_, std::move(options));
  ASSERT_OK(manager.InitRepository());
  for (const char* id : {"a", "b", "c"}) ASSERT_EQ(manager.CreateFullBackup(id).status, "completed");
  ASSERT_OK(manager.ListAllBackups());
  reads->snapshot_reads = 0;
  auto again = manager.ListAllBackups();
  ASSERT_OK(again);
  EXPECT_EQ(again->backups.size(), 3u);
  EXPECT_EQ(reads->snapshot_reads, 0);
  // Pinning rewrites one snapshot; deleting removes one: the listing follows both.
  ASSERT_OK(manager.PinBackup("b", true));
  ASSERT_OK(manager.DeleteBackup("c"));
  reads->snapshot_reads = 0;
  auto after = manager.ListAllBackups();
  ASSERT_OK(after);
  ASSERT_EQ(after->backups.size(), 2u);
  EXPECT_EQ(reads->snapshot_reads, 1);
  EXPECT_EQ(after->backups[1].backup_id, "b");
  EXPECT_THAT(after->backups[1].tags, ::testing::Contains("pinned"));
}

}  // namespace
}  // namespace dr::backup

namespace dr::backup {
namespace {

// A daemon cancels a job through its stop token: the job ends "cancelled",
// commits nothing, and the repository stays consistent for the next one.
TEST_F(BackupLockTest, ACancelledJobEndsCancelledAndLeavesTheRepositoryConsistent) {
  auto setup = Manager();
  ASSERT_OK(setup->InitRepository());
  ASSERT_EQ(setup->CreateFullBackup("before").status, "completed");
  std::stop_source stop;
  stop.request_stop();
  ManagerOptions options;
  options.clock = &clock_;
  options.backend = test::BorrowBackend(*store_);
  options.stop = stop.get_token();
  BackupManager cancelled(config_, std::move(options));
  test::WriteFile(dir_ / "src/more.bin", test::RandomData(1 << 20, 9));
  auto backup = cancelled.CreateFullBackup("cancelled");
  EXPECT_EQ(backup.status, "cancelled");
  EXPECT_THAT(backup.error, StatusIs(Code::kCancelled));
  EXPECT_THAT(setup->GetBackup("cancelled"), StatusIs(Code::kNotFound));
  auto restore = cancelled.RestoreBackup("before", {.target_dir = dir_ / "cancelled-out"});
  EXPECT_EQ(restore.status, "cancelled");
  EXPECT_EQ(restore.ToJson()["error"]["code"], "cancelled");
  ASSERT_EQ(setup->CreateFullBackup("after").status, "completed");
  ExpectRestoresByteForByte(*setup, "before");
}

}  // namespace
}  // namespace dr::backup
