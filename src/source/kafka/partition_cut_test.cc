#include "source/kafka/partition_cut.h"

#include <gtest/gtest.h>

namespace dr::source::kafka {
namespace {

using V = PartitionCut::Verdict;

TEST(PartitionCutTest, ContiguousPartitionEndsAtItsLastOffset) {
  PartitionCut cut({{0, {5, 8}}});
  bool done = false;
  EXPECT_EQ(cut.OnMessage(0, 5, &done), V::kKeep);
  EXPECT_EQ(cut.OnMessage(0, 6, &done), V::kKeep);
  EXPECT_FALSE(done);
  EXPECT_EQ(cut.OnMessage(0, 7, &done), V::kKeep);
  EXPECT_TRUE(done);
  EXPECT_TRUE(cut.all_done());
  EXPECT_EQ(cut.OnMessage(0, 8, &done), V::kSkip) << "produced after the backup started";
}

TEST(PartitionCutTest, CompactedGapsEndAtThePartitionEnd) {
  // Offsets 2-4, 6-8 and 10-11 were compacted away; the watermark is 12.
  PartitionCut cut({{3, {0, 12}}});
  bool done = false;
  for (int64_t o : {0, 1, 5, 9}) EXPECT_EQ(cut.OnMessage(3, o, &done), V::kKeep) << o;
  EXPECT_FALSE(done);
  EXPECT_FALSE(cut.OnEnd(3, 10)) << "an end seen before the watermark (a racing fetch) does not end it";
  EXPECT_FALSE(cut.all_done());
  EXPECT_EQ(cut.first_pending(), (std::pair<int32_t, int64_t>{3, 10}));
  EXPECT_TRUE(cut.OnEnd(3, 12));
  EXPECT_TRUE(cut.all_done());
}

TEST(PartitionCutTest, TransactionMarkerAtTheEndAndLaterMessages) {
  // Messages 0-8, a commit marker at 9 (never delivered), watermark 10; then new messages from 10.
  PartitionCut cut({{0, {0, 10}}, {1, {4, 6}}});
  bool done = false;
  for (int64_t o = 0; o < 9; ++o) EXPECT_EQ(cut.OnMessage(0, o, &done), V::kKeep);
  EXPECT_FALSE(done);
  EXPECT_EQ(cut.OnMessage(0, 11, &done), V::kSkip);
  EXPECT_TRUE(done) << "a message past the cut proves nothing before it is missing";
  EXPECT_EQ(cut.OnMessage(1, 4, &done), V::kKeep);
  EXPECT_EQ(cut.OnMessage(1, 4, &done), V::kSkip) << "a duplicate after a re-fetch";
  EXPECT_EQ(cut.OnMessage(1, 5, &done), V::kKeep);
  EXPECT_TRUE(cut.all_done());
}

TEST(PartitionCutTest, EmptyRangesAreDoneFromTheStart) {
  PartitionCut cut({{0, {7, 7}}});
  EXPECT_TRUE(cut.all_done());
}

}  // namespace
}  // namespace dr::source::kafka
