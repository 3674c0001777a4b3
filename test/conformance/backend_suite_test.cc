// The Backend contract (include/dr/backend.h), checked on every backend: memory
// and local here; S3 joins in the integration suite. A backend that passes this
// can hold a repository.
#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "storage/local/local_backend.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr {
namespace {

using test::StatusIs;

struct BackendFactory {
  std::string name;
  std::function<std::unique_ptr<Backend>(const std::string& dir)> make;
};

class BackendConformance : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override { be_ = GetParam().make(dir_.path()); }
  test::TempDir dir_;
  std::unique_ptr<Backend> be_;
};

const ObjectName kPack{ObjectKind::kPack, "ab34cd"};

TEST_P(BackendConformance, PutGetStatRemove) {
  EXPECT_THAT(be_->Get(kPack, {}), StatusIs(Code::kNotFound));
  EXPECT_THAT(be_->Stat(kPack), StatusIs(Code::kNotFound));
  ASSERT_OK(be_->Put(kPack, "hello world", {}));
  auto got = be_->Get(kPack, {});
  ASSERT_OK(got);
  EXPECT_EQ(*got, "hello world");
  auto info = be_->Stat(kPack);
  ASSERT_OK(info);
  EXPECT_EQ(info->size, 11u);
  ASSERT_OK(be_->Remove(kPack));
  EXPECT_THAT(be_->Remove(kPack), StatusIs(Code::kNotFound));
  EXPECT_THAT(be_->Get(kPack, {}), StatusIs(Code::kNotFound));
}

TEST_P(BackendConformance, RangesAndShortObjects) {
  ASSERT_OK(be_->Put(kPack, "0123456789", {}));
  EXPECT_EQ(*be_->Get(kPack, {2, 3}), "234");
  EXPECT_EQ(*be_->Get(kPack, {7, ByteRange::kToEnd}), "789");
  EXPECT_EQ(*be_->Get(kPack, {10, 0}), "");
  EXPECT_THAT(be_->Get(kPack, {8, 5}), StatusIs(Code::kCorrupt)) << "a range past the end means a truncated object";
}

TEST_P(BackendConformance, OverwriteIsRefusedUnlessAsked) {
  ObjectName snap{ObjectKind::kSnapshot, "backup_1"};
  ASSERT_OK(be_->Put(snap, "first", {.overwrite = false}));
  EXPECT_THAT(be_->Put(snap, "second", {.overwrite = false}), StatusIs(Code::kAlreadyExists));
  EXPECT_EQ(*be_->Get(snap, {}), "first");
  ASSERT_OK(be_->Put(snap, "third", {.overwrite = true}));
  EXPECT_EQ(*be_->Get(snap, {}), "third");
}

TEST_P(BackendConformance, RacingExclusivePutsHaveExactlyOneWinner) {
  ObjectName snap{ObjectKind::kSnapshot, "race"};
  std::atomic<int> wins{0}, losses{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Status s = be_->Put(snap, "writer " + std::to_string(t), {.overwrite = false});
      if (s.ok()) ++wins;
      if (s.code() == Code::kAlreadyExists) ++losses;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(losses.load(), 7);
}

TEST_P(BackendConformance, ListByKind) {
  ASSERT_OK(be_->Put({ObjectKind::kPack, "aa01"}, "x", {}));
  ASSERT_OK(be_->Put({ObjectKind::kPack, "bb02"}, "yy", {}));
  ASSERT_OK(be_->Put({ObjectKind::kIndex, "cc03"}, "zzz", {}));
  ASSERT_OK(be_->Put({ObjectKind::kConfig, "config"}, "{}", {}));
  std::set<std::string> packs;
  ASSERT_OK(be_->List(ObjectKind::kPack, [&](const ObjectInfo& i) {
    packs.insert(i.name.id + ":" + std::to_string(i.size));
    return Status::Ok();
  }));
  EXPECT_EQ(packs, (std::set<std::string>{"aa01:1", "bb02:2"}));
  int configs = 0;
  ASSERT_OK(be_->List(ObjectKind::kConfig, [&](const ObjectInfo&) {
    ++configs;
    return Status::Ok();
  }));
  EXPECT_EQ(configs, 1);
  int snapshots = 0;
  ASSERT_OK(be_->List(ObjectKind::kSnapshot, [&](const ObjectInfo&) {
    ++snapshots;
    return Status::Ok();
  }));
  EXPECT_EQ(snapshots, 0);
}

TEST_P(BackendConformance, ListStopsAtTheVisitorsError) {
  ASSERT_OK(be_->Put({ObjectKind::kIndex, "a1"}, "x", {}));
  ASSERT_OK(be_->Put({ObjectKind::kIndex, "b2"}, "x", {}));
  int visits = 0;
  Status s = be_->List(ObjectKind::kIndex, [&](const ObjectInfo&) {
    ++visits;
    return Status(Code::kCancelled, "stop");
  });
  EXPECT_THAT(s, StatusIs(Code::kCancelled));
  EXPECT_EQ(visits, 1);
}

TEST_P(BackendConformance, RejectsUnsafeNames) {
  EXPECT_THAT(be_->Put({ObjectKind::kSnapshot, "../escape"}, "x", {}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(be_->Put({ObjectKind::kSnapshot, ".hidden"}, "x", {}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(be_->Put({ObjectKind::kSnapshot, ""}, "x", {}), StatusIs(Code::kInvalidArgument));
}

TEST_P(BackendConformance, LargeObject) {
  std::string big = test::RandomData(20 << 20, 1);
  ASSERT_OK(be_->Put(kPack, big, {}));
  EXPECT_EQ(*be_->Get(kPack, {}), big);
  EXPECT_EQ(*be_->Get(kPack, {big.size() - 100, 100}), big.substr(big.size() - 100));
}

INSTANTIATE_TEST_SUITE_P(
    Backends, BackendConformance,
    ::testing::Values(BackendFactory{"memory", [](const std::string&) { return storage::NewMemoryBackend(); }},
                      BackendFactory{"local",
                                     [](const std::string& dir) {
                                       return std::move(storage::NewLocalBackend({.root = dir + "/repo"})).value();
                                     }}),
    [](const auto& info) { return info.param.name; });

// Local-only: a writer killed mid-Put leaves a ".tmp-*" file that nobody sees.
TEST(LocalBackendTest, TempFilesAreInvisible) {
  test::TempDir dir;
  auto be = std::move(storage::NewLocalBackend({.root = dir.path()})).value();
  test::WriteFile(dir / "snapshots/.tmp-123-0-abc", "half");
  test::WriteFile(dir / "data/ab/.tmp-9-9-9", "half");
  int n = 0;
  ASSERT_OK(be->List(ObjectKind::kSnapshot, [&](const ObjectInfo&) {
    ++n;
    return Status::Ok();
  }));
  ASSERT_OK(be->List(ObjectKind::kPack, [&](const ObjectInfo&) {
    ++n;
    return Status::Ok();
  }));
  EXPECT_EQ(n, 0);
}

}  // namespace
}  // namespace dr
