// The source conformance suite (test/conformance/source_suite.h) for kafka:
// librdkafka's mock cluster, one per test (or ECAP_TEST_KAFKA_BROKERS), with
// the admin answers the mock cannot give scripted (ScriptedAdmin).
#include "test/conformance/source_suite.h"
#include "test/support/kafka_cluster.h"

namespace dr::test {
namespace source_conformance_test {

constexpr int64_t kT0 = 1795651200000;  // 2026-11-26T00:00:00Z

std::vector<TestMessage> Messages(int count, int partitions, int64_t first) {
  std::vector<TestMessage> out;
  for (int i = 0; i < count; ++i) {
    int64_t n = first + i;
    TestMessage m{.partition = static_cast<int32_t>(n % partitions)};
    if (n % 10 != 3) m.key = "key-" + std::to_string(n);
    if (n % 17 != 5) m.value = RandomData(20 + n % 200, static_cast<uint64_t>(n));
    m.headers.emplace_back("n", std::to_string(n));
    m.timestamp_ms = kT0 + n;
    out.push_back(std::move(m));
  }
  return out;
}

std::string Describe(const TestMessage& m) {
  std::string s = "k=" + (m.key ? *m.key : std::string("<null>")) + " v=" + (m.value ? *m.value : "<null>") +
                  " t=" + std::to_string(m.timestamp_ms);
  for (const auto& [name, value] : m.headers) s += " h:" + name + "=" + (value ? *value : "<null>");
  return s;
}

// Two topics with messages and a consumer group's offsets, restored under a
// topic prefix per attempt (the offsets follow).
class KafkaHarness : public SourceHarness {
 public:
  std::string component() const override { return "kafka"; }
  void Prepare(config::Config& config, const std::string&) override {
    auto cluster = KafkaCluster::Start(3, {"orders:3", "events:2"});
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = std::move(*cluster);
    admin_ = std::make_unique<ScriptedAdmin>(*cluster_);
    admin_->groups = std::vector<std::string>{"billing"};
    Produce(0, 300, 200);
    ASSERT_TRUE(cluster_->Commit("billing", Topic("orders"), 1, 40).ok());
    config.kafka_configured = true;
    config.kafka.bootstrap_servers = cluster_->bootstrap();
    config.kafka.timeout_seconds = 2;
    config.kafka.topics = {Topic("orders"), Topic("events")};
  }
  void Change() override {
    Produce(300, 120, 60);
    ASSERT_TRUE(cluster_->Commit("billing", Topic("orders"), 1, 90).ok());
  }
  backup::RestoreRequest RestoreTo(int attempt) override {
    return {.kafka = {.topic_prefix = Prefix(attempt)}};
  }
  std::map<std::string, std::string> Original() override { return Read(""); }
  std::map<std::string, std::string> Restored(int attempt) override { return Read(Prefix(attempt)); }
  // Every message produced so far; its key and value bytes.
  Counts Expected(const repo::SnapshotComponent&) override { return {messages_, bytes_}; }
  void Configure(backup::ManagerOptions& options) override { options.kafka_admin = admin_.get(); }

 private:
  std::string Topic(const std::string& name) const { return cluster_->Topic(name); }
  static std::string Prefix(int attempt) { return "r" + std::to_string(attempt) + "."; }
  void Produce(int64_t first, int orders, int events) {
    for (const auto& [topic, count, partitions] :
         {std::tuple{std::string("orders"), orders, 3}, std::tuple{std::string("events"), events, 2}}) {
      auto msgs = Messages(count, partitions, first);
      ASSERT_TRUE(cluster_->Produce(Topic(topic), msgs).ok());
      for (const auto& m : msgs) bytes_ += (m.key ? m.key->size() : 0) + (m.value ? m.value->size() : 0);
      messages_ += msgs.size();
    }
  }
  // Messages by topic, partition and position, and the group's committed offset.
  std::map<std::string, std::string> Read(const std::string& prefix) {
    std::map<std::string, std::string> out;
    for (const auto& [name, partitions] : {std::pair{std::string("orders"), 3}, std::pair{std::string("events"), 2}}) {
      auto all = cluster_->ReadAll(prefix + Topic(name));
      EXPECT_TRUE(all.ok()) << all.status().ToString();
      if (!all.ok()) continue;
      for (const auto& [p, msgs] : *all) {
        for (size_t i = 0; i < msgs.size(); ++i) {
          out[name + "/" + std::to_string(p) + "/" + std::to_string(i)] = Describe(msgs[i]);
        }
      }
      if (name == "orders") {
        auto committed = cluster_->Committed("billing", prefix + Topic(name), partitions);
        EXPECT_TRUE(committed.ok()) << committed.status().ToString();
        if (committed.ok() && committed->count(1)) out["billing/orders/1"] = std::to_string(committed->at(1));
      }
    }
    return out;
  }

  std::unique_ptr<KafkaCluster> cluster_;
  std::unique_ptr<ScriptedAdmin> admin_;
  uint64_t messages_ = 0;
  uint64_t bytes_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Sources, SourceConformance,
                         ::testing::Values(SourceCase{"kafka", [] { return std::make_unique<KafkaHarness>(); }}),
                         SourceCaseName);

}  // namespace source_conformance_test
}  // namespace dr::test
