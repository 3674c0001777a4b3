// The Backend contract's tests; instantiated per backend (see backend_suite.h).
#include "test/conformance/backend_suite.h"

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "test/support/test_support.h"

namespace dr {

using test::StatusIs;


const ObjectName kPack{ObjectKind::kPack, "ab34cd"};

TEST_P(Conformance, PutGetStatRemove) {
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

TEST_P(Conformance, RangesAndShortObjects) {
  ASSERT_OK(be_->Put(kPack, "0123456789", {}));
  EXPECT_EQ(*be_->Get(kPack, {2, 3}), "234");
  EXPECT_EQ(*be_->Get(kPack, {7, ByteRange::kToEnd}), "789");
  EXPECT_EQ(*be_->Get(kPack, {10, 0}), "");
  EXPECT_THAT(be_->Get(kPack, {8, 5}), StatusIs(Code::kCorrupt)) << "a range past the end means a truncated object";
}

TEST_P(Conformance, OverwriteIsRefusedUnlessAsked) {
  ObjectName snap{ObjectKind::kSnapshot, "backup_1"};
  ASSERT_OK(be_->Put(snap, "first", {.overwrite = false}));
  EXPECT_THAT(be_->Put(snap, "second", {.overwrite = false}), StatusIs(Code::kAlreadyExists));
  EXPECT_EQ(*be_->Get(snap, {}), "first");
  ASSERT_OK(be_->Put(snap, "third", {.overwrite = true}));
  EXPECT_EQ(*be_->Get(snap, {}), "third");
}

TEST_P(Conformance, RacingExclusivePutsHaveExactlyOneWinner) {
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

TEST_P(Conformance, ListByKind) {
  // A listing says when each object was written, about now (the WAL
  // archive's reach is judged by it: source/postgres/wal.h).
  const auto before = std::chrono::system_clock::now() - std::chrono::seconds(5);
  ASSERT_OK(be_->Put({ObjectKind::kPack, "aa01"}, "x", {}));
  ASSERT_OK(be_->Put({ObjectKind::kPack, "bb02"}, "yy", {}));
  ASSERT_OK(be_->Put({ObjectKind::kIndex, "cc03"}, "zzz", {}));
  ASSERT_OK(be_->Put({ObjectKind::kConfig, "config"}, "{}", {}));
  std::set<std::string> packs;
  ASSERT_OK(be_->List(ObjectKind::kPack, [&](const ObjectInfo& i) {
    packs.insert(i.name.id + ":" + std::to_string(i.size));
    EXPECT_TRUE(i.modified.has_value()) << i.name.id;
    EXPECT_GE(i.modified.value_or(before), before) << i.name.id;
    EXPECT_LE(i.modified.value_or(before), std::chrono::system_clock::now() + std::chrono::seconds(5)) << i.name.id;
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

TEST_P(Conformance, ListStopsAtTheVisitorsError) {
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

TEST_P(Conformance, RejectsUnsafeNames) {
  EXPECT_THAT(be_->Put({ObjectKind::kSnapshot, "../escape"}, "x", {}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(be_->Put({ObjectKind::kSnapshot, ".hidden"}, "x", {}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(be_->Put({ObjectKind::kSnapshot, ""}, "x", {}), StatusIs(Code::kInvalidArgument));
}

TEST_P(Conformance, LargeObject) {
  std::string big = test::RandomData(20 << 20, 1);
  ASSERT_OK(be_->Put(kPack, big, {}));
  EXPECT_EQ(*be_->Get(kPack, {}), big);
  EXPECT_EQ(*be_->Get(kPack, {big.size() - 100, 100}), big.substr(big.size() - 100));
}


GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Conformance);

}  // namespace dr
