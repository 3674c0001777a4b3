#include "repo/fetch_plan.h"

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "repo/repository.h"
#include "repo/snapshot/snapshot.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::repo {
namespace {

BlobId Id(int n) {
  BlobId id;
  id.bytes[0] = static_cast<unsigned char>(n);
  id.bytes[1] = static_cast<unsigned char>(n >> 8);
  return id;
}

// Pack "A": blobs 0..9 of 100 bytes each, back to back; pack "B": blobs 10 and 11.
void TwoPacks(Index& index) {
  PackRecord a{"aaaa", 4096, {}};
  for (int i = 0; i < 10; ++i) a.entries.push_back({ObjectType::kData, Id(i), uint32_t(i) * 100, 100, 300});
  index.AddPack(a);
  PackRecord b{"bbbb", 4096, {}};
  for (int i = 10; i < 12; ++i) b.entries.push_back({ObjectType::kData, Id(i), uint32_t(i - 10) * 100, 100, 300});
  index.AddPack(b);
}

std::vector<Fetch> Plan(const Index& index, const std::vector<BlobId>& blobs, FetchOptions options) {
  FetchPlanner planner(index, blobs, options);
  std::vector<Fetch> out;
  while (!planner.done()) out.push_back(planner.Next());
  return out;
}

TEST(FetchPlanTest, NeighbouringBlobsOfAPackAreOneRead) {
  Index index;
  TwoPacks(index);
  auto plan = Plan(index, {Id(0), Id(1), Id(2), Id(10), Id(11)}, {.max_gap = 0, .max_length = 1 << 20});
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].pack_id, "aaaa");
  EXPECT_EQ(plan[0].offset, 0u);
  EXPECT_EQ(plan[0].length, 300u);
  ASSERT_EQ(plan[0].parts.size(), 3u);
  EXPECT_EQ(plan[0].parts[2].id, Id(2));
  EXPECT_EQ(plan[0].parts[2].offset, 200u);
  EXPECT_EQ(plan[0].parts[2].raw_length, 300u);
  EXPECT_EQ(plan[1].pack_id, "bbbb");
  EXPECT_EQ(plan[1].parts.size(), 2u);
}

TEST(FetchPlanTest, AGapWithinMaxGapIsReadAndAWiderOneSplits) {
  Index index;
  TwoPacks(index);
  // 0 then 2: a 100-byte gap (blob 1); 2 then 6: 300 bytes.
  auto plan = Plan(index, {Id(0), Id(2), Id(6)}, {.max_gap = 100, .max_length = 1 << 20});
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].length, 300u);
  EXPECT_EQ(plan[0].parts[1].offset, 200u);
  EXPECT_EQ(plan[1].offset, 600u);
  EXPECT_EQ(plan[1].parts.size(), 1u);
}

TEST(FetchPlanTest, NoReadIsLongerThanMaxLength) {
  Index index;
  TwoPacks(index);
  std::vector<BlobId> blobs;
  for (int i = 0; i < 10; ++i) blobs.push_back(Id(i));
  auto plan = Plan(index, blobs, {.max_gap = 0, .max_length = 350});
  ASSERT_EQ(plan.size(), 4u);  // 3 + 3 + 3 + 1 blobs
  for (const auto& f : plan) EXPECT_LE(f.length, 350u);
  EXPECT_EQ(plan[3].offset, 900u);
}

TEST(FetchPlanTest, TheRangeGrowsAtEitherEndAndARepeatedBlobIsServedByIt) {
  Index index;
  TwoPacks(index);
  // Workers packed 3 before 2; the stream repeats a chunk (3 again); 1 adjoins the range's start.
  auto plan = Plan(index, {Id(3), Id(2), Id(4), Id(3), Id(1), Id(8)}, {.max_gap = 0, .max_length = 1 << 20});
  ASSERT_EQ(plan.size(), 2u);
  ASSERT_EQ(plan[0].parts.size(), 5u);
  EXPECT_EQ(plan[0].offset, 100u);
  EXPECT_EQ(plan[0].length, 400u);
  EXPECT_EQ(plan[0].parts[0].offset, 200u);
  EXPECT_EQ(plan[0].parts[1].offset, 100u);
  EXPECT_EQ(plan[0].parts[3].offset, 200u);
  EXPECT_EQ(plan[0].parts[4].offset, 0u);
  EXPECT_EQ(plan[1].offset, 800u) << "a gap wider than max_gap splits";
}

TEST(FetchPlanTest, ABlobInNoIndexIsAFetchOfItsOwnThatReadsNothing) {
  Index index;
  TwoPacks(index);
  auto plan = Plan(index, {Id(0), Id(1), Id(99), Id(2)}, {});
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].parts.size(), 2u);
  EXPECT_EQ(plan[1].missing.code(), Code::kNotFound);
  EXPECT_THAT(plan[1].missing.message(), ::testing::HasSubstr("blob '" + Id(99).ShortHex() + "' is not in any index"));
  EXPECT_EQ(plan[1].length, 0u);
  EXPECT_EQ(plan[2].parts[0].id, Id(2));
}

// Counts reads of packs.
class CountingBackend : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  Result<std::string> Get(const ObjectName& name, ByteRange range) override {
    if (name.kind == ObjectKind::kPack) ++gets_;
    return target_->Get(name, range);
  }
  std::atomic<int> gets_{0};
};

TEST(FetchPlanTest, ARestoreReadsEachPackInFewRangedGets) {
  auto be = std::make_unique<CountingBackend>(storage::NewMemoryBackend());
  CountingBackend& counting = *be;
  const std::string key(32, 'k');
  RepositoryOptions options{.compression_level = 3, .pack_size = 4 << 20, .threads = 2, .io_concurrency = 3};
  options.fetch.max_length = 16 << 20;
  auto repo = Repository::Init(*be, {.encrypted = true, .master_key = key, .chunker = {}}, options);
  ASSERT_OK(repo);
  std::string data = test::RandomData(24 << 20, 7);
  StringSource src(data);
  auto saved = (*repo)->SaveStream(src, nullptr);
  ASSERT_OK(saved);
  ASSERT_OK((*repo)->Flush());
  size_t packs = (*repo)->index().Packs().size();

  ASSERT_GE(saved->blobs.size(), 3 * packs) << "several blobs per pack, or nothing is merged";

  counting.gets_ = 0;
  std::string out;
  StringSink sink(out);
  auto restored = (*repo)->RestoreStream(saved->blobs, sink, nullptr, Repository::StreamHash::kSha256);
  ASSERT_OK(restored);
  EXPECT_EQ(out, data);
  EXPECT_EQ(restored->sha256, saved->sha256) << "verify's second hash of the stream";
  EXPECT_EQ(counting.gets_.load(), static_cast<int>(packs)) << "one GET per pack for " << saved->blobs.size() << " blobs";
}

// Lets reads of one kind of object through only once `wanted` of them are in
// flight at once (or, as a bound for a test that would otherwise hang, after
// 10 s): one read at a time shows as a maximum of 1.
class GatedBackend : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  Result<std::string> Get(const ObjectName& name, ByteRange range) override {
    if (gated_ && name.kind == kind_) {
      std::unique_lock lock(mu_);
      max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(10), [&] { return max_in_flight_ >= wanted_; });
      --in_flight_;
    }
    return target_->Get(name, range);
  }
  bool gated_ = false;
  ObjectKind kind_ = ObjectKind::kIndex;
  int wanted_ = 3;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

TEST(FetchPlanTest, OpeningReadsTheIndexFilesSeveralAtATime) {
  auto be = std::make_unique<GatedBackend>(storage::NewMemoryBackend());
  GatedBackend& gated = *be;
  const std::string key(32, 'k');
  RepositoryOptions options{.threads = 2, .io_concurrency = 4};
  std::vector<StreamResult> saved;
  {
    auto repo = Repository::Init(*be, {.encrypted = true, .master_key = key, .chunker = {}}, options);
    ASSERT_OK(repo);
    for (int i = 0; i < 6; ++i) {  // one index file per flush
      std::string data = test::RandomData(64 << 10, 100 + i);
      StringSource src(data);
      auto one = (*repo)->SaveStream(src, nullptr);
      ASSERT_OK(one);
      ASSERT_OK((*repo)->Flush());
      saved.push_back(*one);
    }
  }
  int index_files = 0;
  ASSERT_OK(be->List(ObjectKind::kIndex, [&](const ObjectInfo&) {
    ++index_files;
    return Status::Ok();
  }));
  ASSERT_EQ(index_files, 6);

  gated.gated_ = true;
  auto reopened = Repository::Open(*be, key, options);
  ASSERT_OK(reopened);
  EXPECT_GE(gated.max_in_flight_, 3) << "index files read one after another";
  EXPECT_LE(gated.max_in_flight_, 4) << "no more at once than io_concurrency";
  EXPECT_TRUE((*reopened)->open_warnings().empty());
  for (int i = 0; i < 6; ++i) {  // every index file's packs are in the index
    std::string out;
    StringSink sink(out);
    ASSERT_OK((*reopened)->RestoreStream(saved[i].blobs, sink, nullptr));
    EXPECT_EQ(out, test::RandomData(64 << 10, 100 + i));
  }
}

TEST(FetchPlanTest, SnapshotSummariesAreReadSeveralAtATimeInTheirOrder) {
  auto be = std::make_unique<GatedBackend>(storage::NewMemoryBackend());
  GatedBackend& gated = *be;
  const std::string key(32, 'k');
  RepositoryOptions options{.threads = 2, .io_concurrency = 4};
  auto repo = Repository::Init(*be, {.encrypted = true, .master_key = key, .chunker = {}}, options);
  ASSERT_OK(repo);
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    Snapshot snap;
    snap.backup_id = "b" + std::to_string(i);
    snap.start_time = "2026-12-04T10:00:0" + std::to_string(i) + "Z";
    ASSERT_OK((*repo)->SaveSnapshot(snap));
    ids.push_back(snap.backup_id);
  }
  ids.insert(ids.begin() + 3, "gone");
  gated.kind_ = ObjectKind::kSnapshot;
  gated.gated_ = true;
  auto loaded = (*repo)->LoadSnapshotSummaries(ids);
  EXPECT_GE(gated.max_in_flight_, 3) << "snapshots read one after another";
  EXPECT_LE(gated.max_in_flight_, 4) << "no more at once than io_concurrency";
  ASSERT_EQ(loaded.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == "gone") {
      EXPECT_EQ(test::StatusOf(loaded[i]).code(), Code::kNotFound);
      continue;
    }
    ASSERT_OK(loaded[i]);
    EXPECT_EQ(loaded[i]->backup_id, ids[i]);
  }
}

}  // namespace
}  // namespace dr::repo
