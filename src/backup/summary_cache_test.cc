// The persisted summary cache (issue 12): a listing reads from the repository
// only the snapshots the cache lacks or that changed size, whichever process
// read them before; a damaged cache is a slower listing, never a failed or
// wrong one; damage in the repository is still reported.
#include "backup/summary_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include "backup/backup_manager.h"
#include "backup/sqlite_summary_cache.h"
#include "base/encoding.h"
#include "base/fake_clock.h"
#include "events/sqlite_db.h"
#include "storage/memory/memory_backend.h"
#include "test/support/counting_backend.h"
#include "test/support/test_support.h"

namespace dr::backup {
namespace {

using test::CountingBackend;
using test::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class SummaryCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
    test::WriteFile(dir_ / "src/a.txt", "alpha");
    config_.files.paths = {dir_ / "src"};
    BackupManager& setup = Manager(nullptr);
    ASSERT_OK(setup.InitRepository());
    repository_ = RepositoryKey(**setup.Repository());
  }
  void TearDown() override { ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY"); }

  // A manager ("a process") over the shared repository with this cache (null:
  // its own in memory); its snapshot reads are counted in reads_. It lives as long as the test.
  BackupManager& Manager(SummaryCache* cache) {
    auto counting = std::make_unique<CountingBackend>(test::BorrowBackend(*store_));
    reads_ = counting.get();
    ManagerOptions options;
    options.clock = &clock_;
    options.backend = std::move(counting);
    options.summary_cache = cache;
    managers_.push_back(std::make_unique<BackupManager>(config_, std::move(options)));
    return *managers_.back();
  }
  void Backup(BackupManager& manager, const std::string& id) {
    clock_.Advance(std::chrono::seconds(60));
    auto r = manager.CreateFullBackup(id);
    ASSERT_EQ(r.status, "completed") << r.error.ToString();
  }
  // Lists with a fresh manager (and a fresh connection to the file): what the next CLI command sees.
  Result<BackupListing> ListFresh() {
    SqliteSummaryCache cache(db_path_);
    return Manager(&cache).ListAllBackups();
  }
  static std::vector<std::string> Ids(const BackupListing& listing) {
    std::vector<std::string> ids;
    for (const auto& b : listing.backups) ids.push_back(b.backup_id);
    return ids;
  }
  std::vector<std::string> CachedIds() {
    auto entries = SqliteSummaryCache(db_path_).Load(repository_);
    EXPECT_OK(entries);
    std::vector<std::string> ids;
    if (entries.ok()) {
      for (const auto& e : *entries) ids.push_back(e.first);
    }
    return ids;
  }

  test::TempDir dir_;
  std::string db_path_ = dir_ / "state/events.db";
  config::Config config_;
  FakeClock clock_;
  std::unique_ptr<Backend> store_ = storage::NewMemoryBackend();
  std::vector<std::unique_ptr<BackupManager>> managers_;
  CountingBackend* reads_ = nullptr;
  std::string repository_;
};

TEST_F(SummaryCacheTest, AFreshManagerListsFromTheFileWithoutReadingSnapshots) {
  // Written by a manager without the file: the first listing with it reads every snapshot.
  BackupManager& writer = Manager(nullptr);
  for (const char* id : {"a", "b", "c"}) Backup(writer, id);
  auto cold = ListFresh();
  ASSERT_OK(cold);
  EXPECT_EQ(reads_->snapshot_reads, 3);
  auto warm = ListFresh();
  ASSERT_OK(warm);
  EXPECT_EQ(reads_->snapshot_reads, 0) << "one LIST and the cache, no snapshot read";
  EXPECT_THAT(Ids(*warm), ElementsAre("a", "b", "c"));
  // What the cache gives is what the repository gives, to the item counts.
  auto uncached = Manager(nullptr).ListAllBackups();
  ASSERT_OK(uncached);
  ASSERT_EQ(warm->backups.size(), uncached->backups.size());
  for (size_t i = 0; i < warm->backups.size(); ++i) {
    EXPECT_EQ(repo::SummaryToJson(warm->backups[i]), repo::SummaryToJson(uncached->backups[i]));
    EXPECT_EQ(warm->backups[i].components.at(0).item_count, 2u);  // the directory and a.txt
    EXPECT_EQ(warm->backups[i].components.at(0).item_bytes, 5u);
  }
}

TEST_F(SummaryCacheTest, ABackupWritesItsSummarySoNoListingReadsIt) {
  SqliteSummaryCache cache(db_path_);
  Backup(Manager(&cache), "a");
  Backup(Manager(&cache), "b");
  EXPECT_THAT(CachedIds(), ElementsAre("a", "b"));
  auto listing = ListFresh();
  ASSERT_OK(listing);
  EXPECT_EQ(reads_->snapshot_reads, 0);
  EXPECT_THAT(Ids(*listing), ElementsAre("a", "b"));
  EXPECT_EQ(listing->backups[0].components.at(0).item_count, 2u);
  EXPECT_EQ(listing->backups[0].components.at(0).item_bytes, 5u);
}

TEST_F(SummaryCacheTest, APinnedBackupIsReadAgainAndShowsItsTag) {
  SqliteSummaryCache cache(db_path_);
  for (const char* id : {"a", "b"}) Backup(Manager(&cache), id);
  ASSERT_OK(Manager(nullptr).PinBackup("a", true));  // another process, without the cache
  auto listing = ListFresh();
  ASSERT_OK(listing);
  EXPECT_EQ(reads_->snapshot_reads, 1) << "only the rewritten snapshot (its size changed)";
  EXPECT_THAT(listing->backups.at(0).tags, Contains("pinned"));
  auto again = ListFresh();
  ASSERT_OK(again);
  EXPECT_EQ(reads_->snapshot_reads, 0) << "its new summary replaced the old one";
  EXPECT_THAT(again->backups.at(0).tags, Contains("pinned"));
}

TEST_F(SummaryCacheTest, ADeletedBackupLeavesTheListingAndTheCache) {
  SqliteSummaryCache cache(db_path_);
  for (const char* id : {"a", "b", "c"}) Backup(Manager(&cache), id);
  ASSERT_OK(Manager(&cache).DeleteBackup("a"));
  EXPECT_THAT(CachedIds(), ElementsAre("b", "c"));
  ASSERT_OK(Manager(nullptr).DeleteBackup("b"));  // another process: the next listing forgets it
  EXPECT_THAT(CachedIds(), ElementsAre("b", "c"));
  auto listing = ListFresh();
  ASSERT_OK(listing);
  EXPECT_THAT(Ids(*listing), ElementsAre("c"));
  EXPECT_EQ(reads_->snapshot_reads, 0);
  EXPECT_THAT(CachedIds(), ElementsAre("c"));
}

TEST_F(SummaryCacheTest, ExpiredBackupsLeaveTheCache) {
  SqliteSummaryCache cache(db_path_);
  for (const char* id : {"a", "b", "c"}) Backup(Manager(&cache), id);
  config_.backup_manager.retention_policies = {.daily = 0, .weekly = 0, .monthly = 0, .last = 1};
  auto retention = Manager(&cache).ApplyRetention({.prune = false});
  ASSERT_OK(retention);
  EXPECT_THAT(retention->forgotten, UnorderedElementsAre("a", "b"));
  EXPECT_THAT(CachedIds(), ElementsAre("c"));
}

TEST_F(SummaryCacheTest, ACorruptRowIsReadFromTheRepositoryAndReplaced) {
  SqliteSummaryCache cache(db_path_);
  for (const char* id : {"a", "b"}) Backup(Manager(&cache), id);
  for (const char* garbage : {"{not json", "{\"backup_id\": \"b\"}", "{}"}) {
    {
      auto db = events::Database::Open(db_path_, "", "test");
      ASSERT_OK(db);
      events::Statement st(**db, "UPDATE snapshot_summaries SET summary = ? WHERE backup_id = 'b'");
      st.Bind(1, std::string(garbage));
      ASSERT_EQ(st.Next(), events::Statement::Step::kDone);
    }
    auto listing = ListFresh();
    ASSERT_OK(listing);
    EXPECT_THAT(Ids(*listing), ElementsAre("a", "b")) << garbage;
    EXPECT_EQ(reads_->snapshot_reads, 1) << garbage;
    EXPECT_TRUE(listing->damaged.empty());
    ASSERT_OK(ListFresh());
    EXPECT_EQ(reads_->snapshot_reads, 0) << "the row was replaced after " << garbage;
  }
}

// A daemon keeps one cache for months: it answers from memory, but not past
// a change another process made to the file.
TEST_F(SummaryCacheTest, ALongLivedCacheSeesWhatAnotherProcessWrote) {
  SqliteSummaryCache daemon(db_path_);
  for (const char* id : {"a", "b"}) Backup(Manager(nullptr), id);
  ASSERT_OK(Manager(&daemon).ListAllBackups());
  EXPECT_EQ(reads_->snapshot_reads, 2);
  {
    auto db = events::Database::Open(db_path_, "", "test");
    ASSERT_OK(db);
    events::Statement st(**db, "UPDATE snapshot_summaries SET summary = '{}' WHERE backup_id = 'b'");
    ASSERT_EQ(st.Next(), events::Statement::Step::kDone);
  }
  auto listing = Manager(&daemon).ListAllBackups();
  ASSERT_OK(listing);
  EXPECT_EQ(reads_->snapshot_reads, 1) << "the row another process damaged is not taken from memory";
  EXPECT_THAT(Ids(*listing), ElementsAre("a", "b"));
  ASSERT_OK(Manager(&daemon).ListAllBackups());
  EXPECT_EQ(reads_->snapshot_reads, 0);
  // What this process writes, it keeps in memory too.
  Backup(Manager(&daemon), "c");
  auto after = Manager(&daemon).ListAllBackups();
  ASSERT_OK(after);
  EXPECT_EQ(reads_->snapshot_reads, 0);
  EXPECT_THAT(Ids(*after), ElementsAre("a", "b", "c"));
}

TEST_F(SummaryCacheTest, ACacheFileThatCannotBeUsedNeverFailsAListing) {
  Backup(Manager(nullptr), "a");
  // Not a database.
  test::WriteFile(db_path_, std::string(4096, 'x'));
  auto listing = ListFresh();
  ASSERT_OK(listing);
  EXPECT_THAT(Ids(*listing), ElementsAre("a"));
  EXPECT_EQ(reads_->snapshot_reads, 1);
  // A state directory that cannot be created: a file is in the way.
  test::WriteFile(dir_ / "blocked", "");
  SqliteSummaryCache blocked(dir_ / "blocked/events.db");
  EXPECT_FALSE(blocked.Load(repository_).ok());
  BackupManager& manager = Manager(&blocked);
  Backup(manager, "b");
  auto second = manager.ListAllBackups();
  ASSERT_OK(second);
  EXPECT_THAT(Ids(*second), ElementsAre("a", "b"));
}

TEST_F(SummaryCacheTest, ADamagedSnapshotIsStillReportedDamagedAndNeverCached) {
  SqliteSummaryCache cache(db_path_);
  for (const char* id : {"a", "b"}) Backup(Manager(&cache), id);
  // A truncated snapshot: its size changed, so its cached summary is not used.
  auto sealed = store_->Get({ObjectKind::kSnapshot, "b"}, {});
  ASSERT_OK(sealed);
  ASSERT_OK(store_->Put({ObjectKind::kSnapshot, "b"}, sealed->substr(0, sealed->size() / 2), {.overwrite = true}));
  for (int round = 0; round < 2; ++round) {
    auto listing = ListFresh();
    ASSERT_OK(listing);
    EXPECT_THAT(Ids(*listing), ElementsAre("a"));
    ASSERT_EQ(listing->damaged.size(), 1u);
    EXPECT_EQ(listing->damaged[0].backup_id, "b");
    EXPECT_THAT(listing->damaged[0].error, StatusIs(Code::kCorrupt));
    EXPECT_EQ(reads_->snapshot_reads, 1) << "read (and reported) again every time";
    EXPECT_THAT(CachedIds(), ElementsAre("a"));
  }
}

// Storage that does not answer for snapshots.
class SnapshotsUnavailable : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  Result<std::string> Get(const ObjectName& name, ByteRange range) override {
    if (name.kind == ObjectKind::kSnapshot) return Unavailable("injected: no answer");
    return BackendWrapper::Get(name, range);
  }
};

TEST_F(SummaryCacheTest, StorageThatDoesNotAnswerStillFailsTheListing) {
  Backup(Manager(nullptr), "a");
  SqliteSummaryCache cache(db_path_);
  ManagerOptions options;
  options.clock = &clock_;
  options.backend = std::make_unique<SnapshotsUnavailable>(test::BorrowBackend(*store_));
  options.summary_cache = &cache;
  EXPECT_THAT(BackupManager(config_, std::move(options)).ListAllBackups(), StatusIs(Code::kUnavailable));
  EXPECT_TRUE(CachedIds().empty());
}

TEST_F(SummaryCacheTest, TheFileIsOnlyTheOwners) {
  SqliteSummaryCache cache(db_path_);
  Backup(Manager(&cache), "a");
  struct stat st {};
  ASSERT_EQ(::stat(db_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_ / "state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

}  // namespace
}  // namespace dr::backup
