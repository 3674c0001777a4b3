// The restore path under fire, through the BackupManager as a user's restore
// runs it: files into a directory and a stdin stream to a sink, with the
// repository failing or lying at the first, a middle and the last blob of a
// large item, and with a target that fails. Every case ends in a failed result
// whose error names the backup, the item and the blob, and no partial file is
// left under a final name or under the temporary one.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "backup/backup_manager.h"
#include "base/encoding.h"
#include "storage/faulty/faulty_backend.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::backup {
namespace {

using test::StatusIs;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

enum class Fault { kReadFails, kBlobDamaged, kTargetFails };

class FailingSink : public ByteSink {
 public:
  explicit FailingSink(size_t fail_at) : fail_at_(fail_at) {}
  Status Write(std::string_view) override {
    if (writes_++ == fail_at_) return Status(Code::kNoSpace, "unable to write 'stdout': No space left on device");
    return Status::Ok();
  }

 private:
  size_t fail_at_;
  size_t writes_ = 0;
};

class ManagerRestoreFaultsTest : public ::testing::TestWithParam<std::tuple<Fault, int>> {
 protected:
  void SetUp() override {
    ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
    test::WriteFile(dir_ / "src/a.txt", "alpha");
    test::WriteFile(dir_ / "src/big.bin", test::RandomData(20 << 20, 51));
    test::WriteFile(dir_ / "src/z.txt", "omega");
    test::WriteFile(dir_ / "stdin.csv", test::RandomData(20 << 20, 52));
    auto be = std::make_unique<storage::FaultyBackend>(storage::NewMemoryBackend());
    faulty_ = be.get();
    ManagerOptions options;
    options.backend = std::move(be);
    manager_ = std::make_unique<BackupManager>(config_, std::move(options));
    int fd = ::open((dir_ / "stdin.csv").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    auto created = manager_->CreateFullBackup(
        "b1", {.paths = {dir_ / "src"}, .streams = {{"orders.csv", fd}}, .init_repository = true});
    ::close(fd);
    ASSERT_EQ(created.status, "completed") << created.error.ToString();
  }
  void TearDown() override { ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY"); }

  const repo::SnapshotItem& Item(const std::string& suffix) {
    snap_ = *manager_->GetBackup("b1");
    for (const auto& item : snap_.components.at(0).items) {
      if (item.name.ends_with(suffix)) return item;
    }
    ADD_FAILURE() << "no item " << suffix;
    return snap_.components.at(0).items.at(0);
  }
  // Arms the test's fault at the test's blob of `item`; returns that blob's index.
  size_t Arm(const repo::SnapshotItem& item, const repo::Index& index) {
    size_t n = item.blobs.size();
    EXPECT_GT(n, 6u) << "the item must outrun the read-ahead window";
    size_t i = std::get<1>(GetParam()) == 0 ? 0 : std::get<1>(GetParam()) == 1 ? n / 2 : n - 1;
    auto loc = index.Find(item.blobs[i]);
    EXPECT_TRUE(loc.has_value());
    if (std::get<0>(GetParam()) == Fault::kReadFails) {
      faulty_->FailReadsCovering({ObjectKind::kPack, loc->pack_id}, loc->offset, Status(Code::kUnavailable, "read timed out"));
    } else if (std::get<0>(GetParam()) == Fault::kBlobDamaged) {
      faulty_->CorruptReadsCovering({ObjectKind::kPack, loc->pack_id}, loc->offset + loc->length / 2);
    }
    return i;
  }
  Code Expected() const {
    switch (std::get<0>(GetParam())) {
      case Fault::kReadFails: return Code::kUnavailable;
      case Fault::kBlobDamaged: return Code::kCorrupt;
      case Fault::kTargetFails: return Code::kNoSpace;
    }
    return Code::kOk;
  }

  test::TempDir dir_;
  config::Config config_;
  storage::FaultyBackend* faulty_ = nullptr;
  std::unique_ptr<BackupManager> manager_;
  repo::Snapshot snap_;
};

// A target write failing part way (a full disk) is the CLI's tmpfs test
// (test/integration/cli/restore_faults_test.cc): here the repository fails.
class FilesRestoreFaultsTest : public ManagerRestoreFaultsTest {};

TEST_P(FilesRestoreFaultsTest, FilesIntoADirectory) {
  const auto& item = Item("big.bin");
  auto repo = manager_->Repository();
  ASSERT_OK(repo);
  size_t i = Arm(item, (*repo)->index());
  std::string target = dir_ / "out";
  auto r = manager_->RestoreBackup("b1", {.target_dir = target, .items = {item.name}});
  ASSERT_EQ(r.status, "failed");
  EXPECT_THAT(r.error, StatusIs(Expected()));
  const std::string& msg = r.error.message();
  EXPECT_THAT(msg, HasSubstr("backup 'b1'"));
  EXPECT_THAT(msg, HasSubstr("big.bin"));
  EXPECT_THAT(msg, HasSubstr("blob '" + item.blobs[i].ShortHex() + "'"));
  for (auto& e : fs::recursive_directory_iterator(target)) {
    EXPECT_FALSE(e.is_regular_file()) << "left behind: " << e.path();
  }
}

TEST_P(ManagerRestoreFaultsTest, AStdinStreamToStdout) {
  const auto& item = Item("orders.csv");
  auto repo = manager_->Repository();
  ASSERT_OK(repo);
  size_t i = Arm(item, (*repo)->index());
  FailingSink failing(std::get<0>(GetParam()) == Fault::kTargetFails ? i : SIZE_MAX);
  auto r = manager_->RestoreBackup("b1", {.items = {"orders.csv"}, .single_sink = &failing});
  ASSERT_EQ(r.status, "failed");
  EXPECT_THAT(r.error, StatusIs(Expected()));
  EXPECT_THAT(r.error.message(), HasSubstr("backup 'b1'"));
  EXPECT_THAT(r.error.message(), HasSubstr("orders.csv"));
}

// Many small files are read as one batch (their blobs in merged reads): a
// damaged blob among them still fails the restore naming that file and its
// blob, the files before it stay restored, and nothing partial is left.
TEST(SmallFilesRestoreFaultTest, ADamagedBlobInABatchNamesItsFile) {
  ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
  test::TempDir dir;
  for (int i = 0; i < 300; ++i) test::WriteFile(dir / ("src/f" + std::to_string(1000 + i)), test::RandomData(100, i));
  auto be = std::make_unique<storage::FaultyBackend>(storage::NewMemoryBackend());
  storage::FaultyBackend* faulty = be.get();
  config::Config config;
  ManagerOptions options;
  options.backend = std::move(be);
  BackupManager manager(config, std::move(options));
  auto created = manager.CreateFullBackup("b1", {.paths = {dir / "src"}, .init_repository = true});
  ASSERT_EQ(created.status, "completed") << created.error.ToString();
  auto snap = manager.GetBackup("b1");
  ASSERT_OK(snap);
  const repo::SnapshotItem* bad = nullptr;
  for (const auto& item : snap->components.at(0).items) {
    if (item.name.ends_with("/f1150")) bad = &item;
  }
  ASSERT_NE(bad, nullptr);
  ASSERT_EQ(bad->blobs.size(), 1u);
  auto repo = manager.Repository();
  ASSERT_OK(repo);
  auto loc = (*repo)->index().Find(bad->blobs[0]);
  ASSERT_TRUE(loc.has_value());
  faulty->CorruptReadsCovering({ObjectKind::kPack, loc->pack_id}, loc->offset + loc->length / 2);

  std::string target = dir / "out";
  auto r = manager.RestoreBackup("b1", {.target_dir = target});
  ASSERT_EQ(r.status, "failed");
  EXPECT_THAT(r.error, StatusIs(Code::kCorrupt));
  EXPECT_THAT(r.error.message(), HasSubstr("item '" + bad->name + "'"));
  EXPECT_THAT(r.error.message(), HasSubstr("blob '" + bad->blobs[0].ShortHex() + "'"));
  std::string out = target + dir.path() + "/src/";
  EXPECT_EQ(test::ReadFileOrDie(out + "f1149"), test::RandomData(100, 149)) << "restored before the damage";
  EXPECT_FALSE(fs::exists(out + "f1150"));
  for (auto& e : fs::recursive_directory_iterator(target)) {
    EXPECT_EQ(e.path().filename().string().find(".ecap-dr-partial-"), std::string::npos) << e.path();
  }
  ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY");
}

std::string MatrixName(const ::testing::TestParamInfo<std::tuple<Fault, int>>& info) {
  Fault f = std::get<0>(info.param);
  int p = std::get<1>(info.param);
  return std::string(f == Fault::kReadFails ? "ReadFails" : f == Fault::kBlobDamaged ? "BlobDamaged" : "TargetFails") +
         "At" + (p == 0 ? "First" : p == 1 ? "Middle" : "Last");
}

INSTANTIATE_TEST_SUITE_P(Matrix, ManagerRestoreFaultsTest,
                         ::testing::Combine(::testing::Values(Fault::kReadFails, Fault::kBlobDamaged,
                                                              Fault::kTargetFails),
                                            ::testing::Values(0, 1, 2)),
                         MatrixName);
INSTANTIATE_TEST_SUITE_P(Matrix, FilesRestoreFaultsTest,
                         ::testing::Combine(::testing::Values(Fault::kReadFails, Fault::kBlobDamaged),
                                            ::testing::Values(0, 1, 2)),
                         MatrixName);

}  // namespace
}  // namespace dr::backup
