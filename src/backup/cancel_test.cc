// A stop token ends retention (its deletes and prune's), a full verification
// and a full repository check at a point where the repository stays
// consistent: the operation says "cancelled", a check that reads every pack
// afterwards finds no error, every remaining backup restores, and the same
// retention run again without a stop finishes the job.
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <stop_token>

#include "backup/backup_manager.h"
#include "base/encoding.h"
#include "base/fake_clock.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::backup {
namespace {

using test::StatusIs;

// Requests a stop right after the `after`-th successful call of one kind
// (a Remove or a Get of `kind`): the stop lands between two steps of the
// operation, exactly where a signal's flag would be seen next.
class StopAfter : public BackendWrapper {
 public:
  enum class Op { kRemove, kGet };
  StopAfter(std::unique_ptr<Backend> target, Op op, ObjectKind kind, int after, std::stop_source stop)
      : BackendWrapper(std::move(target)), op_(op), kind_(kind), after_(after), stop_(std::move(stop)) {}
  Status Remove(const ObjectName& name) override {
    Status s = BackendWrapper::Remove(name);
    if (s.ok()) Count(Op::kRemove, name.kind);
    return s;
  }
  Result<std::string> Get(const ObjectName& name, ByteRange range) override {
    auto r = BackendWrapper::Get(name, range);
    if (r.ok()) Count(Op::kGet, name.kind);
    return r;
  }

 private:
  void Count(Op op, ObjectKind kind) {
    if (op == op_ && kind == kind_ && ++seen_ == after_) stop_.request_stop();
  }
  Op op_;
  ObjectKind kind_;
  int after_;
  std::atomic<int> seen_{0};  // packs are read from several threads
  std::stop_source stop_;
};

class CancelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
    config_.files.paths = {dir_ / "src"};
    // Only --keep-last decides below.
    config_.backup_manager.retention_policies = {.daily = 0, .weekly = 0, .monthly = 0};
  }
  void TearDown() override { ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY"); }

  std::unique_ptr<BackupManager> Manager(std::unique_ptr<Backend> backend = nullptr, std::stop_token stop = {}) {
    ManagerOptions options;
    options.clock = &clock_;
    options.backend = backend ? std::move(backend) : test::BorrowBackend(*store_);
    options.stop = std::move(stop);
    return std::make_unique<BackupManager>(config_, std::move(options));
  }
  std::unique_ptr<BackupManager> Stopping(StopAfter::Op op, ObjectKind kind, int after) {
    return Manager(std::make_unique<StopAfter>(test::BorrowBackend(*store_), op, kind, after, stop_),
                   stop_.get_token());
  }
  // Runs retention of all but the newest backup, stopped right after its
  // first removal of a `kind`; expects it cancelled and returns the packs it deleted.
  std::set<std::string> PacksDeletedByStoppedRetention(ObjectKind kind) {
    std::set<std::string> before = Packs();
    auto r = Stopping(StopAfter::Op::kRemove, kind, 1)->ApplyRetention({.keep_last = 1, .prune = true});
    EXPECT_THAT(r, StatusIs(Code::kCancelled));
    std::set<std::string> after = Packs(), deleted;
    std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::inserter(deleted, deleted.end()));
    return deleted;
  }
  std::set<std::string> Packs() {
    std::set<std::string> packs;
    EXPECT_OK(store_->List(ObjectKind::kPack, [&](const ObjectInfo& info) {
      packs.insert(info.name.id);
      return Status::Ok();
    }));
    return packs;
  }
  // Four backups, each of a file of its own (so each has packs only it uses)
  // beside one file they share.
  void MakeBackups() {
    auto m = Manager();
    ASSERT_OK(m->InitRepository());
    test::WriteFile(dir_ / "src/shared.bin", test::RandomData(1 << 20, 1));
    for (int i = 0; i < 4; ++i) {
      std::string id = "b" + std::to_string(i);
      test::WriteFile(dir_ / "src/own.bin", test::RandomData(2 << 20, 10 + i));
      contents_[id] = test::ReadFileOrDie(dir_ / "src/own.bin");
      ASSERT_EQ(m->CreateFullBackup(id).status, "completed");
    }
  }
  // No error in a check that reads every pack, and every backup still listed
  // restores its own file byte for byte.
  void ExpectConsistent() {
    auto m = Manager();
    auto check = m->CheckRepository(/*read_data=*/true);
    ASSERT_OK(check);
    EXPECT_TRUE(check->ok()) << check->ToJson().dump();
    auto listed = m->ListBackups();
    ASSERT_OK(listed);
    ASSERT_FALSE(listed->empty());
    for (const auto& b : *listed) {
      std::string out = "out-" + b.backup_id + "-" + std::to_string(++restores_);
      auto restored = m->RestoreBackup(b.backup_id, {.target_dir = dir_ / out});
      ASSERT_EQ(restored.status, "completed") << restored.error.ToString();
      EXPECT_EQ(test::ReadFileOrDie(dir_ / out + dir_.path() + "/src/own.bin"), contents_[b.backup_id]) << b.backup_id;
    }
  }
  // The same retention without a stop finishes: one backup left, and a
  // check with nothing to say (no pack left behind unindexed either).
  void ExpectRetentionFinishes() {
    auto m = Manager();
    auto again = m->ApplyRetention({.keep_last = 1, .prune = true});
    ASSERT_OK(again);
    auto listed = m->ListBackups();
    ASSERT_OK(listed);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->front().backup_id, "b3");
    auto check = m->CheckRepository(/*read_data=*/true);
    ASSERT_OK(check);
    EXPECT_TRUE(check->findings.empty()) << check->ToJson().dump();
    ExpectConsistent();
  }

  test::TempDir dir_;
  config::Config config_;
  FakeClock clock_;
  std::unique_ptr<Backend> store_ = storage::NewMemoryBackend();
  std::stop_source stop_;
  std::map<std::string, std::string> contents_;
  int restores_ = 0;
};

TEST_F(CancelTest, RetentionStopsBetweenForgettingTwoBackups) {
  MakeBackups();
  EXPECT_TRUE(PacksDeletedByStoppedRetention(ObjectKind::kSnapshot).empty());
  auto listed = Manager()->ListBackups();
  ASSERT_OK(listed);
  EXPECT_EQ(listed->size(), 3u) << "one backup forgotten, then stopped";
  ExpectConsistent();
  ExpectRetentionFinishes();
}

// Stopped while the old index files are replaced: prune deletes all of them
// (a half-replaced index set would unindex packs for nothing), then stops
// before it deletes any pack.
TEST_F(CancelTest, PruneStopsAfterTheIndexSwapBeforeDeletingPacks) {
  MakeBackups();
  EXPECT_TRUE(PacksDeletedByStoppedRetention(ObjectKind::kIndex).empty());
  ExpectConsistent();
  ExpectRetentionFinishes();
}

TEST_F(CancelTest, PruneStopsBetweenDeletingTwoPacks) {
  MakeBackups();
  EXPECT_EQ(PacksDeletedByStoppedRetention(ObjectKind::kPack).size(), 1u) << "stopped after the first pack deleted";
  ExpectConsistent();
  ExpectRetentionFinishes();
}

TEST_F(CancelTest, FullVerifyStopsBetweenBlobs) {
  MakeBackups();
  auto v = Stopping(StopAfter::Op::kGet, ObjectKind::kPack, 1)->VerifyBackupIntegrity("b3", /*full=*/true);
  EXPECT_EQ(v.status, "cancelled");
  EXPECT_THAT(v.error, StatusIs(Code::kCancelled));
  EXPECT_EQ(v.ToJson()["error"]["code"], "cancelled");
  EXPECT_EQ(v.ToJson()["verification_results"]["overall_status"], "failed");
  ExpectConsistent();
  EXPECT_EQ(Manager()->VerifyBackupIntegrity("b3", /*full=*/true).status, "completed");
}

TEST_F(CancelTest, CheckThatReadsDataStopsBetweenPacks) {
  MakeBackups();
  auto check = Stopping(StopAfter::Op::kGet, ObjectKind::kPack, 1)->CheckRepository(/*read_data=*/true);
  ASSERT_OK(check);
  EXPECT_FALSE(check->ok());
  ASSERT_FALSE(check->findings.empty());
  EXPECT_EQ(check->findings.back().code, Code::kCancelled) << check->ToJson().dump();
  ExpectConsistent();
}

}  // namespace
}  // namespace dr::backup
