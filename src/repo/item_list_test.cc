// Item lists (snapshot format 2): what is written is read back in order at any
// depth, an unchanged run of items costs nothing to store again, and a
// format-1 manifest still reads.
#include "repo/item_list.h"

#include <set>
#include <unordered_set>

#include "repo/snapshot/item_lines.h"
#include "storage/faulty/faulty_backend.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::repo {
namespace {

using test::StatusIs;

class ItemListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto be = std::make_unique<storage::FaultyBackend>(storage::NewMemoryBackend());
    faulty_ = be.get();
    backend_ = std::move(be);
    auto r = Repository::Init(*backend_, {.encrypted = true, .master_key = std::string(32, 'k'), .chunker = {}},
                              {.compression_level = 3, .pack_size = 1 << 20, .threads = 2});
    ASSERT_OK(r);
    repo_ = std::move(r).value();
  }

  // Items with distinct names, sizes and metadata, as a files backup makes them.
  static std::vector<SnapshotItem> Items(int n, int from = 0) {
    std::vector<SnapshotItem> items;
    for (int i = from; i < from + n; ++i) {
      SnapshotItem item;
      item.name = "dir" + std::to_string(i / 100) + "/file-" + std::to_string(i) + ".json";
      item.kind = "file";
      item.size = 100 + static_cast<uint64_t>(i);
      item.sha256 = std::string(64, "0123456789abcdef"[i % 16]);
      item.blobs = {BlobId::FromRaw(std::string(32, static_cast<char>(i % 251)))};
      item.meta = {{"mode", 420}, {"mtime", 1764151260 + i}};
      items.push_back(std::move(item));
    }
    return items;
  }

  Result<ItemList> Write(const std::vector<SnapshotItem>& items, size_t top_max = kItemListTopMax) {
    ItemListWriter writer(*repo_, top_max);
    for (const auto& item : items) DR_RETURN_IF_ERROR(writer.Add(item));
    DR_ASSIGN_OR_RETURN(ItemList list, writer.Finish());
    EXPECT_EQ(writer.count(), items.size());
    DR_RETURN_IF_ERROR(repo_->Flush());
    return list;
  }

  std::vector<SnapshotItem> Read(const ItemList& list) {
    std::vector<SnapshotItem> out;
    Status st = repo_->ForEachItem(list, [&](SnapshotItem&& item) {
      out.push_back(std::move(item));
      return Status::Ok();
    });
    EXPECT_OK(st);
    return out;
  }

  static void ExpectSame(const std::vector<SnapshotItem>& got, const std::vector<SnapshotItem>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].name, want[i].name);
      EXPECT_EQ(got[i].size, want[i].size);
      EXPECT_EQ(got[i].sha256, want[i].sha256);
      EXPECT_EQ(got[i].blobs, want[i].blobs);
      EXPECT_EQ(got[i].meta, want[i].meta);
    }
  }

  uint64_t MetadataWritten() const { return repo_->write_stats().new_metadata_bytes; }

  std::unique_ptr<Backend> backend_;
  storage::FaultyBackend* faulty_ = nullptr;
  std::unique_ptr<Repository> repo_;
};

TEST_F(ItemListTest, WhatIsWrittenIsReadBackInOrderAtEveryDepth) {
  for (size_t top_max : {size_t{kItemListTopMax}, size_t{4}, size_t{1}}) {
    auto items = Items(6000);
    auto list = Write(items, top_max);
    ASSERT_OK(list);
    EXPECT_LE(list->blobs.size(), top_max);
    if (top_max == 1) {
      EXPECT_GE(list->levels, 2) << "6,000 items under one named blob take two id levels";
    }
    ExpectSame(Read(*list), items);
  }
  auto empty = Write({});
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->blobs.empty());
  EXPECT_TRUE(Read(*empty).empty());
  auto one = Write(Items(1));
  ASSERT_OK(one);
  EXPECT_EQ(one->levels, 0);
  ExpectSame(Read(*one), Items(1));
}

TEST_F(ItemListTest, AnUnchangedRunCostsNothingAndAChangeCostsAboutItsBlobs) {
  auto items = Items(20000);
  auto first = Write(items, 4);
  ASSERT_OK(first);
  uint64_t whole = MetadataWritten();
  EXPECT_GT(whole, 2000000u) << "20,000 items of about 150 bytes";

  auto again = Write(items, 4);
  ASSERT_OK(again);
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(MetadataWritten(), whole) << "the same items are the same blobs";

  // Three items changed and one inserted near the front: the cuts are chosen by
  // the items themselves, so only the blobs around them (and their id lists) are new.
  items[5].size += 1;
  items[10000].meta["mtime"] = 1;
  items[19990].sha256 = std::string(64, 'f');
  items.insert(items.begin() + 3, Items(1, 50000)[0]);
  auto changed = Write(items, 4);
  ASSERT_OK(changed);
  uint64_t added = MetadataWritten() - whole;
  EXPECT_GT(added, 0u);
  EXPECT_LT(added, 4 * (kItemBlobMax + kIdBlobMax * 32) / 2) << "of " << whole << " bytes in all";
  EXPECT_LT(added * 50, whole);
  ExpectSame(Read(*changed), items);
}

TEST_F(ItemListTest, ASnapshotNamesItsListsAndEveryBlobIsWalked) {
  auto items = Items(3000);
  Snapshot snap;
  snap.backup_id = "b1";
  snap.components.push_back({"files", items, {{"k", 1}}});
  snap.components.push_back({"kafka", {}, {}});
  ASSERT_OK(repo_->SaveSnapshot(snap));

  auto summary = repo_->LoadSnapshot("b1", /*with_items=*/false);
  ASSERT_OK(summary);
  EXPECT_EQ(summary->components[0].item_count, 3000u);
  EXPECT_TRUE(summary->components[0].items.empty());
  ASSERT_TRUE(summary->components[0].list.has_value());
  EXPECT_EQ(summary->components[1].item_count, 0u);
  auto whole = repo_->LoadSnapshot("b1");
  ASSERT_OK(whole);
  ExpectSame(whole->components[0].items, items);
  EXPECT_EQ(whole->components[0].meta, nlohmann::json({{"k", 1}}));

  // Prune's view: every data blob of every item and every list blob.
  std::set<std::string> walked;
  ASSERT_OK(repo_->ForEachSnapshotBlob("b1", [&](const BlobId& id) { walked.insert(id.hex()); }));
  for (const auto& item : items) EXPECT_TRUE(walked.count(item.blobs[0].hex()));
  size_t list_blobs = 0;
  for (const auto& id : walked) {
    auto blob = BlobId::FromHex(id);
    if (repo_->index().Has(*blob)) ++list_blobs;  // the items' data blobs above are made up: not stored
  }
  EXPECT_EQ(list_blobs + 251, walked.size()) << "the made-up data blobs are 251 distinct ids";
  EXPECT_GE(list_blobs, 3000u * 100 / kItemBlobMax);
}

// Prune's walk skips what it has walked whole (a list blob is its subtree):
// what it finds is exactly what a full walk of every backup finds.
TEST_F(ItemListTest, AWalkThatSkipsKnownListsFindsEveryBlob) {
  auto items = Items(3000);
  Snapshot a;
  a.backup_id = "a";
  a.components.push_back({"files", items, {}});
  a.components.push_back({"copy", items, {}});  // the same list twice in one backup
  ASSERT_OK(repo_->SaveSnapshot(a));
  for (int i : {7, 1500, 2999}) items[i].blobs = {BlobId::FromRaw(std::string(32, 'x') + std::to_string(i))};
  items.insert(items.begin() + 100, Items(1, 90000)[0]);
  items.back().blobs.push_back(BlobId::FromRaw(std::string(32, 'y')));
  Snapshot b;
  b.backup_id = "b";
  b.components.push_back({"files", items, {}});
  ASSERT_OK(repo_->SaveSnapshot(b));

  std::set<std::string> full, skipping;
  std::unordered_set<BlobId, BlobIdHash> used, walked;
  // A data blob whose id is a list blob's (the same bytes stored as a file)
  // must not stop the walk of that list: prune asks about list blobs apart.
  auto first_list = repo_->LoadSnapshot("a", /*with_items=*/false);
  ASSERT_OK(first_list);
  used.insert(first_list->components[0].list->blobs.at(0));
  for (const char* id : {"a", "b"}) {
    ASSERT_OK(repo_->ForEachSnapshotBlob(id, [&](const BlobId& x) { full.insert(x.hex()); }));
    ASSERT_OK(repo_->ForEachSnapshotBlob(
        id, [&](const BlobId& x) { used.insert(x); }, [&](const BlobId& x) { return !walked.insert(x).second; }));
  }
  for (const auto& x : used) skipping.insert(x.hex());
  EXPECT_EQ(skipping, full);
  EXPECT_TRUE(full.count(BlobId::FromRaw(std::string(32, 'y')).hex())) << "b's new data blob";
}

TEST_F(ItemListTest, ADamagedListBlobIsNamedWithItsComponent) {
  Snapshot snap;
  snap.backup_id = "b1";
  snap.components.push_back({"files", Items(100), {}});
  ASSERT_OK(repo_->SaveSnapshot(snap));
  auto summary = repo_->LoadSnapshot("b1", false);
  ASSERT_OK(summary);
  auto where = repo_->index().Find(summary->components[0].list->blobs.at(0));
  ASSERT_TRUE(where.has_value());
  faulty_->CorruptReadsCovering({ObjectKind::kPack, where->pack_id}, where->offset + 40);
  auto whole = repo_->LoadSnapshot("b1");
  EXPECT_THAT(whole.status(), StatusIs(Code::kCorrupt));
  EXPECT_THAT(whole.status().message(), ::testing::HasSubstr("item list of component 'files' of backup 'b1'"));
  EXPECT_THAT(whole.status().message(), ::testing::HasSubstr(summary->components[0].list->blobs[0].ShortHex()));
}

TEST_F(ItemListTest, AFormatOneManifestStillReadsAndANewerFormatIsRefused) {
  Snapshot v1;
  v1.backup_id = "old";
  v1.components.push_back({"files", Items(10), {}});
  std::string text = v1.ToJson().dump();
  ASSERT_EQ(nlohmann::json::parse(text)["format"], 1);
  auto parsed = ParseSnapshot(text, true);
  ASSERT_OK(parsed);
  ExpectSame(parsed->components[0].items, Items(10));
  auto summary = ParseSnapshot(text, false);
  ASSERT_OK(summary);
  EXPECT_EQ(summary->components[0].item_count, 10u);

  nlohmann::json newer = nlohmann::json::parse(text);
  newer["format"] = 3;
  auto refused = ParseSnapshot(newer.dump(), false);
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("snapshot format 3 is newer"));
}

// A version-1 repository keeps taking format-1 manifests (an older ecap-dr
// reading it would take item lists for empty backups) until it is upgraded.
TEST_F(ItemListTest, AVersionOneRepositoryWritesFormatOneUntilUpgraded) {
  auto be = storage::NewMemoryBackend();
  auto r = Repository::Init(*be, {.encrypted = true, .master_key = std::string(32, 'k'), .chunker = {}, .version = 1},
                            {.compression_level = 3, .pack_size = 1 << 20, .threads = 2});
  ASSERT_OK(r);
  Repository& old = **r;
  EXPECT_FALSE(old.writes_item_lists());
  Snapshot snap;
  snap.backup_id = "v1";
  snap.components.push_back({"files", Items(50), {}});
  ASSERT_OK(old.SaveSnapshot(snap));
  EXPECT_EQ(old.write_stats().new_metadata_bytes, 0u);
  auto summary = old.LoadSnapshot("v1", /*with_items=*/false);
  ASSERT_OK(summary);
  EXPECT_FALSE(summary->components[0].list.has_value()) << "format 1: the items are in the manifest";
  EXPECT_EQ(summary->components[0].item_count, 50u);

  auto was = old.Upgrade();
  ASSERT_OK(was);
  EXPECT_EQ(*was, 1);
  EXPECT_TRUE(old.writes_item_lists());
  auto reopened = Repository::Open(*be, std::string(32, 'k'), {});
  ASSERT_OK(reopened);
  EXPECT_EQ((*reopened)->config().version, kRepositoryVersion);
  snap.backup_id = "v2";
  ASSERT_OK((*reopened)->SaveSnapshot(snap));
  auto listed = (*reopened)->LoadSnapshot("v2", /*with_items=*/false);
  ASSERT_OK(listed);
  EXPECT_TRUE(listed->components[0].list.has_value());
  for (const char* id : {"v1", "v2"}) {
    auto whole = (*reopened)->LoadSnapshot(id);
    ASSERT_OK(whole);
    ExpectSame(whole->components[0].items, Items(50));
  }
  auto same = (*reopened)->Upgrade();
  ASSERT_OK(same);
  EXPECT_EQ(*same, kRepositoryVersion) << "at the current version: nothing written";
}

TEST_F(ItemListTest, CutsDependOnTheItemsNotOnWhereTheyStand) {
  // The same name and line size at the same fill give the same answer; a blob
  // is never cut below the minimum, always at the maximum.
  EXPECT_FALSE(CutAfterItem(7, "a", 200, kItemBlobMin - 1));
  EXPECT_TRUE(CutAfterItem(7, "a", 200, kItemBlobMax));
  int cuts = 0;
  for (int i = 0; i < 10000; ++i) cuts += CutAfterItem(7, "item" + std::to_string(i), 400, kItemBlobMin) ? 1 : 0;
  EXPECT_NEAR(cuts, 10000 * 400 / kItemBlobTarget, 150) << "about one cut per target bytes";
  auto line = EncodeItemLine(Items(1)[0]);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  auto back = DecodeItemLine(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_OK(back);
  EXPECT_EQ(back->name, Items(1)[0].name);
  EXPECT_THAT(DecodeItemLine("[1]").status(), StatusIs(Code::kCorrupt));
}

}  // namespace
}  // namespace dr::repo
