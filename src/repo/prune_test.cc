#include "repo/prune.h"

#include "repo/checker.h"
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
