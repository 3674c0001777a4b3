// The region drill's load on Kafka (drill/kafka_load.h) against librdkafka's
// mock cluster: every acknowledged message is in the topic where the load
// recorded it, the topic made by the first message where the cluster
// auto-creates topics; a cluster that stopped answering fails a write within
// its timeout, naming the brokers. Without brokers in the backup region the
// region drill counts Kafka's messages against the newest backup of Kafka
// (ops::KafkaDrillLoad): the messages it holds are reached, later ones lost.
#include "drill/kafka_load.h"

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <chrono>
#include <mutex>

#include "base/encoding.h"
#include "dr/clock.h"
#include "ops/backup_ops.h"
#include "ops/drill_ops.h"
#include "storage/memory/memory_backend.h"
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

// A switch of the brokers in use while a write waits on the old ones (they
// stopped answering): the write is given up, naming the switch, instead of
// waiting out the message's 5 s timeout, and the next goes to the new brokers.
TEST(KafkaLoadTest, AWriteWaitingOnBrokersSwitchedAwayFromIsGivenUpAndTheNextGoesToTheOnesInUse) {
  auto primary = KafkaCluster::StartMock(1, {});
  auto backup = KafkaCluster::StartMock(1, {});
  ASSERT_OK(primary);
  ASSERT_OK(backup);
  std::mutex mu;
  std::string active = (*primary)->bootstrap();
  drill::KafkaLoad load{.client = {.bootstrap_servers = (*primary)->bootstrap(), .timeout_ms = 3000},
                        .active = [&]() -> Result<std::string> {
                          std::lock_guard lock(mu);
                          return active;
                        }};
  const std::string topic = drill::kKafkaDrillTopic;
  auto placements = std::make_shared<drill::KafkaPlacements>();
  auto target = drill::KafkaTarget(load, topic, "drill-s", placements);
  auto first = target->Connect();
  ASSERT_OK(first);
  EXPECT_EQ(*first, (*primary)->bootstrap());
  ASSERT_OK(target->Write(1));

  ASSERT_OK((*primary)->SetBrokerUp(1, false));
  {
    std::lock_guard lock(mu);
    active = (*backup)->bootstrap();
  }
  Status lost = target->Write(2);
  EXPECT_EQ(lost.code(), Code::kUnavailable) << lost.ToString();
  EXPECT_THAT(lost.message(), HasSubstr("was given up: Kafka is now served from " + (*backup)->bootstrap()));
  EXPECT_FALSE(target->connected()) << "the next write connects again";
  EXPECT_FALSE(placements->At(2).has_value()) << "never acknowledged";

  auto second = target->Connect();
  ASSERT_OK(second);
  EXPECT_EQ(*second, (*backup)->bootstrap());
  ASSERT_OK(target->Write(3));
  auto read = (*backup)->ReadAll(topic);
  ASSERT_OK(read);
  std::vector<std::string> keys;
  for (const auto& [partition, list] : *read) {
    for (const auto& m : list) keys.push_back(m.key.value_or(""));
  }
  EXPECT_EQ(keys, std::vector<std::string>{"drill-s/3"});
  ASSERT_TRUE(placements->At(3).has_value());
}

// The acknowledged messages of one writer of the drills' load, run until at least `n` are acknowledged.
std::vector<drill::Ack> WriteDrillMessages(const drill::KafkaLoad& load, const std::string& topic,
                                           const std::string& prefix,
                                           const std::shared_ptr<drill::KafkaPlacements>& placements, size_t n) {
  drill::LoadWriter writer(drill::KafkaTarget(load, topic, prefix, placements), RealClock());
  writer.Start();
  EXPECT_TRUE(Eventually([&] { return writer.ack_count() >= n; }, std::chrono::seconds(30)))
      << writer.last_error().ToString();
  writer.Stop();
  return writer.acks();
}

size_t CountReached(const std::map<int64_t, bool>& reached) {
  return std::count_if(reached.begin(), reached.end(), [](const auto& r) { return r.second; });
}

TEST(KafkaLoadTest, WithoutBrokersInTheBackupRegionMessagesCountAgainstTheNewestBackup) {
  auto cluster = KafkaCluster::Start(1, {std::string(drill::kKafkaDrillTopic) + ":2"});
  ASSERT_OK(cluster);
  TempDir dir;
  ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
  auto backend = storage::NewMemoryBackend();
  ops::OperationContext ctx;
  ctx.config.kafka.bootstrap_servers = (*cluster)->bootstrap();
  ctx.config.kafka.timeout_seconds = 2;  // the mock answers no DescribeConfigs: each backup waits this long
  ctx.config.coordinator.state_dir = dir.path();
  ctx.config.audit.log_file = dir / "audit.log";
  ctx.open_backend = [&] { return BorrowBackend(*backend); };
  ASSERT_OK(ops::InitRepository(ctx).status);

  drill::KafkaLoad load = ops::KafkaDrillLoad(ctx, "drill-fallback");
  ASSERT_EQ(load.backup_region, "") << "no dr_coordinator.failover.kafka configured";
  const std::string topic = (*cluster)->Topic(drill::kKafkaDrillTopic);
  auto before = std::make_shared<drill::KafkaPlacements>();
  auto acked_before = WriteDrillMessages(load, topic, "drill-a", before, 20);

  auto backed = load.backup(topic);
  ASSERT_OK(backed);
  EXPECT_EQ((*backed)["status"], "completed");
  auto after = std::make_shared<drill::KafkaPlacements>();
  auto acked_after = WriteDrillMessages(load, topic, "drill-b", after, 10);

  auto ends = load.backed_up(topic);
  ASSERT_OK(ends);
  // What the backup holds, read independently: the topic's messages up to each partition's end.
  auto read = (*cluster)->ReadAll(topic);
  ASSERT_OK(read);
  size_t held = 0, total = 0;
  for (const auto& [partition, list] : *read) {
    total += list.size();
    int64_t end = ends->count(partition) ? ends->at(partition) : 0;
    for (int64_t o = 0; o < end; ++o) {
      EXPECT_EQ(list.at(o).key.value_or("").rfind("drill-a/", 0), 0u) << "partition " << partition << " offset " << o;
      ++held;
    }
  }
  EXPECT_EQ(total, acked_before.size() + acked_after.size()) << "the drill's messages and nothing else";
  EXPECT_EQ(held, acked_before.size()) << "the backup holds every message acknowledged before it and no later one";
  EXPECT_EQ(CountReached(before->Reached(*ends)), acked_before.size());
  EXPECT_EQ(CountReached(after->Reached(*ends)), 0u) << "produced after the backup: lost with the region";

  // A topic no backup holds is a clear error, naming it.
  auto none = load.backed_up("ecap_dr_no_such_topic");
  EXPECT_EQ(StatusOf(none).code(), Code::kNotFound);
  EXPECT_THAT(StatusOf(none).message(), HasSubstr("ecap_dr_no_such_topic"));
  ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY");
}

}  // namespace
}  // namespace dr::test
