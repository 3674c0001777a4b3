// How far a backup reaches into a topic (AddReachedOffsets): the highest end
// of each partition over the topic's segments; other topics and kinds are
// ignored, and metadata the source did not write is an error naming the item.
#include <gtest/gtest.h>

#include "source/kafka/kafka_source.h"

namespace dr::source::kafka {
namespace {

using nlohmann::json;

repo::SnapshotItem Segment(const std::string& name, const std::string& topic, json ranges) {
  return {.name = name, .kind = "kafka_messages", .meta = {{"topic", topic}, {"ranges", std::move(ranges)}}};
}

TEST(ReachedOffsetsTest, EachPartitionReachesTheHighestEndOfItsSegments) {
  std::map<int32_t, int64_t> ends;
  ASSERT_TRUE(AddReachedOffsets(Segment("messages/t/000001", "t", {{"0", {0, 10}}, {"1", {0, 4}}}), "t", ends).ok());
  ASSERT_TRUE(AddReachedOffsets(Segment("messages/t/000002", "t", {{"0", {10, 25}}}), "t", ends).ok());
  ASSERT_TRUE(AddReachedOffsets(Segment("messages/u/000001", "u", {{"2", {0, 99}}}), "t", ends).ok());
  ASSERT_TRUE(AddReachedOffsets({.name = "topics/t", .kind = "kafka_topic", .meta = {{"topic", "t"}}}, "t", ends).ok());
  EXPECT_EQ(ends, (std::map<int32_t, int64_t>{{0, 25}, {1, 4}}));
}

TEST(ReachedOffsetsTest, MetadataTheSourceDidNotWriteIsCorruptNamingTheItem) {
  for (const json& bad : {json{{"x", {0, 1}}}, json{{"0", {0}}}, json{{"0", "0-1"}}, json{{"-1", {0, 1}}},
                          json{{"0", {0, "1"}}}, json::array()}) {
    std::map<int32_t, int64_t> ends;
    Status s = AddReachedOffsets(Segment("messages/t/000003", "t", bad), "t", ends);
    EXPECT_EQ(s.code(), Code::kCorrupt) << bad.dump();
    EXPECT_NE(s.message().find("messages/t/000003"), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace dr::source::kafka
