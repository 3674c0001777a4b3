#include "repo/prune.h"

#include <chrono>
#include <filesystem>

#include "base/fake_clock.h"
#include "repo/checker.h"
#include "storage/local/local_backend.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::repo {
namespace {

const std::string kKey(32, 'p');

struct Fixture {
  std::unique_ptr<Backend> be = storage::NewMemoryBackend();
  std::unique_ptr<Repository> repo;
  Fixture() {
    repo = std::move(Repository::Init(*be, {.encrypted = true, .master_key = kKey, .chunker = {}},
                                      {.compression_level = 1, .pack_size = 4 << 20, .threads = 2}))
               .value();
  }
  void Backup(const std::string& id, const std::vector<std::string>& streams) {
    Snapshot snap;
    snap.backup_id = id;
    SnapshotComponent c{"files", {}, {}};
    for (size_t i = 0; i < streams.size(); ++i) {
      StringSource src(streams[i]);
      auto saved = repo->SaveStream(src, nullptr);
      ASSERT_OK(saved);
      c.items.push_back({"item" + std::to_string(i), "file", saved->size, saved->sha256, saved->blobs, {}});
    }
    ASSERT_OK(repo->Flush());
    snap.components.push_back(c);
    ASSERT_OK(repo->SaveSnapshot(snap));
  }
  std::string Restore(const std::string& id, size_t item) {
    auto snap = repo->LoadSnapshot(id);
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    std::string out;
    StringSink sink(out);
    auto r = repo->RestoreStream(snap->components[0].items[item].blobs, sink, nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return out;
  }
  uint64_t StoredBytes() {
    uint64_t total = 0;
    EXPECT_TRUE(be->List(ObjectKind::kPack, [&](const ObjectInfo& i) {
      total += i.size;
      return Status::Ok();
    }).ok());
    return total;
  }
};

// `repo check` warns about the temporary files killed writers leave; prune
// removes those not written for leftover_min_age and keeps younger ones (a
// backup running beside prune may still be writing them).
TEST(PruneTest, RemovesOldLeftoversOnlyAndCheckReportsThem) {
  test::TempDir dir;
  auto be = std::move(storage::NewLocalBackend({.root = dir / "repo", .sync = false})).value();
  auto repo = std::move(Repository::Init(*be, {.encrypted = true, .master_key = kKey, .chunker = {}}, {})).value();
  test::WriteFile(dir / "repo/data/ab/.tmp-1-0-old", std::string(1000, 'x'));
  test::WriteFile(dir / "repo/snapshots/.tmp-2-0-young", std::string(10, 'y'));
  auto written = std::filesystem::last_write_time(dir / "repo/snapshots/.tmp-2-0-young");
  std::filesystem::last_write_time(dir / "repo/data/ab/.tmp-1-0-old", written - std::chrono::hours(2));

  auto report = CheckRepository(*repo, {});
  EXPECT_TRUE(report.ok()) << "leftovers are a warning, not an error";
  EXPECT_EQ(report.leftovers, 2u);
  EXPECT_EQ(report.leftover_bytes, 1010u);
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].severity, "warning");
  EXPECT_THAT(report.findings[0].message, ::testing::HasSubstr("2 temporary file(s) (1010 bytes)"));

  auto dry = Prune(*repo, {.dry_run = true});
  ASSERT_OK(dry);
  EXPECT_EQ(dry->leftovers_removed, 1u);
  EXPECT_TRUE(std::filesystem::exists(dir / "repo/data/ab/.tmp-1-0-old")) << "a dry run removes nothing";

  auto stats = Prune(*repo, {});
  ASSERT_OK(stats);
  EXPECT_EQ(stats->leftovers_removed, 1u);
  EXPECT_EQ(stats->leftover_bytes_removed, 1000u);
  EXPECT_EQ(stats->leftovers_kept, 1u);
  EXPECT_EQ(stats->ToJson()["leftovers_removed"], 1);
  EXPECT_FALSE(std::filesystem::exists(dir / "repo/data/ab/.tmp-1-0-old"));
  EXPECT_TRUE(std::filesystem::exists(dir / "repo/snapshots/.tmp-2-0-young"));

  // The age is measured against the prune's clock: three hours later the young one goes too.
  FakeClock later(std::chrono::file_clock::to_sys(written) + std::chrono::hours(3));
  stats = Prune(*repo, {.clock = &later});
  ASSERT_OK(stats);
  EXPECT_EQ(stats->leftovers_removed, 1u);
  EXPECT_EQ(CheckRepository(*repo, {}).leftovers, 0u);
}

TEST(PruneTest, FreesWhatNoSnapshotUsesAndKeepsTheRest) {
  Fixture f;
  std::string shared = test::RandomData(3 << 20, 1);
  f.Backup("old1", {shared, test::RandomData(6 << 20, 2)});
  f.Backup("old2", {test::RandomData(6 << 20, 3)});
  f.Backup("keep", {shared, test::RandomData(2 << 20, 4)});
  uint64_t before = f.StoredBytes();
  ASSERT_OK(f.repo->RemoveSnapshot("old1"));
  ASSERT_OK(f.repo->RemoveSnapshot("old2"));

  auto dry = Prune(*f.repo, {.dry_run = true});
  ASSERT_OK(dry);
  EXPECT_EQ(f.StoredBytes(), before) << "a dry run changes nothing";

  auto stats = Prune(*f.repo, {});
  ASSERT_OK(stats);
  EXPECT_GT(stats->packs_deleted + stats->packs_repacked, 0u);
  uint64_t after = f.StoredBytes();
  EXPECT_LT(after, before / 2) << "12 of 17 MiB were garbage";
  EXPECT_GE(after, 5u << 20) << "the kept backup's 5 MiB remain";

  auto reopened = Repository::Open(*f.be, kKey, {.threads = 2});
  ASSERT_OK(reopened);
  auto report = CheckRepository(**reopened, {.read_data = true});
  EXPECT_TRUE(report.ok()) << report.ToJson().dump();
  EXPECT_TRUE((*reopened)->unindexed_packs().empty());
  f.repo = std::move(reopened).value();
  EXPECT_EQ(f.Restore("keep", 0), shared);
  EXPECT_EQ(f.Restore("keep", 1), test::RandomData(2 << 20, 4));
}

TEST(PruneTest, MostlyGarbagePacksAreRewritten) {
  Fixture f;
  // Both backups' blobs share one pack: 1 MiB used, 3 MiB garbage after forgetting "big".
  Snapshot dummy;
  std::string small = test::RandomData(1 << 20, 5), big = test::RandomData(3 << 20, 6);
  f.Backup("both", {small, big});
  f.Backup("small", {small});
  ASSERT_OK(f.repo->RemoveSnapshot("both"));
  auto stats = Prune(*f.repo, {});
  ASSERT_OK(stats);
  EXPECT_EQ(stats->packs_repacked, 1u);
  EXPECT_LT(f.StoredBytes(), 2u << 20);
  auto reopened = Repository::Open(*f.be, kKey, {.threads = 2});
  ASSERT_OK(reopened);
  f.repo = std::move(reopened).value();
  EXPECT_TRUE(CheckRepository(*f.repo, {.read_data = true}).ok());
  EXPECT_EQ(f.Restore("small", 0), small);
}

}  // namespace
}  // namespace dr::repo
