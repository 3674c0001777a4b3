// The kafka component against a Kafka-protocol cluster: librdkafka's mock
// cluster in its own process (or the real cluster in ECAP_TEST_KAFKA_BROKERS).
// The mock has no CreateTopics, DescribeConfigs or ListGroups; the tests that
// need those answers use ScriptedAdmin (and say so), and others check that the
// real librdkafka admin path fails against the mock with a clear error.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "backup/backup_manager.h"
#include "config/config.h"
#include "coordinator/health_check.h"
#include "base/time_util.h"
#include "drill/scratch_restore.h"
#include "test/integration/cli/cli_harness.h"
#include "test/support/kafka_cluster.h"
#include "test/support/pg_server.h"

namespace dr::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using Messages = std::map<int32_t, std::vector<TestMessage>>;

constexpr int64_t kT0 = 1795651200000;  // 2026-11-26T00:00:00Z

// Deterministic messages with binary values, keys (some null), headers (some
// with null values), tombstones and explicit timestamps, spread over partitions.
std::vector<TestMessage> MakeMessages(int count, int partitions, uint64_t seed, int64_t first_index = 0) {
  std::mt19937_64 rng(seed);
  std::vector<TestMessage> out;
  out.reserve(count);
  for (int i = 0; i < count; ++i) {
    int64_t n = first_index + i;
    TestMessage m{.partition = static_cast<int32_t>(n % partitions)};
    if (n % 50 != 7) m.key = "key-" + std::to_string(n);
    if (n % 97 != 3) {
      std::string v(16 + rng() % 240, '\0');
      for (auto& c : v) c = static_cast<char>(rng());
      m.value = std::move(v);
    }
    m.headers.emplace_back("trace", std::to_string(rng()));
    if (n % 31 == 0) m.headers.emplace_back("empty", std::nullopt);
    m.timestamp_ms = kT0 + n * 10;
    out.push_back(std::move(m));
  }
  return out;
}

Messages ByPartition(const std::vector<TestMessage>& all) {
  Messages out;
  for (const auto& m : all) out[m.partition].push_back(m);
  return out;
}

void ExpectSameMessages(const Messages& want, const Messages& got, const std::string& topic) {
  for (const auto& [p, msgs] : want) {
    auto it = got.find(p);
    ASSERT_NE(it, got.end()) << topic << " partition " << p;
    ASSERT_EQ(it->second.size(), msgs.size()) << topic << " partition " << p;
    for (size_t i = 0; i < msgs.size(); ++i) {
      ASSERT_TRUE(msgs[i] == it->second[i]) << topic << " partition " << p << " message " << i;
      ASSERT_EQ(msgs[i].timestamp_ms, it->second[i].timestamp_ms) << topic << " partition " << p << " message " << i;
    }
  }
}

// The offset a group has committed on one partition, or -1.
int64_t CommittedAt(KafkaCluster& cluster, const std::string& group, const std::string& topic, int partitions, int p) {
  auto offsets = cluster.Committed(group, topic, partitions);
  EXPECT_OK(offsets);
  if (!offsets.ok() || !offsets->count(p)) return -1;
  return offsets->at(p);
}

class KafkaTest : public ::testing::Test {
 protected:
  void StartCluster(const std::vector<std::string>& topics) {
    auto c = KafkaCluster::Start(3, topics);
    ASSERT_OK(c);
    cluster_ = std::move(*c);
  }
  std::string Yaml(const std::string& kafka_extra = "") const {
    return "backup_manager:\n  backup_dir: \"" + dir_ / "repo" + "\"\nencryption:\n  auto_generate_key: true\n"
           "  key_file: \"" + dir_ / "backup.key" + "\"\nkafka:\n  bootstrap_servers: \"" + cluster_->bootstrap() +
           "\"\n  timeout_seconds: 2\n" + kafka_extra;
  }
  std::unique_ptr<backup::BackupManager> Manager(net::kafka::Admin* admin, const std::string& kafka_extra = "") {
    auto config = config::LoadConfigString(Yaml(kafka_extra), "test.yaml");
    EXPECT_OK(config);
    return std::make_unique<backup::BackupManager>(*config, backup::ManagerOptions{.kafka_admin = admin});
  }
  backup::BackupResult Backup(backup::BackupManager& m, const std::string& id) {
    // The first backup creates the repository (these tests use no `repo init`).
    return m.CreateFullBackup(id, {.components = {"kafka"}, .init_repository = true});
  }
  backup::RestoreResult Restore(backup::BackupManager& m, const std::string& id, source::kafka::KafkaRestoreArgs k) {
    return m.RestoreBackup(id, {.components = {"kafka"}, .kafka = k});
  }
  json KafkaMeta(backup::BackupManager& m, const std::string& id) {
    auto snap = m.GetBackup(id);
    EXPECT_OK(snap);
    for (const auto& c : snap->components) {
      if (c.name == "kafka") return c.meta;
    }
    return json();
  }
  int Segments(backup::BackupManager& m, const std::string& id, const std::string& topic) {
    int n = 0;
    auto snap = m.GetBackup(id);
    if (!snap.ok()) return -1;
    for (const auto& c : snap->components) {
      for (const auto& item : c.items) n += item.kind == "kafka_messages" && item.meta.value("topic", "") == topic;
    }
    return n;
  }

  TempDir dir_;
  std::unique_ptr<KafkaCluster> cluster_;
};

// The round trip: 3 topics x 6 partitions, 100,000 messages, an
// incremental backup after 10,000 more, a restore under new names compared
// message by message, and the group offsets translated.
TEST_F(KafkaTest, RoundTripIncrementalRestoreRenamed) {
  StartCluster({"orders:6", "clickstream:6", "payments:6"});
  const std::vector<std::string> topics = {"orders", "clickstream", "payments"};
  std::map<std::string, std::vector<TestMessage>> produced;
  for (size_t t = 0; t < topics.size(); ++t) {
    int count = t == 0 ? 33334 : 33333;
    produced[topics[t]] = MakeMessages(count, 6, 100 + t);
    ASSERT_OK(cluster_->Produce(cluster_->Topic(topics[t]), produced[topics[t]]));
  }
  // Consumers that have read part of the data.
  for (int p = 0; p < 6; ++p) ASSERT_OK(cluster_->Commit("billing", cluster_->Topic("orders"), p, 1000 + 37 * p));
  ASSERT_OK(cluster_->Commit("etl", cluster_->Topic("clickstream"), 2, 250));

  // DescribeConfigs and ListGroups are scripted: the mock cannot answer them.
  ScriptedAdmin admin(*cluster_);
  admin.configs[cluster_->Topic("orders")] = {{"cleanup.policy", "delete"}, {"retention.ms", "604800000"}};
  admin.groups = std::vector<std::string>{"billing", "etl", "idle"};
  auto m = Manager(&admin);
  auto b1 = Backup(*m, "k1");
  ASSERT_EQ(b1.status, "completed") << b1.error.ToString();
  EXPECT_EQ(KafkaMeta(*m, "k1")["messages_read"], 100000);
  EXPECT_EQ(KafkaMeta(*m, "k1")["groups"], 2) << "a group with nothing committed is not kept";

  // 10,000 more, and consumers move on.
  for (size_t t = 0; t < topics.size(); ++t) {
    auto more = MakeMessages(t == 0 ? 3334 : 3333, 6, 200 + t, static_cast<int64_t>(produced[topics[t]].size()));
    ASSERT_OK(cluster_->Produce(cluster_->Topic(topics[t]), more));
    produced[topics[t]].insert(produced[topics[t]].end(), more.begin(), more.end());
  }
  ASSERT_OK(cluster_->Commit("billing", cluster_->Topic("orders"), 0, 6000));
  auto b2 = Backup(*m, "k2");
  ASSERT_EQ(b2.status, "completed") << b2.error.ToString();
  EXPECT_EQ(KafkaMeta(*m, "k2")["messages_read"], 10000) << "the second backup reads only the new messages";
  EXPECT_EQ(Segments(*m, "k2", cluster_->Topic("orders")), 2);
  EXPECT_LT(b2.stats.new_bytes, b1.stats.new_bytes / 5);

  auto r = Restore(*m, "k2", {.topic_prefix = "restored."});
  ASSERT_EQ(r.status, "completed") << r.error.ToString();
  EXPECT_EQ(r.items_restored, 110000u);
  ASSERT_EQ(admin.created.size(), 3u);
  for (const auto& c : admin.created) {
    EXPECT_EQ(c.partitions, 6) << c.topic;
    if (c.topic == "restored." + cluster_->Topic("orders")) {
      EXPECT_EQ(c.configs, admin.configs[cluster_->Topic("orders")]) << "topic configs are restored";
    }
  }
  for (const auto& t : topics) {
    auto got = cluster_->ReadAll("restored." + cluster_->Topic(t));
    ASSERT_OK(got);
    ExpectSameMessages(ByPartition(produced[t]), *got, t);
  }
  auto billing = cluster_->Committed("billing", "restored." + cluster_->Topic("orders"), 6);
  ASSERT_OK(billing);
  EXPECT_EQ((*billing)[0], 6000);
  for (int p = 1; p < 6; ++p) EXPECT_EQ((*billing)[p], 1000 + 37 * p) << "partition " << p;
  auto etl = cluster_->Committed("etl", "restored." + cluster_->Topic("clickstream"), 6);
  ASSERT_OK(etl);
  EXPECT_EQ((*etl)[2], 250);

  // The first backup still restores its own state: one topic, its 100k-era messages, its offsets.
  auto r1 = Restore(*m, "k1", {.topics = {cluster_->Topic("orders")}, .topic_prefix = "k1."});
  ASSERT_EQ(r1.status, "completed") << r1.error.ToString();
  EXPECT_EQ(r1.topics, std::vector<std::string>{"k1." + cluster_->Topic("orders")});
  auto got = cluster_->ReadAll("k1." + cluster_->Topic("orders"));
  ASSERT_OK(got);
  ExpectSameMessages(ByPartition(std::vector<TestMessage>(produced["orders"].begin(),
                                                          produced["orders"].begin() + 33334)),
                     *got, "orders");
  EXPECT_EQ(CommittedAt(*cluster_, "billing", "k1." + cluster_->Topic("orders"), 6, 0), 1000);

  EXPECT_OK(m->CheckRepository(true));
  EXPECT_EQ(m->VerifyBackupIntegrity("k2", true).verification.ok(), true);
}

// librdkafka's own admin path against the mock: what the mock cannot answer
// fails with a clear error or a warning, and what it can is used for real.
TEST_F(KafkaTest, RealAdminPathsAgainstTheMock) {
  StartCluster({"orders:6", "copy.orders:6", "narrow.orders:3"});
  auto msgs = MakeMessages(600, 6, 7);
  ASSERT_OK(cluster_->Produce(cluster_->Topic("orders"), msgs));
  ASSERT_OK(cluster_->Commit("billing", cluster_->Topic("orders"), 1, 40));
  auto m = Manager(nullptr, "  topics: [\"" + cluster_->Topic("orders") + "\"]\n  consumer_groups: [billing, \"x*\"]\n");
  auto b = Backup(*m, "k1");
  ASSERT_EQ(b.status, "completed") << b.error.ToString();
  std::string warnings;
  for (const auto& w : b.warnings) warnings += w + "\n";
  EXPECT_THAT(warnings, HasSubstr("topic configs were not backed up"));
  EXPECT_THAT(warnings, HasSubstr("cannot list its consumer groups"));
  EXPECT_EQ(KafkaMeta(*m, "k1")["groups"], 1) << "the named group is read even though groups cannot be listed";

  // CreateTopics times out on the mock: the error says what to do.
  auto create = Restore(*m, "k1", {.topics = {cluster_->Topic("orders")}, .topic_prefix = "new."});
  ASSERT_EQ(create.status, "failed");
  EXPECT_THAT(create.error.message(), HasSubstr("creating topic 'new." + cluster_->Topic("orders") + "'"));
  EXPECT_THAT(create.error.message(), HasSubstr("with 6 partitions"));
  EXPECT_THAT(create.error.message(), HasSubstr(cluster_->bootstrap()));
  // DeleteTopics too (the mock has none): the error names the topic and the cluster.
  auto admin_client = net::kafka::Client::Connect({.bootstrap_servers = cluster_->bootstrap(), .timeout_ms = 2000});
  ASSERT_OK(admin_client);
  if (cluster_->is_mock()) {
    Status deleted = (*admin_client)->admin().DeleteTopics({"narrow." + cluster_->Topic("orders")});
    EXPECT_FALSE(deleted.ok());
    EXPECT_THAT(deleted.message(), HasSubstr("deleting topic 'narrow." + cluster_->Topic("orders") + "'"));
    EXPECT_THAT(deleted.message(), HasSubstr(cluster_->bootstrap()));
  }
  EXPECT_OK((*admin_client)->admin().DeleteTopics({})) << "nothing to delete asks nothing";

  // An existing empty topic with the right partition count is used as it is.
  auto into = Restore(*m, "k1", {.topic_prefix = "copy."});
  ASSERT_EQ(into.status, "completed") << into.error.ToString();
  auto got = cluster_->ReadAll("copy." + cluster_->Topic("orders"));
  ASSERT_OK(got);
  ExpectSameMessages(ByPartition(msgs), *got, "copy.orders");
  EXPECT_EQ(CommittedAt(*cluster_, "billing", "copy." + cluster_->Topic("orders"), 6, 1), 40);

  // Now it holds data: refused, unless asked; appended, the offsets follow the messages.
  auto again = Restore(*m, "k1", {.topic_prefix = "copy."});
  EXPECT_EQ(again.error.code(), Code::kAlreadyExists);
  EXPECT_THAT(again.error.message(), HasSubstr("already holds 600 messages"));
  EXPECT_THAT(again.error.message(), HasSubstr("--allow-existing-data"));
  auto append = Restore(*m, "k1", {.topic_prefix = "copy.", .allow_existing_data = true});
  ASSERT_EQ(append.status, "completed") << append.error.ToString();
  EXPECT_EQ(CommittedAt(*cluster_, "billing", "copy." + cluster_->Topic("orders"), 6, 1), 100 + 40)
      << "partition 1 held 100 messages before: the committed offset moves with the restored messages";

  auto narrow = Restore(*m, "k1", {.topic_prefix = "narrow."});
  EXPECT_EQ(narrow.status, "failed");
  EXPECT_THAT(narrow.error.message(), HasSubstr("has 3 partitions, the backup of"));
}

TEST_F(KafkaTest, UnreachableClusterIsAClearError) {
  StartCluster({});
  int port = FreePort();
  auto config = config::LoadConfigString(
      "backup_manager:\n  backup_dir: \"" + dir_ / "repo" + "\"\nencryption:\n  auto_generate_key: true\n"
      "  key_file: \"" + dir_ / "backup.key" + "\"\nkafka:\n  bootstrap_servers: \"127.0.0.1:" + std::to_string(port) +
      "\"\n  timeout_seconds: 2\n", "t.yaml");
  ASSERT_OK(config);
  backup::BackupManager m(*config);
  auto b = m.CreateFullBackup("k1", {.components = {"kafka"}, .init_repository = true});
  EXPECT_EQ(b.status, "failed");
  EXPECT_EQ(b.error.code(), Code::kUnavailable);
  EXPECT_THAT(b.error.message(), HasSubstr("127.0.0.1:" + std::to_string(port)));
  auto list = m.ListBackups();
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty()) << "a failed backup is not visible";
}

// --to-time keeps, per partition, the messages up to the cut-off; committed
// offsets past it land at the end of the restored partition.
TEST_F(KafkaTest, PointInTimeRestore) {
  StartCluster({"events:2"});
  auto msgs = MakeMessages(200, 2, 9);  // timestamps kT0 + 10 ms * n
  ASSERT_OK(cluster_->Produce(cluster_->Topic("events"), msgs));
  ASSERT_OK(cluster_->Commit("late", cluster_->Topic("events"), 0, 90));
  ASSERT_OK(cluster_->Commit("early", cluster_->Topic("events"), 1, 10));
  ScriptedAdmin admin(*cluster_);
  admin.groups = std::vector<std::string>{"late", "early"};
  auto m = Manager(&admin);
  ASSERT_EQ(Backup(*m, "k1").status, "completed");
  // n <= 99 are kept: 50 per partition.
  auto r = Restore(*m, "k1", {.topic_prefix = "pit.", .to_time = "2026-11-26T00:00:00.990Z"});
  ASSERT_EQ(r.status, "completed") << r.error.ToString();
  EXPECT_EQ(r.items_restored, 100u);
  EXPECT_EQ(r.messages_skipped, 100u);
  auto got = cluster_->ReadAll("pit." + cluster_->Topic("events"));
  ASSERT_OK(got);
  ASSERT_EQ((*got)[0].size(), 50u);
  ASSERT_EQ((*got)[1].size(), 50u);
  EXPECT_EQ((*got)[0].back().timestamp_ms, kT0 + 98 * 10);
  EXPECT_EQ(CommittedAt(*cluster_, "late", "pit." + cluster_->Topic("events"), 2, 0), 50);
  EXPECT_EQ(CommittedAt(*cluster_, "early", "pit." + cluster_->Topic("events"), 2, 1), 10);
  auto bad = Restore(*m, "k1", {.topic_prefix = "x.", .to_time = "yesterday"});
  EXPECT_EQ(bad.error.code(), Code::kInvalidArgument);
}

// Backups of a topic that producers keep writing to: each stops every
// partition at the high watermark it saw when it started, the next goes on
// from exactly there, and the restore holds every message once, in order.
TEST_F(KafkaTest, BusyTopicBackupsAreConsistentPerPartition) {
  StartCluster({"live:4"});
  std::atomic<bool> stop{false};
  std::atomic<int> batches{0};
  Status producer_status = Status::Ok();  // read after join
  std::atomic<bool> producer_done{false};
  std::thread producer([&] {
    for (int64_t n = 0; !stop; n += 200) {
      producer_status = cluster_->Produce(cluster_->Topic("live"), MakeMessages(200, 4, n, n));
      if (!producer_status.ok()) break;
      batches++;
    }
    producer_done = true;
  });
  while (batches < 5 && !producer_done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ScriptedAdmin admin(*cluster_);
  admin.groups = std::vector<std::string>{};
  auto m = Manager(&admin);
  for (const char* id : {"b1", "b2", "b3"}) {
    auto b = Backup(*m, id);
    ASSERT_EQ(b.status, "completed") << b.error.ToString();
    // More messages before the next backup, however loaded the machine is.
    for (int seen = batches; batches < seen + 2 && !producer_done;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  stop = true;
  producer.join();
  ASSERT_OK(producer_status);
  auto last = Backup(*m, "b4");  // after the producers stopped: holds everything
  ASSERT_EQ(last.status, "completed") << last.error.ToString();

  // Segments follow each other without gap or overlap.
  auto snap = m->GetBackup("b4");
  ASSERT_OK(snap);
  std::map<std::string, int64_t> end;  // partition -> end of the previous segment
  int segments = 0;
  for (const auto& item : snap->components[0].items) {
    if (item.kind != "kafka_messages") continue;
    segments++;
    for (auto& [p, range] : item.meta["ranges"].items()) {
      if (end.count(p)) {
        EXPECT_EQ(range[0].get<int64_t>(), end[p]) << item.name << " partition " << p;
      }
      end[p] = range[1].get<int64_t>();
    }
  }
  EXPECT_GE(segments, 3);

  auto r = Restore(*m, "b4", {.topic_prefix = "copy."});
  ASSERT_EQ(r.status, "completed") << r.error.ToString();
  auto want = cluster_->ReadAll(cluster_->Topic("live"));
  ASSERT_OK(want);
  auto got = cluster_->ReadAll("copy." + cluster_->Topic("live"));
  ASSERT_OK(got);
  ExpectSameMessages(*want, *got, "live");
  uint64_t total = 0;
  for (const auto& [p, msgs] : *want) total += msgs.size();
  EXPECT_EQ(r.items_restored, total);
}

// Messages the broker dropped (retention) before the next backup are a
// warning, and the backup goes on from what the broker still holds.
TEST_F(KafkaTest, MessagesExpiredBetweenBackupsAreReported) {
  StartCluster({"short:1"});
  auto big = [](int count, int64_t first) {
    std::vector<TestMessage> v;
    for (int i = 0; i < count; ++i) {
      v.push_back({.partition = 0, .key = "k" + std::to_string(first + i), .value = std::string(10000, 'a' + i % 26)});
    }
    return v;
  };
  ASSERT_OK(cluster_->Produce(cluster_->Topic("short"), big(300, 0)));
  ScriptedAdmin admin(*cluster_);
  admin.groups = std::vector<std::string>{};
  auto m = Manager(&admin);
  ASSERT_EQ(Backup(*m, "b1").status, "completed");
  // The mock keeps ~5 MB per partition: 1,000 more messages of 10 KB push out everything b1 saw.
  ASSERT_OK(cluster_->Produce(cluster_->Topic("short"), big(1000, 300)));
  auto marks = cluster_->client().Watermarks(cluster_->Topic("short"), 0);
  ASSERT_OK(marks);
  ASSERT_GT(marks->first, 300) << "the mock's retention did not drop the messages this test needs dropped";
  auto b2 = Backup(*m, "b2");
  ASSERT_EQ(b2.status, "completed") << b2.error.ToString();
  std::string warnings;
  for (const auto& w : b2.warnings) warnings += w + "\n";
  EXPECT_THAT(warnings, HasSubstr("messages 300 to " + std::to_string(marks->first - 1) + " expired on the broker"));
  auto r = Restore(*m, "b2", {.topic_prefix = "copy."});
  ASSERT_EQ(r.status, "completed") << r.error.ToString();
  EXPECT_EQ(r.items_restored, 300 + 1300 - static_cast<uint64_t>(marks->first))
      << "b1's messages are carried over, then what the broker still held";
}

// A broker that is down while the restore produces: the idempotent producer
// retries until it is back, and nothing is duplicated or reordered.
TEST_F(KafkaTest, RestoreRidesOutABrokerOutageWithoutDuplicates) {
  StartCluster({"orders:6"});
  auto msgs = MakeMessages(30000, 6, 21);
  ASSERT_OK(cluster_->Produce(cluster_->Topic("orders"), msgs));
  ScriptedAdmin admin(*cluster_);
  admin.groups = std::vector<std::string>{};
  auto m = Manager(&admin);
  ASSERT_EQ(Backup(*m, "k1").status, "completed");
  ASSERT_OK(cluster_->SetBrokerUp(1, false));
  std::thread back_up([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_OK(cluster_->SetBrokerUp(1, true));
  });
  auto r = Restore(*m, "k1", {.topic_prefix = "copy."});
  back_up.join();
  ASSERT_EQ(r.status, "completed") << r.error.ToString();
  auto got = cluster_->ReadAll("copy." + cluster_->Topic("orders"));
  ASSERT_OK(got);
  ExpectSameMessages(ByPartition(msgs), *got, "orders");
}

// The restore under fire: a blob of the largest segment damaged on disk at its
// first, middle and last blob, then every broker down. Each is a clean error
// naming the backup, the segment and the blob (or the brokers), never a crash,
// and it says how far the target topic got, since produced messages cannot be
// taken back.
TEST_F(KafkaTest, RestoreFaultsAreCleanErrorsThatSayHowFarTheyGot) {
  StartCluster({"orders:2"});
  ASSERT_OK(cluster_->Produce(cluster_->Topic("orders"), MakeMessages(60000, 2, 31)));
  ScriptedAdmin admin(*cluster_);
  admin.groups = std::vector<std::string>{};
  auto m = Manager(&admin);
  ASSERT_EQ(Backup(*m, "k1").status, "completed");
  auto snap = m->GetBackup("k1");
  ASSERT_OK(snap);
  const repo::SnapshotItem* largest = nullptr;
  for (const auto& c : snap->components) {
    for (const auto& item : c.items) {
      if (item.kind == "kafka_messages" && (largest == nullptr || item.blobs.size() > largest->blobs.size())) largest = &item;
    }
  }
  ASSERT_NE(largest, nullptr);
  ASSERT_GE(largest->blobs.size(), 3u);
  auto repo = m->Repository();
  ASSERT_OK(repo);
  int round = 0;
  for (size_t i : {size_t{0}, largest->blobs.size() / 2, largest->blobs.size() - 1}) {
    auto loc = (*repo)->index().Find(largest->blobs[i]);
    ASSERT_TRUE(loc.has_value());
    std::string pack = dir_ / "repo/data/" + loc->pack_id.substr(0, 2) + "/" + loc->pack_id;
    std::string saved = ReadFileOrDie(pack);
    std::string damaged = saved;
    damaged[loc->offset + loc->length / 2] ^= 0x10;
    WriteFile(pack, damaged);
    auto fresh = Manager(&admin);  // reads the pack from disk again
    std::string prefix = "r" + std::to_string(round++) + ".";
    auto r = Restore(*fresh, "k1", {.topic_prefix = prefix});
    WriteFile(pack, saved);
    ASSERT_EQ(r.status, "failed") << "blob " << i;
    EXPECT_EQ(r.error.code(), Code::kCorrupt) << r.error.ToString();
    EXPECT_THAT(r.error.message(), HasSubstr("backup 'k1'"));
    EXPECT_THAT(r.error.message(), HasSubstr("item '" + largest->name + "'"));
    EXPECT_THAT(r.error.message(), HasSubstr("blob '" + largest->blobs[i].ShortHex() + "'"));
    EXPECT_THAT(r.error.message(), HasSubstr("topic '" + prefix + cluster_->Topic("orders") + "' is incomplete"));
  }
  // Every broker down: the target refuses.
  for (int b = 1; b <= 3; ++b) ASSERT_OK(cluster_->SetBrokerUp(b, false));
  auto down = Restore(*Manager(&admin), "k1", {.topic_prefix = "down."});
  for (int b = 1; b <= 3; ++b) ASSERT_OK(cluster_->SetBrokerUp(b, true));
  ASSERT_EQ(down.status, "failed");
  EXPECT_EQ(down.error.exit_code(), 5) << down.error.ToString();
  EXPECT_THAT(down.error.message(), HasSubstr("backup 'k1'"));
}

// The coordinator's kafka check: metadata from the brokers, or a clear failure.
TEST_F(KafkaTest, CoordinatorHealthCheckSeesTheBrokers) {
  StartCluster({"orders:1"});
  config::CoordinatedService events{.name = "events", .type = "kafka", .bootstrap_servers = cluster_->bootstrap()};
  auto ok = coordinator::RunCheck(events, {});
  EXPECT_EQ(ok.status, coordinator::Health::kHealthy) << ok.error;
  if (cluster_->is_mock()) {
    EXPECT_EQ(ok.details["brokers"], 3);
  }
  config::CoordinatedService down{.name = "events", .type = "kafka",
                                  .bootstrap_servers = "127.0.0.1:" + std::to_string(FreePort()), .timeout_seconds = 1};
  auto bad = coordinator::RunCheck(down, {});
  EXPECT_EQ(bad.status, coordinator::Health::kFailed);
  EXPECT_THAT(bad.error, HasSubstr(down.bootstrap_servers));
}

// The restore test (drill/scratch_restore.h) restores every topic into
// scratch topics, counts their messages against the manifest, leaves the live
// topics and consumer groups alone and deletes the scratch topics after. The
// mock cannot create or delete topics for a client: ScriptedAdmin creates them
// through the mock's own interface and records the deletions.
TEST_F(KafkaTest, TheRestoreTestRestoresEveryTopicIntoScratchTopicsAndLeavesTheLiveOnesAlone) {
  StartCluster({"orders:3", "clickstream:2"});
  auto orders = MakeMessages(3000, 3, 1), clicks = MakeMessages(1200, 2, 2);
  ASSERT_OK(cluster_->Produce(cluster_->Topic("orders"), orders));
  ASSERT_OK(cluster_->Produce(cluster_->Topic("clickstream"), clicks));
  ASSERT_OK(cluster_->Commit("billing", cluster_->Topic("orders"), 1, 400));
  // Scratch topics of earlier drills: one killed two days ago (stale), one
  // of a drill that began an hour ago (maybe running on another host).
  const std::string dead = "ecap-dr-drill." + CompactUtc(RealClock().Now() - std::chrono::hours(48)) + "_dead.orders";
  const std::string recent = "ecap-dr-drill." + CompactUtc(RealClock().Now() - std::chrono::hours(1)) + "_live.orders";
  std::string dead_lower = dead, recent_lower = recent;
  for (auto* name : {&dead_lower, &recent_lower}) {
    for (char& ch : *name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  ASSERT_OK(cluster_->CreateTopic(dead_lower, 1));
  ASSERT_OK(cluster_->CreateTopic(recent_lower, 1));
  ScriptedAdmin admin(*cluster_);
  admin.groups = std::vector<std::string>{"billing"};
  auto m = Manager(&admin);
  ASSERT_EQ(Backup(*m, "k1").status, "completed");
  // Kafka backups never hold a drill's scratch topics.
  auto k1 = m->GetBackup("k1");
  ASSERT_OK(k1);
  for (const auto& item : k1->components[0].items) {
    EXPECT_EQ(item.meta.value("topic", "").rfind("ecap-dr-drill.", 0), std::string::npos) << item.name;
  }
  // An incremental backup: the drill counts the messages of both segments.
  auto more = MakeMessages(300, 3, 3, 3000);
  ASSERT_OK(cluster_->Produce(cluster_->Topic("orders"), more));
  orders.insert(orders.end(), more.begin(), more.end());
  ASSERT_EQ(Backup(*m, "k2").status, "completed");

  auto config = config::LoadConfigString(Yaml(), "test.yaml");
  ASSERT_OK(config);
  TempDir scratch;
  auto r = drill::RunRestoreTest(*m, *config, RealClock(),
                                 {.drill_id = "drill-kafka-test", .scratch_root = scratch.path(),
                                  .kafka_admin = &admin});
  ASSERT_EQ(r.status, "passed") << r.error.ToString();
  EXPECT_EQ(r.backup_id, "k2");
  // The stale pass removed the dead drill's topic, not the recent one.
  EXPECT_EQ(r.stale_removed, std::vector<std::string>{"topic " + dead_lower});
  EXPECT_NE(std::find(admin.deleted.begin(), admin.deleted.end(), dead_lower), admin.deleted.end());
  EXPECT_EQ(std::find(admin.deleted.begin(), admin.deleted.end(), recent_lower), admin.deleted.end());
  admin.deleted.erase(std::remove(admin.deleted.begin(), admin.deleted.end(), dead_lower), admin.deleted.end());
  // Kafka's recovery point now: the age of its newest backup (k2, just taken).
  ASSERT_TRUE(r.backup_age_by_component.count("kafka"));
  EXPECT_GE(r.backup_age_by_component.at("kafka"), 0);
  EXPECT_LT(r.backup_age_by_component.at("kafka"), 600);
  EXPECT_EQ(r.ToJson()["recovery_point"]["backup_age_by_component"]["kafka"], r.backup_age_by_component.at("kafka"));
  ASSERT_EQ(r.components.size(), 1u);
  const auto& c = r.components[0];
  EXPECT_EQ(c.component, "kafka");
  EXPECT_EQ(c.status, "passed") << c.error;
  EXPECT_GT(c.restore_seconds, 0);
  const std::string prefix = "ecap-dr-drill.kafka_test.";
  EXPECT_EQ(c.scratch, "topics " + prefix + "*");
  const json& v = c.verification["topics"];
  EXPECT_EQ(v[cluster_->Topic("orders")]["messages"], 3300);
  EXPECT_EQ(v[cluster_->Topic("orders")]["manifest_messages"], 3300);
  EXPECT_EQ(v[cluster_->Topic("orders")]["scratch_topic"], prefix + cluster_->Topic("orders"));
  EXPECT_EQ(v[cluster_->Topic("clickstream")]["messages"], 1200);
  // The scratch topics hold the backed-up messages, in order, partition by partition.
  auto restored = cluster_->ReadAll(prefix + cluster_->Topic("orders"));
  ASSERT_OK(restored);
  ExpectSameMessages(ByPartition(orders), *restored, "orders");
  // Deleted after (recorded: the mock keeps them), and no live group touched.
  const std::set<std::string> scratch_topics{"ecap-dr-drill.kafka_test", prefix + cluster_->Topic("clickstream"),
                                             prefix + cluster_->Topic("orders")};
  EXPECT_EQ(std::set<std::string>(admin.deleted.begin(), admin.deleted.end()), scratch_topics)
      << "the scratch topics and the probe of whether this client may create and delete topics";
  EXPECT_EQ(admin.deleted.front(), "ecap-dr-drill.kafka_test") << "the probe is deleted before anything is restored";
  EXPECT_EQ(admin.created.back().replication_factor, 3) << "the scratch topics as the backed-up ones";
  auto probe = std::find_if(admin.created.begin(), admin.created.end(),
                            [](const auto& t) { return t.topic == "ecap-dr-drill.kafka_test"; });
  ASSERT_NE(probe, admin.created.end());
  EXPECT_EQ(probe->replication_factor, -1) << "the probe takes the cluster's default replication";
  EXPECT_EQ(r.removed, std::vector<std::string>{c.scratch});
  EXPECT_FALSE(admin.alter_group_offsets_called) << "the live consumer groups' offsets are the consumers'";
  EXPECT_EQ(CommittedAt(*cluster_, "billing", cluster_->Topic("orders"), 3, 1), 400);
  auto live = cluster_->ReadAll(cluster_->Topic("orders"));
  ASSERT_OK(live);
  ExpectSameMessages(ByPartition(orders), *live, "orders");

  // A scratch target already holding messages (a drill id used twice): the
  // component fails with the topic named, the drill says so, and the
  // cleanup still runs.
  admin.deleted.clear();
  auto again = drill::RunRestoreTest(*m, *config, RealClock(),
                                     {.drill_id = "drill-kafka-test", .scratch_root = scratch.path(),
                                      .kafka_admin = &admin});
  EXPECT_EQ(again.status, "failed");
  ASSERT_EQ(again.components.size(), 1u);
  EXPECT_EQ(again.components[0].status, "failed");
  EXPECT_THAT(again.components[0].error, HasSubstr("already holds"));
  EXPECT_THAT(again.error.ToString(), HasSubstr("kafka"));
  admin.deleted.erase(std::remove(admin.deleted.begin(), admin.deleted.end(), dead_lower), admin.deleted.end());
  EXPECT_EQ(std::set<std::string>(admin.deleted.begin(), admin.deleted.end()), scratch_topics)
      << "the scratch topics are removed after a failure too";
}

// A cluster that does not let this client create topics (librdkafka's own
// admin against the mock, which has no CreateTopics): Kafka is reported not
// tested, with why and what to allow, and nothing is restored or left.
TEST_F(KafkaTest, TheRestoreTestSaysKafkaWasNotTestedWhereTheClientCannotCreateTopics) {
  StartCluster({"orders:2"});
  ASSERT_OK(cluster_->Produce(cluster_->Topic("orders"), MakeMessages(100, 2, 5)));
  ScriptedAdmin admin(*cluster_);
  admin.groups = std::vector<std::string>{};
  auto m = Manager(&admin);
  ASSERT_EQ(Backup(*m, "k1").status, "completed");
  auto config = config::LoadConfigString(Yaml(), "test.yaml");
  ASSERT_OK(config);
  TempDir scratch;
  auto r = drill::RunRestoreTest(*m, *config, RealClock(), {.drill_id = "drill-no-create", .scratch_root = scratch.path()});
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].status, "not_tested");
  EXPECT_THAT(r.components[0].error, HasSubstr("cannot create topics"));
  EXPECT_THAT(r.components[0].error, HasSubstr("ecap-dr-drill.*"));
  EXPECT_TRUE(admin.created.empty()) << "nothing was restored";
  auto topics = cluster_->client().ListTopics();
  ASSERT_OK(topics);
  for (const auto& t : *topics) EXPECT_EQ(t.name.rfind("ecap-dr-drill", 0), std::string::npos) << t.name;
  EXPECT_TRUE(r.cleanup_errors.empty()) << r.cleanup_errors.front();
}

// A backup killed at any moment leaves no half-visible backup, and the next one
// picks up correctly (the real binary, SIGKILL).
class KafkaCliTest : public CliFixture {};

TEST_F(KafkaCliTest, BackupKilledMidwayLeavesNoTraceAndTheNextOneIsWhole) {
  auto c = KafkaCluster::Start(3, {"bulk:16"});
  ASSERT_OK(c);
  auto& cluster = **c;
  std::vector<TestMessage> msgs;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 40000; ++i) {
    TestMessage t{.partition = i % 16, .key = "k" + std::to_string(i), .value = std::string(1000, 'a' + i % 26)};
    (*t.value)[rng() % 1000] = static_cast<char>(rng());
    msgs.push_back(std::move(t));
  }
  ASSERT_OK(cluster.Produce(cluster.Topic("bulk"), msgs));
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  auto_generate_key: true\n"
                     "  key_file: \"" + key_ + "\"\nkafka:\n  bootstrap_servers: \"" + cluster.bootstrap() +
                     "\"\n  timeout_seconds: 2\n");
  ASSERT_EQ(Dr("repo init").exit_code, 0);
  for (int delay_ms : {150, 400, 900}) {
    pid_t pid = Spawn("-c " + config_ + " backup create --component kafka --id killed");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    auto list = json::parse(Dr("--json backup list").out);
    for (const auto& b : list["backups"]) {
      // Killed before its snapshot: absent. Finished before the kill: whole (checked below).
      if (b["backup_id"] == "killed") {
        EXPECT_EQ(Dr("verify killed --full").exit_code, 0);
        ASSERT_EQ(Dr("backup delete killed").exit_code, 0);
      }
    }
    auto check = Dr("repo check");
    EXPECT_EQ(check.exit_code, 0) << check.err;
  }
  auto b = Dr("--json backup create --component kafka --id whole");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  // The mock cannot create topics for a client: the target is made empty beforehand.
  ASSERT_OK(cluster.CreateTopic("again." + cluster.Topic("bulk"), 16));
  auto r = Dr("--json restore whole --component kafka --topic-prefix again.");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["items_restored"], 40000);
  auto want = cluster.ReadAll(cluster.Topic("bulk"));  // with the broker's timestamps
  ASSERT_OK(want);
  ASSERT_EQ(want->at(3).size(), 2500u);
  auto got = cluster.ReadAll("again." + cluster.Topic("bulk"));
  ASSERT_OK(got);
  ExpectSameMessages(*want, *got, "bulk");
}

TEST_F(KafkaCliTest, UnreachableBrokersExitCodeAndMessage) {
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  auto_generate_key: true\n"
                     "  key_file: \"" + key_ + "\"\nkafka:\n  bootstrap_servers: \"127.0.0.1:1\"\n  timeout_seconds: 1\n");
  InitRepo();
  auto b = Dr("backup create --component kafka");
  EXPECT_EQ(b.exit_code, 5);
  EXPECT_THAT(b.err, HasSubstr("cannot reach the Kafka brokers at 127.0.0.1:1"));
  auto help = Dr("restore --help");
  EXPECT_THAT(help.out, HasSubstr("--topic-prefix"));
  EXPECT_THAT(help.out, HasSubstr("--to-time"));
  EXPECT_THAT(help.out, HasSubstr("--bootstrap-servers"));
  EXPECT_THAT(help.out, HasSubstr("--no-group-offsets"));
}

}  // namespace
}  // namespace dr::test
