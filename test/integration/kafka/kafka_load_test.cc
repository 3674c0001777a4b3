// The region drill's load on Kafka (drill/kafka_load.h) against librdkafka's
// mock cluster: every acknowledged message is in the topic where the load
// recorded it, the topic made by the first message where the cluster
// auto-creates topics; a cluster that stopped answering fails a write within
// its timeout, naming the brokers.
#include "drill/kafka_load.h"

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <chrono>

#include "dr/clock.h"
#include "test/support/kafka_cluster.h"
#include "test/support/test_support.h"

namespace dr::test {
namespace {

using ::testing::HasSubstr;

TEST(KafkaLoadTest, EveryAcknowledgedMessageIsWhereTheLoadRecordedIt) {
  auto cluster = KafkaCluster::Start(1, {});
  ASSERT_OK(cluster);
  drill::KafkaLoad load{.client = {.bootstrap_servers = (*cluster)->bootstrap(), .timeout_ms = 3000}};
  const std::string topic = (*cluster)->Topic(drill::kKafkaDrillTopic);
  // The mock answers no CreateTopics: the first message makes the topic.
  const std::string note = drill::EnsureDrillTopic(load, topic);
  if ((*cluster)->is_mock()) {
    EXPECT_NE(note, "") << "librdkafka's mock cannot create topics for a client";
  }
  auto placements = std::make_shared<drill::KafkaPlacements>();
  drill::LoadWriter writer(drill::KafkaTarget(load, topic, "drill-t", placements), RealClock());
  writer.Start();
  ASSERT_TRUE(Eventually([&] { return writer.ack_count() >= 25; }, std::chrono::seconds(30)))
      << writer.last_error().ToString();
  writer.Stop();

  auto read = (*cluster)->ReadAll(topic);
  ASSERT_OK(read);
  std::map<int32_t, int64_t> ends;
  size_t messages = 0;
  for (const auto& [partition, list] : *read) {
    ends[partition] = static_cast<int64_t>(list.size());
    messages += list.size();
  }
  const auto acks = writer.acks();
  EXPECT_EQ(messages, acks.size()) << "one message per acknowledged write, no failed one";
  for (const auto& a : acks) {
    auto at = placements->At(a.seq);
    ASSERT_TRUE(at.has_value()) << a.seq;
    const auto& list = read->at(at->partition);
    ASSERT_LT(at->offset, static_cast<int64_t>(list.size()));
    EXPECT_EQ(list[at->offset].key, "drill-t/" + std::to_string(a.seq));
  }
  auto reached = placements->Reached(ends);
  EXPECT_EQ(std::count_if(reached.begin(), reached.end(), [](const auto& r) { return r.second; }),
            static_cast<long>(acks.size()));

  // The brokers gone: the write fails within its timeout, naming them.
  if (!(*cluster)->is_mock()) return;  // a shared real cluster is not taken down
  ASSERT_OK((*cluster)->SetBrokerUp(1, false));
  auto producer = net::kafka::Producer::Create(load.client, {{"message.timeout.ms", "1500"}});
  ASSERT_OK(producer);
  auto start = std::chrono::steady_clock::now();
  auto lost = (*producer)->ProduceAndWait(topic, "k", "v", 2000);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), Code::kUnavailable) << lost.status().ToString();
  EXPECT_THAT(lost.status().message(), HasSubstr((*cluster)->bootstrap()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30))
      << "bounded by its own timeout, not librdkafka's default of 300 s";
}

}  // namespace
}  // namespace dr::test
