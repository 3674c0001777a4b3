// A Kafka cluster for integration tests: librdkafka's mock cluster started as
// its own process (test/servers/kafka_mock.cc), or the real cluster named by
// ECAP_TEST_KAFKA_BROKERS. Helpers produce test messages, read topics back
// independently of the code under test, and commit group offsets.
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/subprocess.h"
#include "dr/result.h"
#include "net/kafka/client.h"

namespace dr::test {

struct TestMessage {
  int32_t partition = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  int64_t timestamp_ms = 0;  // 0: now
  int64_t offset = -1;       // when read back
  bool operator==(const TestMessage& o) const {
    return partition == o.partition && key == o.key && value == o.value && headers == o.headers &&
           (timestamp_ms == 0 || o.timestamp_ms == 0 || timestamp_ms == o.timestamp_ms);
  }
};

class KafkaCluster {
 public:
  // topics: "name:partitions", created at start (as Topic(name)).
  static Result<std::unique_ptr<KafkaCluster>> Start(int brokers, const std::vector<std::string>& topics);
  // Always librdkafka's mock, whatever ECAP_TEST_KAFKA_BROKERS says: for a
  // test whose fault kills the brokers (a shared real cluster is not killed).
  static Result<std::unique_ptr<KafkaCluster>> StartMock(int brokers, const std::vector<std::string>& topics);
  ~KafkaCluster();

  const std::string& bootstrap() const { return bootstrap_; }
  bool is_mock() const { return mock_ != nullptr; }
  // A unique name on a shared real cluster; the name itself on the mock.
  std::string Topic(const std::string& name) const { return prefix_ + name; }

  // Creates exactly `name` (the mock: through kafka_mock; a real cluster: CreateTopics).
  Status CreateTopic(const std::string& name, int partitions);
  Status SetBrokerUp(int id, bool up);
  // Produces and waits for every delivery.
  Status Produce(const std::string& topic, const std::vector<TestMessage>& messages);
  // Every message of the topic, by partition, in offset order.
  Result<std::map<int32_t, std::vector<TestMessage>>> ReadAll(const std::string& topic);
  Status Commit(const std::string& group, const std::string& topic, int32_t partition, int64_t offset);
  Result<std::map<int32_t, int64_t>> Committed(const std::string& group, const std::string& topic, int partitions);
  net::kafka::Client& client() { return *client_; }
  // The mock's process, for a test's fault command to kill (StartMock: a real
  // cluster has none, and a "kill -9 -1" would take every process).
  pid_t mock_pid() const {
    if (!mock_) std::abort();
    return mock_->pid();
  }

 private:
  KafkaCluster() = default;
  // On the real cluster `real` names (its bootstrap servers), else the mock.
  static Result<std::unique_ptr<KafkaCluster>> StartOn(const char* real, int brokers,
                                                       const std::vector<std::string>& topics);
  Status Command(const std::string& line);
  std::unique_ptr<Subprocess> mock_;
  std::string bootstrap_;
  std::string prefix_;
  std::unique_ptr<net::kafka::Client> client_;
};

// The admin operations librdkafka's mock cluster cannot answer, scripted:
// DescribeConfigs answers `configs`, ListGroups answers `groups` (or fails
// like the mock when unset), CreateTopics is recorded and done through the
// test cluster. Group offsets go to the real cluster.
class ScriptedAdmin : public net::kafka::Admin {
 public:
  explicit ScriptedAdmin(KafkaCluster& cluster) : cluster_(cluster) {}
  Result<TopicConfigs> DescribeTopicConfigs(const std::vector<std::string>& topics) override;
  Status CreateTopic(const std::string& topic, int partitions, int replication_factor,
                     const std::map<std::string, std::string>& configs) override;
  // The mock cannot delete a topic: what was asked is recorded in `deleted`.
  Status DeleteTopics(const std::vector<std::string>& topics) override;
  Result<std::vector<std::string>> ListGroups() override;
  Result<std::vector<net::kafka::GroupOffset>> ListGroupOffsets(const std::string& group,
                                                                   const net::kafka::TopicPartitions& parts) override;
  Status AlterGroupOffsets(const std::string& group, const std::vector<net::kafka::GroupOffset>& offsets) override;

  std::map<std::string, std::map<std::string, std::string>> configs;  // topic -> configs
  std::optional<std::vector<std::string>> groups;
  struct Created {
    std::string topic;
    int partitions;
    int replication_factor;
    std::map<std::string, std::string> configs;
  };
  std::vector<Created> created;
  std::vector<std::string> deleted;
  bool alter_group_offsets_called = false;

 private:
  KafkaCluster& cluster_;
};

}  // namespace dr::test
