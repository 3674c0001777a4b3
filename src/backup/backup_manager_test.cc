// The C++ API as the guide uses it: CreateFullBackup(id) -> result.status,
// VerifyBackupIntegrity(id) -> verification_results.overall_status.
#include "backup/backup_manager.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/encoding.h"
#include "source/files/files_source.h"
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
  void SetWall(std::chrono::system_clock::time_point t) { wall_ = t; }

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

// The second backup of a tree reads only what changed since the first, by
// size, mtime, ctime and inode, and still restores the whole tree.
// The newest (or the oldest) change time (ctime) of the files under dir, plus `after`.
std::chrono::system_clock::time_point AfterChange(const std::string& dir, std::chrono::milliseconds after,
                                                  bool oldest = false) {
  int64_t found = oldest ? INT64_MAX : 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st {};
    if (e.is_regular_file() && ::lstat(e.path().c_str(), &st) == 0) {
      int64_t ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
      found = oldest ? std::min(found, ns) : std::max(found, ns);
    }
  }
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
             std::chrono::nanoseconds(found))) + after;
}

TEST_F(BackupManagerTest, UnchangedFilesAreTakenFromThePreviousBackupUnread) {
  for (int i = 0; i < 20; ++i) test::WriteFile(dir_ / ("src/many/f" + std::to_string(i)), test::RandomData(5000, 100 + i));
  // The backup runs well after the files' last change: none is "racy".
  clock_.SetWall(AfterChange(dir_ / "src", std::chrono::seconds(60)));
  auto manager = NewManager();
  ASSERT_EQ(manager->CreateFullBackup("one").status, "completed");
  auto meta = [&](const std::string& id) {
    auto snap = manager->GetBackup(id);
    EXPECT_OK(snap);
    return snap.ok() ? snap->components.at(0).meta : nlohmann::json();
  };
  EXPECT_EQ(meta("one")["files_read"], 22);

  // Rewritten in place (new mtime and ctime); replaced by a rename (new inode),
  // with the old mtime put back; and only its mode changed (ctime alone moves).
  std::string f3 = dir_ / "src/many/f3", f4 = dir_ / "src/many/f4", f5 = dir_ / "src/many/f5";
  struct stat before {};
  ASSERT_EQ(::stat(f4.c_str(), &before), 0);
  test::WriteFile(f3, test::RandomData(5000, 999));
  test::WriteFile(f4 + ".new", test::RandomData(5000, 998));
  ASSERT_EQ(::rename((f4 + ".new").c_str(), f4.c_str()), 0);
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, f4.c_str(), times, 0), 0);
  ASSERT_EQ(::chmod(f5.c_str(), 0600), 0);
  auto second = manager->CreateFullBackup("two");
  ASSERT_EQ(second.status, "completed") << second.error.ToString();
  EXPECT_EQ(meta("two")["files_read"], 3);
  EXPECT_EQ(meta("two")["files_unchanged"], 19);
  EXPECT_EQ(second.stats.input_bytes, 700005u + 20 * 5000) << "the backup's size counts the unchanged files";

  auto restored = manager->RestoreBackup("two", {.target_dir = dir_ / "out"});
  ASSERT_EQ(restored.status, "completed") << restored.error.ToString();
  std::string out = dir_ / "out" + dir_.path() + "/src/";
  EXPECT_EQ(test::ReadFileOrDie(out + "many/f3"), test::RandomData(5000, 999));
  EXPECT_EQ(test::ReadFileOrDie(out + "many/f4"), test::RandomData(5000, 998));
  EXPECT_EQ(test::ReadFileOrDie(out + "many/f5"), test::RandomData(5000, 105));
  EXPECT_EQ(test::ReadFileOrDie(out + "many/f19"), test::RandomData(5000, 119));
  EXPECT_EQ(test::ReadFileOrDie(out + "nested/b.bin"), test::RandomData(700000, 3));
  struct stat mode {};
  ASSERT_EQ(::stat((out + "many/f5").c_str(), &mode), 0);
  EXPECT_EQ(mode.st_mode & 0777, 0600u) << "a changed mode changes ctime: the file is read with its new mode";

  ASSERT_EQ(manager->CreateFullBackup("three", {.read_all = true}).status, "completed");
  EXPECT_EQ(meta("three")["files_read"], 22) << "--read-all reads everything";
  EXPECT_EQ(manager->VerifyBackupIntegrity("two", /*full=*/true).ToJson()["verification_results"]["overall_status"],
            "passed");
}

// A restore of many small files reads them in batches (several here) and
// walks the item list twice (check, then write): every file's bytes, and
// every file's and directory's mode and mtime, come back, a directory's mtime
// set once what is in it was written.
TEST_F(BackupManagerTest, ARestoreOfManySmallFilesKeepsTheirBytesModesAndTimes) {
  constexpr int kFiles = source::kRestoreBatchFiles + 1000;  // more than a batch
  auto name = [](int i) { return "src/many/d" + std::to_string(i % 40) + "/f" + std::to_string(i); };
  for (int i = 0; i < kFiles; ++i) test::WriteFile(dir_ / name(i), test::RandomData(40 + i % 300, 1000 + i));
  for (int i = 0; i < kFiles; i += 7) ASSERT_EQ(::chmod((dir_ / name(i)).c_str(), 0640), 0);
  auto set_mtime = [](const std::string& path, time_t t) {
    struct timespec times[2] = {{t, 0}, {t, 0}};
    return ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
  };
  for (int i = 0; i < kFiles; ++i) ASSERT_EQ(set_mtime(dir_ / name(i), 1700000000 + i), 0);
  for (int d = 0; d < 40; ++d) ASSERT_EQ(set_mtime(dir_ / ("src/many/d" + std::to_string(d)), 1600000000 + d), 0);
  ASSERT_EQ(set_mtime(dir_ / "src/many", 1500000000), 0);
  auto manager = NewManager();
  ASSERT_EQ(manager->CreateFullBackup("one").status, "completed");
  auto restored = manager->RestoreBackup("one", {.target_dir = dir_ / "out"});
  ASSERT_EQ(restored.status, "completed") << restored.error.ToString();
  EXPECT_EQ(restored.items_restored, kFiles + 2u + 43u) << "the files, a.txt, b.bin, 40 directories, many, nested, src";
  std::string out = dir_ / "out" + dir_.path() + "/";
  auto stat_of = [](const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st;
  };
  for (int i = 0; i < kFiles; ++i) {
    ASSERT_EQ(test::ReadFileOrDie(out + name(i)), test::RandomData(40 + i % 300, 1000 + i)) << name(i);
    struct stat st = stat_of(out + name(i));
    EXPECT_EQ(st.st_mtime, 1700000000 + i) << name(i);
    EXPECT_EQ(st.st_mode & 0777, i % 7 == 0 ? 0640u : stat_of(dir_ / name(i)).st_mode & 0777) << name(i);
  }
  for (int d = 0; d < 40; ++d) EXPECT_EQ(stat_of(out + "src/many/d" + std::to_string(d)).st_mtime, 1600000000 + d);
  EXPECT_EQ(stat_of(out + "src/many").st_mtime, 1500000000);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "out")) {
    EXPECT_EQ(e.path().filename().string().find(".ecap-dr-partial-"), std::string::npos) << e.path();
  }

  // Restored again over itself: every existing file is one conflict, counted
  // by the first pass (nothing written), the first few named.
  auto again = manager->RestoreBackup("one", {.target_dir = dir_ / "out"});
  ASSERT_EQ(again.status, "failed");
  EXPECT_THAT(again.error, StatusIs(Code::kAlreadyExists));
  EXPECT_THAT(again.error.message(), ::testing::HasSubstr("has " + std::to_string(kFiles + 2) + " conflicts"));
  EXPECT_THAT(again.error.message(), ::testing::HasSubstr("and " + std::to_string(kFiles + 2 - 5) + " more"));
}

// A stdin stream is listed after the walked tree; named into one of its
// directories, it comes out of walk order, and that directory's time is still
// the backed-up one (its metadata waits for the end of the restore).
TEST_F(BackupManagerTest, AStreamNamedIntoAWalkedDirectoryLeavesThatDirectorysTime) {
  test::WriteFile(dir_ / "dump.sql", "select 1;");
  // More files after src/nested than a batch holds: its metadata would be
  // applied when they are flushed, before the stream is written into it.
  for (size_t i = 0; i < source::kRestoreBatchFiles + 100; ++i) {
    test::WriteFile(dir_ / ("src/zz/f" + std::to_string(i)), "z");
  }
  struct timespec times[2] = {{1600000000, 0}, {1600000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir_ / "src/nested").c_str(), times, 0), 0);
  int fd = ::open((dir_ / "dump.sql").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::string name = std::string(dir_ / "src/nested/dump.sql").substr(1);
  auto manager = NewManager();
  auto created = manager->CreateFullBackup("one", {.paths = {dir_ / "src"}, .streams = {{name, fd}}});
  ::close(fd);
  ASSERT_EQ(created.status, "completed") << created.error.ToString();
  auto restored = manager->RestoreBackup("one", {.target_dir = dir_ / "out"});
  ASSERT_EQ(restored.status, "completed") << restored.error.ToString();
  std::string out = dir_ / "out" + dir_.path() + "/src/nested";
  EXPECT_EQ(test::ReadFileOrDie(out + "/dump.sql"), "select 1;");
  EXPECT_EQ(test::ReadFileOrDie(out + "/b.bin"), test::RandomData(700000, 3));
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1600000000);
}

// The base is read as a list in walk order: roots given in any order are
// walked sorted, so every unchanged file is found, whatever order they are named in.
TEST_F(BackupManagerTest, TheBaseIsFoundInWalkOrderWhateverOrderTheRootsAreGivenIn) {
  EXPECT_TRUE(source::WalkBefore("a", "a/b"));
  EXPECT_TRUE(source::WalkBefore("a/b", "a-c")) << "a directory's contents before its next sibling";
  EXPECT_TRUE(source::WalkBefore("a/z/y", "a/zz"));
  EXPECT_FALSE(source::WalkBefore("a/b", "a/b"));
  EXPECT_FALSE(source::WalkBefore("b", "a/b"));
  for (const char* d : {"src/zeta", "src/alpha", "src/alpha-2", "src/alpha/inner"}) {
    for (int i = 0; i < 5; ++i) test::WriteFile(dir_ / (std::string(d) + "/f" + std::to_string(i)), d + std::to_string(i));
  }
  // Unsorted, one given twice and one inside another: each is walked once.
  config_.files.paths = {dir_ / "src/zeta", dir_ / "src/alpha-2", dir_ / "src/alpha/inner", dir_ / "src/alpha",
                         dir_ / "src/zeta/"};
  clock_.SetWall(AfterChange(dir_ / "src", std::chrono::seconds(60)));
  auto manager = NewManager();
  ASSERT_EQ(manager->CreateFullBackup("one").status, "completed");
  test::WriteFile(dir_ / "src/alpha/inner/f3", "changed");
  clock_.SetWall(AfterChange(dir_ / "src", std::chrono::seconds(60)));
  auto second = manager->CreateFullBackup("two");
  ASSERT_EQ(second.status, "completed") << second.error.ToString();
  EXPECT_TRUE(second.warnings.empty()) << second.warnings.front();
  auto snap = manager->GetBackup("two", /*with_items=*/false);
  ASSERT_OK(snap);
  EXPECT_EQ(snap->components.at(0).meta["files_read"], 1);
  EXPECT_EQ(snap->components.at(0).meta["files_unchanged"], 19);
  EXPECT_EQ(snap->components.at(0).item_count, 20u + 4) << "20 files and 4 directories, each once";
  auto restored = manager->RestoreBackup("two", {.target_dir = dir_ / "out"});
  ASSERT_EQ(restored.status, "completed") << restored.error.ToString();
  EXPECT_EQ(test::ReadFileOrDie(dir_ / "out" + dir_.path() + "/src/alpha/inner/f3"), "changed");
  EXPECT_EQ(test::ReadFileOrDie(dir_ / "out" + dir_.path() + "/src/zeta/f4"), "src/zeta4");
}

// Snapshot format 2: what an incremental backup of a large tree writes grows
// with what changed. The item lists of 3,000 files are hundreds of KiB; three
// files changed add a few blobs of them, and the data of the three files.
TEST_F(BackupManagerTest, AnIncrementalBackupWritesMetadataInProportionToTheChange) {
  for (int d = 0; d < 30; ++d) {
    for (int i = 0; i < 100; ++i) {
      test::WriteFile(dir_ / ("src/tree/d" + std::to_string(d) + "/f" + std::to_string(i)), "{\"n\": " + std::to_string(i) + "}");
    }
  }
  clock_.SetWall(AfterChange(dir_ / "src", std::chrono::seconds(60)));
  auto manager = NewManager();
  auto first = manager->CreateFullBackup("one");
  ASSERT_EQ(first.status, "completed") << first.error.ToString();
  EXPECT_GT(first.stats.metadata_bytes, 3000u * 200) << "about 300 bytes of item per file";

  for (const char* f : {"src/tree/d0/f1", "src/tree/d15/f50", "src/tree/d29/f99"}) {
    test::WriteFile(dir_ / f, std::string("{\"changed\": \"") + f + "\"}");
  }
  clock_.SetWall(AfterChange(dir_ / "src", std::chrono::seconds(60)));
  auto second = manager->CreateFullBackup("two");
  ASSERT_EQ(second.status, "completed") << second.error.ToString();
  EXPECT_EQ(second.stats.new_bytes, 29u + 31 + 31) << "the three files' new data";
  EXPECT_GT(second.stats.metadata_bytes, 0u);
  EXPECT_LT(second.stats.metadata_bytes * 10, first.stats.metadata_bytes)
      << "3 changed files of 3,000 rewrote " << second.stats.metadata_bytes << " of " << first.stats.metadata_bytes
      << " bytes of item lists";
  EXPECT_LT(second.stats.stored_bytes * 5, first.stats.stored_bytes);

  auto restored = manager->RestoreBackup("two", {.target_dir = dir_ / "out"});
  ASSERT_EQ(restored.status, "completed") << restored.error.ToString();
  std::string out = dir_ / "out" + dir_.path() + "/src/tree/";
  EXPECT_EQ(test::ReadFileOrDie(out + "d15/f50"), "{\"changed\": \"src/tree/d15/f50\"}");
  EXPECT_EQ(test::ReadFileOrDie(out + "d15/f51"), "{\"n\": 51}");
  EXPECT_EQ(restored.items_restored, 3000u + 30 + 1 + 2 + 2) << "files, their directories, and the fixture's own";
}

// A file changed within a second of its backup could change again within the
// same timestamp tick, unseen: the next backup reads it again.
TEST_F(BackupManagerTest, AFileChangedJustBeforeItsBackupIsReadAgainNextTime) {
  test::WriteFile(dir_ / "src/fresh", "written just now");
  // Half a second after the oldest change: every file changed within the second before the backup.
  clock_.SetWall(AfterChange(dir_ / "src", std::chrono::milliseconds(500), /*oldest=*/true));
  auto manager = NewManager();
  ASSERT_EQ(manager->CreateFullBackup("one").status, "completed");
  clock_.Advance(std::chrono::seconds(60));
  ASSERT_EQ(manager->CreateFullBackup("two").status, "completed");
  auto snap = manager->GetBackup("two");
  ASSERT_OK(snap);
  EXPECT_EQ(snap->components.at(0).meta["files_read"], 3) << "a.txt, b.bin and fresh were all changed within the second";
  ASSERT_EQ(manager->CreateFullBackup("three").status, "completed");
  snap = manager->GetBackup("three");
  ASSERT_OK(snap);
  EXPECT_EQ(snap->components.at(0).meta["files_read"], 0) << "settled since: taken unread";
}

// The base of a files backup is the newest one of the same paths: a backup of
// another tree in between (another job, a stdin dump) does not make it read
// everything; a base that cannot be read is a warning, not a failed backup.
TEST_F(BackupManagerTest, TheBaseIsTheNewestBackupOfTheSamePaths) {
  test::WriteFile(dir_ / "other/x.txt", "another job's tree");
  clock_.SetWall(AfterChange(dir_.path(), std::chrono::seconds(60)));
  auto manager = NewManager();
  ASSERT_EQ(manager->CreateFullBackup("mine").status, "completed");
  ASSERT_EQ(manager->CreateFullBackup("theirs", {.paths = {dir_ / "other"}}).status, "completed");
  ASSERT_EQ(manager->CreateFullBackup("again").status, "completed");
  auto snap = manager->GetBackup("again");
  ASSERT_OK(snap);
  EXPECT_EQ(snap->components.at(0).meta["files_read"], 0) << "based on 'mine', not on 'theirs'";
  EXPECT_EQ(snap->components.at(0).meta["files_unchanged"], 2);

  // A subtree of a backed-up root fits too.
  ASSERT_EQ(manager->CreateFullBackup("sub", {.paths = {dir_ / "src/nested"}}).status, "completed");
  EXPECT_EQ(manager->GetBackup("sub")->components.at(0).meta["files_unchanged"], 1);

  // The newest fitting base damaged: the backup still completes, takes the next older one, and says why.
  ASSERT_EQ(manager->CreateFullBackup("newest").status, "completed");
  auto repo = manager->Repository();
  ASSERT_OK(repo);
  ASSERT_OK((*repo)->backend().Put({ObjectKind::kSnapshot, "newest"}, "damaged", {.overwrite = true}));
  auto next = manager->CreateFullBackup("after-damage");
  ASSERT_EQ(next.status, "completed") << next.error.ToString();
  EXPECT_EQ(manager->GetBackup("after-damage")->components.at(0).meta["files_unchanged"], 2)
      << "an older base of the same paths ('again') is used";
  bool warned = std::any_of(next.warnings.begin(), next.warnings.end(),
                            [](const std::string& w) { return w.find("'newest'") != std::string::npos; });
  EXPECT_TRUE(warned) << "the damaged backup is named in a warning";
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

namespace dr::backup {
namespace {

// An index whose runs cannot go to disk stays in memory (index.h); the backup
// and the restore still complete, and each says so, naming the directory.
TEST(BackupManagerIndexTest, AnIndexThatCannotSpillIsAWarningNamingTheDirectory) {
  ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
  test::TempDir dir;
  for (int i = 0; i < 12; ++i) test::WriteFile(dir / ("src/f" + std::to_string(i)), test::RandomData(3000, i));
  config::Config config;
  config.files.paths = {dir / "src"};
  config.backup_manager.index_dir = dir / "no-such-directory";
  FixedClock clock;
  ManagerOptions options;
  options.clock = &clock;
  options.backend = storage::NewMemoryBackend();
  options.index_memory_entries = 4;  // 12 files of their own data: the index spills
  BackupManager manager(config, std::move(options));
  ASSERT_OK(manager.InitRepository());
  auto backup = manager.CreateFullBackup("spilled");
  ASSERT_EQ(backup.status, "completed") << backup.error.ToString();
  auto names_dir = [&](const std::vector<std::string>& warnings) {
    for (const auto& w : warnings) {
      if (w.find(dir / "no-such-directory") != std::string::npos && w.find("backup_manager.index_dir") != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(names_dir(backup.warnings)) << ::testing::PrintToString(backup.warnings);
  auto restored = manager.RestoreBackup("spilled", {.target_dir = dir / "out"});
  ASSERT_EQ(restored.status, "completed") << restored.error.ToString();
  EXPECT_EQ(test::ReadFileOrDie(dir / "out" + dir.path() + "/src/f7"), test::RandomData(3000, 7));
  EXPECT_TRUE(names_dir(manager.warnings())) << ::testing::PrintToString(manager.warnings());
  ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY");
}

}  // namespace
}  // namespace dr::backup
