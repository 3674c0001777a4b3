#include "repo/repository.h"

#include "repo/checker.h"
#include "storage/faulty/faulty_backend.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::repo {
namespace repository_test {

using test::StatusIs;

const std::string kKey(32, 'k');

RepositoryOptions SmallPacks() { return {.compression_level = 3, .pack_size = 1 << 20, .threads = 2}; }

std::unique_ptr<Repository> MustInit(Backend& be, bool encrypted = true) {
  auto r = Repository::Init(be, {.encrypted = encrypted, .master_key = encrypted ? kKey : "", .chunker = {}}, SmallPacks());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

Result<StreamResult> Save(Repository& repo, const std::string& data) {
  StringSource src(data);
  return repo.SaveStream(src, nullptr);
}

std::string Restore(Repository& repo, const std::vector<BlobId>& blobs) {
  std::string out;
  StringSink sink(out);
  auto r = repo.RestoreStream(blobs, sink, nullptr);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return out;
}

Snapshot MakeSnapshot(const std::string& id, const StreamResult& s) {
  Snapshot snap;
  snap.backup_id = id;
  snap.components.push_back({"files", {{"a", "file", s.size, s.sha256, s.blobs, {}}}, {}});
  return snap;
}

TEST(RepositoryTest, RoundTripAcrossReopen) {
  auto be = storage::NewMemoryBackend();
  std::string data = test::TextData(5 << 20, 1) + test::RandomData(3 << 20, 2);
  {
    auto repo = MustInit(*be);
    auto saved = Save(*repo, data);
    ASSERT_OK(saved);
    EXPECT_EQ(saved->size, data.size());
    EXPECT_GT(saved->blobs.size(), 2u);
    ASSERT_OK(repo->Flush());
    ASSERT_OK(repo->SaveSnapshot(MakeSnapshot("b1", *saved)));
  }
  auto repo = Repository::Open(*be, kKey, SmallPacks());
  ASSERT_OK(repo);
  auto snap = (*repo)->LoadSnapshot("b1");
  ASSERT_OK(snap);
  EXPECT_EQ(Restore(**repo, snap->components[0].items[0].blobs), data);
  auto report = CheckRepository(**repo, {.read_data = true});
  EXPECT_TRUE(report.ok()) << report.ToJson().dump();
}

TEST(RepositoryTest, WrongKeyIsAClearError) {
  auto be = storage::NewMemoryBackend();
  MustInit(*be);
  auto repo = Repository::Open(*be, std::string(32, 'x'), SmallPacks());
  EXPECT_THAT(repo, StatusIs(Code::kWrongKey));
  EXPECT_THAT(repo.status().message(), ::testing::HasSubstr("wrong encryption key for repository memory:"));
}

TEST(RepositoryTest, DeduplicatesUnchangedAndShiftedData) {
  auto be = storage::NewMemoryBackend();
  auto repo = MustInit(*be);
  std::string data = test::TextData(8 << 20, 3);
  ASSERT_OK(Save(*repo, data));
  ASSERT_OK(repo->Flush());
  WriteStats first = repo->write_stats();
  // Insert 100 bytes near the front: content-defined chunking keeps the later cut points.
  std::string shifted = data.substr(0, 1000) + std::string(100, 'x') + data.substr(1000);
  ASSERT_OK(Save(*repo, shifted));
  ASSERT_OK(repo->Flush());
  WriteStats second = repo->write_stats();
  uint64_t added = second.new_bytes - first.new_bytes;
  EXPECT_LT(added, data.size() / 3) << "an insertion should re-store only the chunks around it";
}

TEST(RepositoryTest, UnencryptedRepositoryStillDetectsDamage) {
  auto be = std::make_unique<storage::FaultyBackend>(storage::NewMemoryBackend());
  auto* faulty = be.get();
  auto repo = MustInit(*be, /*encrypted=*/false);
  EXPECT_FALSE(repo->config().encrypted);
  auto saved = Save(*repo, test::TextData(300000, 4));
  ASSERT_OK(saved);
  ASSERT_OK(repo->Flush());
  faulty->CorruptReads(ObjectKind::kPack, 30);
  std::string out;
  StringSink sink(out);
  EXPECT_THAT(repo->RestoreStream(saved->blobs, sink, nullptr), StatusIs(Code::kCorrupt));
  EXPECT_TRUE(out.empty()) << "nothing unauthenticated may be written";
}

TEST(RepositoryTest, FlippedByteIsNamedByBlobAndPack) {
  auto be = std::make_unique<storage::FaultyBackend>(storage::NewMemoryBackend());
  auto* faulty = be.get();
  auto repo = MustInit(*be);
  // Below the minimum chunk size: exactly one blob, so the flipped byte is in it.
  auto saved = Save(*repo, test::RandomData(200000, 5));
  ASSERT_OK(saved);
  ASSERT_EQ(saved->blobs.size(), 1u);
  ASSERT_OK(repo->Flush());
  ASSERT_OK(repo->SaveSnapshot(MakeSnapshot("b1", *saved)));
  // The data blob's pack, not the item list's (snapshot format 2 keeps lists in packs of their own).
  auto where = repo->index().Find(saved->blobs[0]);
  ASSERT_TRUE(where.has_value());
  faulty->CorruptReadsCovering({ObjectKind::kPack, where->pack_id}, where->offset + 100);
  auto v = VerifyBackup(*repo, "b1", /*full=*/true, nullptr);
  ASSERT_FALSE(v.ok());
  ASSERT_EQ(v.items.size(), 1u);
  const Finding& f = v.items[0].findings.at(0);
  EXPECT_EQ(f.blob, saved->blobs[0].hex());
  EXPECT_FALSE(f.pack.empty());
  EXPECT_THAT(f.message, ::testing::HasSubstr("backup 'b1'"));
  EXPECT_THAT(f.message, ::testing::HasSubstr("authentication failed"));
}

// A backup that recorded blobs other than its input's (a bug, not damage:
// every blob authenticates): a restore writes the listed blobs, authenticated
// and of the recorded size, without hashing the stream again; `verify --full`
// compares the recorded SHA-256 and names the item.
TEST(RepositoryTest, OnlyAFullVerificationComparesTheRecordedSha256) {
  auto be = storage::NewMemoryBackend();
  auto repo = MustInit(*be);
  const std::string input = test::RandomData(200000, 11), other = test::RandomData(200000, 12);
  auto saved = Save(*repo, input);
  auto wrong = Save(*repo, other);
  ASSERT_OK(saved);
  ASSERT_OK(wrong);
  ASSERT_OK(repo->Flush());
  StreamResult recorded = *saved;
  recorded.blobs = wrong->blobs;  // input's size and SHA-256, other's blobs
  ASSERT_OK(repo->SaveSnapshot(MakeSnapshot("b1", recorded)));

  std::string out;
  StringSink sink(out);
  auto restored = repo->RestoreStream(recorded.blobs, sink, nullptr);
  ASSERT_OK(restored);
  EXPECT_EQ(out, other);
  EXPECT_EQ(restored->sha256, "") << "a restore does not hash the stream";

  auto quick = VerifyBackup(*repo, "b1", /*full=*/false, nullptr);
  EXPECT_TRUE(quick.ok()) << "every blob is there and authenticates";
  auto v = VerifyBackup(*repo, "b1", /*full=*/true, nullptr);
  ASSERT_FALSE(v.ok());
  ASSERT_EQ(v.items.size(), 1u);
  ASSERT_EQ(v.items[0].findings.size(), 1u);
  EXPECT_THAT(v.items[0].findings[0].message, ::testing::HasSubstr("does not match the recorded SHA-256"));
  EXPECT_THAT(v.items[0].findings[0].message, ::testing::HasSubstr("backup 'b1' item 'a'"));
}

TEST(RepositoryTest, NoSpaceBreaksTheWriterAndLeavesTheRepositoryConsistent) {
  auto be = std::make_unique<storage::FaultyBackend>(storage::NewMemoryBackend());
  auto* faulty = be.get();
  auto repo = MustInit(*be);
  auto first = Save(*repo, test::TextData(2 << 20, 6));
  ASSERT_OK(first);
  ASSERT_OK(repo->Flush());
  ASSERT_OK(repo->SaveSnapshot(MakeSnapshot("ok", *first)));
  faulty->SetSpaceLeft(300000);
  auto second = Save(*repo, test::RandomData(6 << 20, 7));
  Status s = second.ok() ? repo->Flush() : second.status();
  EXPECT_THAT(s, StatusIs(Code::kNoSpace));
  EXPECT_THAT(repo->Flush(), StatusIs(Code::kNoSpace)) << "a broken writer stays broken";
  faulty->Reset();
  auto reopened = Repository::Open(*be, kKey, SmallPacks());
  ASSERT_OK(reopened);
  auto report = CheckRepository(**reopened, {.read_data = true});
  EXPECT_TRUE(report.ok()) << report.ToJson().dump();
  auto snap = (*reopened)->LoadSnapshot("ok");
  ASSERT_OK(snap);
  EXPECT_EQ(Restore(**reopened, snap->components[0].items[0].blobs), test::TextData(2 << 20, 6));
}

TEST(RepositoryTest, PacksWithoutIndexAreAdoptedAndDeduplicated) {
  auto be = storage::NewMemoryBackend();
  std::string data = test::RandomData(4 << 20, 8);
  {
    auto repo = MustInit(*be);
    ASSERT_OK(Save(*repo, data));
    // Simulate a kill after the packs but before the index: drop the index files.
    ASSERT_OK(repo->Flush());
    std::vector<std::string> idx;
    ASSERT_OK(be->List(ObjectKind::kIndex, [&](const ObjectInfo& i) {
      idx.push_back(i.name.id);
      return Status::Ok();
    }));
    for (const auto& id : idx) ASSERT_OK(be->Remove({ObjectKind::kIndex, id}));
  }
  auto repo = Repository::Open(*be, kKey, SmallPacks());
  ASSERT_OK(repo);
  EXPECT_FALSE((*repo)->unindexed_packs().empty());
  ASSERT_OK((*repo)->AdoptOrphanPacks());
  auto again = Save(**repo, data);
  ASSERT_OK(again);
  ASSERT_OK((*repo)->Flush());
  EXPECT_EQ((*repo)->write_stats().new_blobs, 0u) << "the second backup deduplicates against the orphaned packs";
  EXPECT_EQ(Restore(**repo, again->blobs), data);
}

TEST(RepositoryTest, DuplicateSnapshotIdIsRefused) {
  auto be = storage::NewMemoryBackend();
  auto repo = MustInit(*be);
  auto saved = Save(*repo, "hello");
  ASSERT_OK(saved);
  ASSERT_OK(repo->Flush());
  ASSERT_OK(repo->SaveSnapshot(MakeSnapshot("same", *saved)));
  EXPECT_THAT(repo->SaveSnapshot(MakeSnapshot("same", *saved)), StatusIs(Code::kAlreadyExists));
}

TEST(RepositoryTest, EmptyStream) {
  auto be = storage::NewMemoryBackend();
  auto repo = MustInit(*be);
  auto saved = Save(*repo, "");
  ASSERT_OK(saved);
  EXPECT_TRUE(saved->blobs.empty());
  EXPECT_EQ(saved->sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace repository_test
}  // namespace dr::repo

namespace dr::repo {
namespace repository_test {

TEST(RepositoryTest, SnapshotCopiedUnderAnotherNameFailsAuthentication) {
  auto be = storage::NewMemoryBackend();
  auto repo = MustInit(*be);
  auto saved = Save(*repo, "content");
  ASSERT_OK(saved);
  ASSERT_OK(repo->Flush());
  ASSERT_OK(repo->SaveSnapshot(MakeSnapshot("real", *saved)));
  auto bytes = be->Get({ObjectKind::kSnapshot, "real"}, {});
  ASSERT_OK(bytes);
  ASSERT_OK(be->Put({ObjectKind::kSnapshot, "forged"}, *bytes, {}));
  auto forged = repo->LoadSnapshot("forged");
  EXPECT_THAT(forged, test::StatusIs(Code::kCorrupt));
  EXPECT_THAT(forged.status().message(), ::testing::HasSubstr("snapshot of backup 'forged' is damaged"));
}

TEST(RepositoryTest, BlobSealedForOneIdDoesNotOpenAsAnother) {
  SealKey key{.cipher = CipherId::kAes256Gcm, .key_id = 1, .key = std::string(32, 'a')};
  BlobId a = BlobId::FromRaw(std::string(32, '\x01')), b = BlobId::FromRaw(std::string(32, '\x02'));
  std::string sealed = SealPayload(key, ObjectType::kData, EncodePayload("payload", 3), a.raw());
  EXPECT_TRUE(OpenPayload(key, ObjectType::kData, sealed, a.raw()).ok());
  EXPECT_THAT(OpenPayload(key, ObjectType::kData, sealed, b.raw()), test::StatusIs(Code::kCorrupt));
  SealKey none{.cipher = CipherId::kNone, .key_id = 1, .key = ""};
  std::string plain = SealPayload(none, ObjectType::kData, EncodePayload("payload", 3), a.raw());
  EXPECT_THAT(OpenPayload(none, ObjectType::kData, plain, b.raw()), test::StatusIs(Code::kCorrupt));
}

}  // namespace repository_test
}  // namespace dr::repo

namespace dr::repo {
namespace repository_test {

// `backup show` prints components by name: the walk hands over the items of
// one component after another in that order, whatever the manifest's order.
TEST(RepositoryWalkTest, ItemsComeGroupedByComponentNameOrInManifestOrder) {
  auto be = storage::NewMemoryBackend();
  auto repo = MustInit(*be);
  Snapshot snap;
  snap.backup_id = "b1";
  auto item = [](const std::string& name) { return SnapshotItem{name, "stream", 1, "", {}, {}}; };
  snap.components.push_back({"postgresql", {item("p1"), item("p2")}, {}});
  snap.components.push_back({"kafka", {}, {}});
  snap.components.push_back({"files", {item("f1")}, {}});
  ASSERT_OK(repo->SaveSnapshot(snap));
  auto walk = [&](Repository::ItemOrder order) {
    std::vector<std::string> seen;
    size_t components = 0;
    EXPECT_OK(repo->WalkSnapshot(
        "b1",
        [&](const Snapshot& summary) {
          components = summary.components.size();
          EXPECT_TRUE(summary.components[0].items.empty()) << "a summary, not the items";
          EXPECT_EQ(summary.components[0].item_count, 2u);
          return Status::Ok();
        },
        [&](size_t c, SnapshotItem&& i) {
          seen.push_back(std::to_string(c) + ":" + i.name);
          return Status::Ok();
        },
        order));
    EXPECT_EQ(components, 3u);
    return seen;
  };
  EXPECT_EQ(walk(Repository::ItemOrder::kByComponentName), (std::vector<std::string>{"2:f1", "0:p1", "0:p2"}));
  EXPECT_EQ(walk(Repository::ItemOrder::kManifest), (std::vector<std::string>{"0:p1", "0:p2", "2:f1"}));
  EXPECT_EQ(ComponentsByName(snap), (std::vector<size_t>{2, 1, 0}));
}

}  // namespace repository_test
}  // namespace dr::repo
