#include "repo/index/index.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <thread>
#include <filesystem>
#include <map>
#include <random>

#include "dr/io.h"
#include "repo/checker.h"
#include "repo/repository.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::repo {
namespace {

using test::StatusIs;
using ::testing::HasSubstr;

BlobId RandomId(std::mt19937_64& rng) {
  BlobId id;
  for (size_t i = 0; i < id.bytes.size(); i += 8) {
    uint64_t w = rng();
    std::memcpy(id.bytes.data() + i, &w, 8);
  }
  return id;
}

// `packs` packs of `per_pack` random blobs; where each is, as the index should say.
struct Expected {
  std::vector<PackRecord> packs;
  std::map<std::string, BlobLocation> where;  // by hex id
};

Expected MakePacks(int packs, int per_pack, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Expected out;
  for (int p = 0; p < packs; ++p) {
    std::string number = std::to_string(p + 1000 * seed);
    PackRecord record{std::string(64 - number.size(), 'a') + number, uint64_t(1000 + p), {}};
    for (int i = 0; i < per_pack; ++i) {
      PackEntry e{ObjectType::kData, RandomId(rng), uint32_t(i * 64), 64, uint32_t(100 + i)};
      record.entries.push_back(e);
      out.where[e.id.hex()] = {record.pack_id, record.size, e.offset, e.length, e.raw_length};
    }
    out.packs.push_back(std::move(record));
  }
  return out;
}

void ExpectFinds(const Index& index, const Expected& expected) {
  for (const auto& [hex, want] : expected.where) {
    auto id = *BlobId::FromHex(hex);
    ASSERT_TRUE(index.Has(id)) << hex;
    auto got = index.Find(id);
    ASSERT_TRUE(got.has_value()) << hex;
    EXPECT_EQ(got->pack_id, want.pack_id);
    EXPECT_EQ(got->pack_size, want.pack_size);
    EXPECT_EQ(got->offset, want.offset);
    EXPECT_EQ(got->length, want.length);
    EXPECT_EQ(got->raw_length, want.raw_length);
  }
}

TEST(IndexTest, EntriesPastTheMemoryLimitGoToRunsAndAreFoundThere) {
  test::TempDir dir;
  Index index({.memory_entries = 1000, .spill_dir = dir.path()});
  Expected expected = MakePacks(40, 500, 1);  // 20,000 blobs: 20 spills
  for (const auto& p : expected.packs) index.AddPack(p);
  EXPECT_EQ(index.blob_count(), 20000u);
  // Runs merge like a binary counter: 20 spills leave at most log2(20) + 1.
  EXPECT_GE(index.run_count(), 1u);
  EXPECT_LE(index.run_count(), 5u);
  ExpectFinds(index, expected);
  // What the runs hold in memory is a small part of what the entries are.
  EXPECT_LT(index.run_memory_bytes(), 20000u * 3);
  // Blobs nobody stored are not found, wherever their ids fall.
  std::mt19937_64 rng(99);
  for (int i = 0; i < 2000; ++i) {
    BlobId other = RandomId(rng);
    EXPECT_FALSE(index.Has(other));
    EXPECT_FALSE(index.Find(other).has_value());
  }
  EXPECT_OK(index.status());
  // Nothing is left under a name in the spill directory.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(IndexTest, AnIdInTwoPacksKeepsTheFirstCopyOnDiskAndInMemory) {
  test::TempDir dir;
  Index index({.memory_entries = 100, .spill_dir = dir.path()});
  Expected expected = MakePacks(3, 150, 2);
  for (const auto& p : expected.packs) index.AddPack(p);
  ASSERT_GE(index.run_count(), 1u);
  // A racing backup packed the same blobs again: the first copies stay.
  PackRecord again{std::string(64, 'f'), 5000, {}};
  for (const auto& p : expected.packs) {
    for (const auto& e : p.entries) again.entries.push_back({e.type, e.id, 7, 8, 9});
  }
  index.AddPack(again);
  EXPECT_EQ(index.blob_count(), 450u);
  EXPECT_TRUE(index.HasPack(std::string(64, 'f')));
  ExpectFinds(index, expected);
}

// A spill holds no lock while its run is written: lookups on other threads
// are answered meanwhile (from the frozen map and the runs), and so are the
// repository's writers, who add packs without spilling (AddPack spill=false)
// and spill after releasing their own lock. Readers racing the spills and
// merges find every blob added before they looked.
TEST(IndexTest, LookupsAndAddsAreAnsweredWhileARunIsWritten) {
  test::TempDir dir;
  Expected expected = MakePacks(30, 400, 3);  // 12,000 blobs
  std::atomic<size_t> spills{0};
  std::atomic<bool> answered_meanwhile{true};
  Index* self = nullptr;
  const BlobId first = expected.packs[0].entries[0].id;
  auto during = [&] {
    ++spills;
    if (!answered_meanwhile) return;  // seen once is enough
    // Another thread looks a blob up while this one writes the run; with
    // the index locked for the spill it would wait until the run is done
    // (detached: a thread that waits must not hold this one up).
    auto promise = std::make_shared<std::promise<bool>>();
    auto found = promise->get_future();
    std::thread([promise, self, first] { promise->set_value(self->Find(first).has_value()); }).detach();
    if (found.wait_for(std::chrono::seconds(30)) != std::future_status::ready || !found.get()) answered_meanwhile = false;
  };
  Index index({.memory_entries = 1000, .spill_dir = dir.path(), .while_spilling = during});
  self = &index;
  std::atomic<size_t> added{0};
  std::atomic<bool> done{false}, missed{false};
  std::thread reader([&] {
    while (!done) {
      size_t n = added.load();
      // Every blob of the packs added so far is found, whatever spill or merge runs.
      for (size_t p = 0; p < n; ++p) {
        const auto& e = expected.packs[p].entries[(p * 37) % expected.packs[p].entries.size()];
        if (!index.Has(e.id)) missed = true;
      }
    }
  });
  for (size_t p = 0; p < expected.packs.size(); ++p) {
    index.AddPack(expected.packs[p], /*spill=*/p % 2 == 0);
    index.SpillIfFull();
    added = p + 1;
  }
  done = true;
  reader.join();
  EXPECT_GE(spills.load(), 10u);
  EXPECT_TRUE(answered_meanwhile) << "a lookup waited for a run to be written";
  EXPECT_FALSE(missed) << "a reader did not find a blob added before it looked";
  EXPECT_EQ(index.blob_count(), 12000u);
  EXPECT_LE(index.run_count(), 5u);
  ExpectFinds(index, expected);
  EXPECT_OK(index.status());
}

// A spill directory that fills up in the middle of a pack: every entry, of
// that pack and of all after it, stays findable (in memory), and status()
// names the directory.
TEST(IndexTest, AFullSpillDirectoryIsNamedAndLosesNoEntry) {
  test::TempDir dir;
  std::string mnt = dir / "full";
  test::ScopedTmpfs tmpfs(mnt, "64k");
  ASSERT_TRUE(tmpfs.mounted()) << tmpfs.error();
  Index index({.memory_entries = 1000, .spill_dir = mnt});
  // 300 per pack: a run of 1,000 entries (48 KB) fits, the second fills the
  // directory part-way through the seventh pack.
  Expected expected = MakePacks(12, 300, 3);
  for (const auto& p : expected.packs) index.AddPack(p);
  EXPECT_THAT(index.status(), StatusIs(Code::kNoSpace));
  EXPECT_THAT(index.status().message(), HasSubstr("'" + mnt + "'"));
  EXPECT_EQ(index.blob_count(), 12u * 300);
  for (const auto& p : expected.packs) {
    for (const auto& e : p.entries) {
      auto found = index.Find(e.id);
      ASSERT_TRUE(found) << e.id.hex();
      EXPECT_EQ(found->pack_id, p.pack_id);
      EXPECT_EQ(found->offset, e.offset);
    }
  }
}

TEST(IndexTest, AMissingSpillDirectoryIsNamedAndTheIndexStaysInMemory) {
  test::TempDir dir;
  Index index({.memory_entries = 10, .spill_dir = dir / "absent"});
  Expected expected = MakePacks(1, 20, 4);
  index.AddPack(expected.packs[0]);
  EXPECT_THAT(index.status(), StatusIs(Code::kNotFound));
  EXPECT_THAT(index.status().message(),
              HasSubstr("unable to create a temporary index file in '" + dir / "absent" + "'"));
  EXPECT_EQ(index.run_count(), 0u);
  for (const auto& e : expected.packs[0].entries) EXPECT_TRUE(index.Has(e.id)) << e.id.hex();
}

// A backup and a restore whose index does not fit in memory: the pack writer
// hands entries to the index as packs are stored, a reopened repository
// spills while loading, and every stream comes back byte for byte.
TEST(IndexTest, ARepositoryWhoseIndexSpillsBacksUpReopensAndRestores) {
  test::TempDir dir;
  auto be = storage::NewMemoryBackend();
  const std::string key(32, 'k');
  RepositoryOptions options{.compression_level = 1, .pack_size = 64 << 10, .threads = 2};
  options.index = {.memory_entries = 64, .spill_dir = dir.path()};
  std::vector<std::pair<std::string, StreamResult>> saved;
  {
    auto repo = Repository::Init(*be, {.encrypted = true, .master_key = key, .chunker = {}}, options);
    ASSERT_OK(repo);
    for (int i = 0; i < 1500; ++i) {
      std::string data = test::RandomData(200 + i % 300, uint64_t(i));
      StringSource src(data);
      auto r = (*repo)->SaveStream(src, nullptr);
      ASSERT_OK(r);
      saved.emplace_back(std::move(data), *r);
    }
    // A stream saved again is deduplicated against entries already on disk.
    uint64_t before = (*repo)->write_stats().new_blobs;
    StringSource again(saved[3].first);
    ASSERT_OK((*repo)->SaveStream(again, nullptr));
    EXPECT_EQ((*repo)->write_stats().new_blobs, before);
    ASSERT_OK((*repo)->Flush());
    EXPECT_GE((*repo)->index().run_count(), 1u);
    Snapshot snap;
    snap.backup_id = "b1";
    snap.components.push_back({"files", {}, {}});
    for (size_t i = 0; i < saved.size(); ++i) {
      const auto& s = saved[i].second;
      snap.components[0].items.push_back({"f" + std::to_string(i), "file", s.size, s.sha256, s.blobs, {}});
    }
    ASSERT_OK((*repo)->SaveSnapshot(snap));
  }
  auto repo = Repository::Open(*be, key, options);
  ASSERT_OK(repo);
  EXPECT_GE((*repo)->index().run_count(), 1u);
  EXPECT_GE((*repo)->index().blob_count(), saved.size());
  for (size_t i = 0; i < saved.size(); i += 7) {
    std::string out;
    StringSink sink(out);
    ASSERT_OK((*repo)->RestoreStream(saved[i].second.blobs, sink, nullptr));
    EXPECT_EQ(out, saved[i].first) << i;
  }
  auto report = CheckRepository(**repo, {.read_data = true});
  EXPECT_TRUE(report.ok()) << report.ToJson().dump();
}

}  // namespace
}  // namespace dr::repo
