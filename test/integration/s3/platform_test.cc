// `restore --component all --to-time T` on a platform of three real stores
// written at known times: PostgreSQL 15, the data lake on radosgw and Kafka
// (the mock cluster). Every store comes back as of one moment, each from the
// backup that reaches closest to it, and the result says per component how far
// before T its recovery point is.
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "base/time_util.h"
#include "test/integration/cli/cli_harness.h"
#include "test/integration/s3/lake_support.h"
#include "test/support/kafka_cluster.h"
#include "test/support/pg_server.h"

namespace dr::test {
namespace {

using nlohmann::json;
using std::chrono::system_clock;

class PlatformToTimeTest : public CliFixture {};

int64_t Millis(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TEST_F(PlatformToTimeTest, EveryStoreComesBackAsOfOneMoment) {
  TempDir pg_dir;
  auto pg = PgServer::Start(pg_dir.path() + "/pg", {});
  ASSERT_OK(pg);
  ASSERT_OK((*pg)->Psql("postgres", "create database shop"));
  ASSERT_OK((*pg)->Psql("shop", "create table events (tag text, n int)"));
  auto cluster = KafkaCluster::Start(1, {"orders:2"});
  ASSERT_OK(cluster);
  const std::string orders = (*cluster)->Topic("orders");
  std::string lake = Unique("platform-lake"), asof_bucket = Unique("platform-asof");
  MakeBucket(lake);
  MakeBucket(asof_bucket);
  net::s3::S3Client lake_client(Lake(lake)), asof_client(Lake(asof_bucket));

  WriteFile(config_, PgCliConfig(repo_, key_, (*pg)->port(), "shop", "postgres") + "s3:\n  endpoint: " +
                         g_rgw->endpoint() + "\n  region: us-east-1\n  force_path_style: true\n"
                         "  access_key_id: TESTKEY\n  secret_access_key: TESTSECRET\n  buckets: [\"" + lake +
                         "\"]\nkafka:\n  bootstrap_servers: \"" + (*cluster)->bootstrap() +
                         "\"\n  timeout_seconds: 5\n  topics: [\"" + orders + "\"]\n");
  InitRepo();

  // One phase of writes to every store, tagged; Kafka's messages carry `stamp` (0: now).
  auto write = [&](const std::string& tag, int rows, int64_t stamp) {
    ASSERT_OK((*pg)->Psql("shop", "insert into events select '" + tag + "', g from generate_series(1, " +
                                      std::to_string(rows) + ") g"));
    for (int i = 0; i < 3; ++i) {
      auto put = lake_client.Send("PUT", tag + "/part-" + std::to_string(i) + ".json", {}, {},
                                  "{\"tag\":\"" + tag + "\",\"part\":" + std::to_string(i) + "}");
      ASSERT_TRUE(put.ok() && put->status == 200) << tag << i;
    }
    std::vector<TestMessage> messages;
    for (int i = 0; i < rows; ++i) {
      messages.push_back({.partition = i % 2, .key = tag + "-" + std::to_string(i), .value = tag, .timestamp_ms = stamp});
    }
    ASSERT_OK((*cluster)->Produce(orders, messages));
  };
  auto backup = [&](const std::string& id) {
    auto b = Dr("--json backup create --id " + id);
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(json::parse(b.out)["status"], "completed") << b.out;
  };
  // start, end and end as printed
  struct Times {
    system_clock::time_point start, end;
    std::string end_text;
  };
  // A backup that cannot be shown fails the test, not the whole suite's binary.
  auto times = [&](const std::string& id) {
    auto r = Dr("--json backup show " + id);
    EXPECT_EQ(r.exit_code, 0) << id << ": " << r.err;
    auto shown = json::parse(r.out, nullptr, false);
    if (shown.is_discarded() || !shown.contains("start_time") || !shown.contains("end_time")) return Times{};
    std::string end = shown["end_time"];
    auto start_at = ParseUtc(shown["start_time"].get<std::string>()), end_at = ParseUtc(end);
    EXPECT_TRUE(start_at && end_at) << shown.dump();
    return Times{start_at.value_or(system_clock::time_point{}), end_at.value_or(system_clock::time_point{}), end};
  };

  write("a", 10, 0);
  backup("p1");
  write("b", 20, 0);
  backup("p2");
  // T: the moment p2 finished. What is written after carries later stamps.
  Times p2 = times("p2");
  system_clock::time_point target = p2.end;
  write("c", 30, Millis(target) + 60000);
  backup("p3");
  ASSERT_GT(times("p3").start, target) << "p3 started after T";
  // The mock cluster has no controller to create topics through: made here, as a real cluster would on demand.
  ASSERT_OK((*cluster)->CreateTopic("asof." + orders, 2));

  auto r = Dr("--json restore --component all --to-time \"" + p2.end_text + "\" --target-db shop_asof --target-bucket " +
              asof_bucket + " --topic-prefix asof.");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  json j = json::parse(r.out);
  EXPECT_EQ(j["status"], "completed");
  std::map<std::string, json> by_component;
  for (const auto& c : j["components"]) by_component[c["component"]] = c;
  ASSERT_EQ(by_component.size(), 3u) << j.dump(2);
  // PostgreSQL and the lake from the newest backup finished by T; Kafka from
  // the first one after it, cut at T.
  EXPECT_EQ(by_component["postgresql"]["backup_id"], "p2");
  EXPECT_EQ(by_component["postgresql"]["how"], "backup");
  EXPECT_EQ(by_component["s3"]["backup_id"], "p2");
  EXPECT_EQ(by_component["kafka"]["backup_id"], "p3");
  EXPECT_EQ(by_component["kafka"]["how"], "messages_to_time");
  EXPECT_EQ(by_component["kafka"]["seconds_before_target"], 0);
  double p2_before = std::chrono::duration<double>(target - p2.start).count();
  EXPECT_NEAR(by_component["postgresql"]["seconds_before_target"].get<double>(), p2_before, 0.002);
  EXPECT_NEAR(j["rpo_seconds"].get<double>(), p2_before, 0.002) << "the effective RPO is the furthest component";

  // PostgreSQL: the rows of a and b, none of c.
  auto counts = (*pg)->Psql("shop_asof", "select tag || '=' || count(*) from events group by tag order by tag");
  ASSERT_OK(counts);
  EXPECT_EQ(*counts, "a=10\nb=20\n");
  // The lake: a's and b's objects byte for byte, none of c's.
  for (const std::string tag : {"a", "b"}) {
    for (int i = 0; i < 3; ++i) {
      auto got = asof_client.Send("GET", tag + "/part-" + std::to_string(i) + ".json", {}, {}, {});
      ASSERT_TRUE(got.ok() && got->status == 200) << tag << i;
      EXPECT_EQ(got->body, "{\"tag\":\"" + tag + "\",\"part\":" + std::to_string(i) + "}");
    }
  }
  auto absent = asof_client.Send("GET", "c/part-0.json", {}, {}, {});
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  EXPECT_EQ(absent->status, 404);
  // Kafka: every message of a and b in order on each partition, none of c.
  auto topic = (*cluster)->ReadAll("asof." + orders);
  ASSERT_OK(topic);
  std::map<std::string, int> per_tag;
  for (const auto& [partition, messages] : *topic) {
    std::vector<std::string> keys;
    for (const auto& m : messages) {
      per_tag[m.value.value_or("")]++;
      keys.push_back(m.key.value_or(""));
    }
    std::vector<std::string> want;
    for (const std::string tag : {"a", "b"}) {
      for (int i = partition; i < (tag == "a" ? 10 : 20); i += 2) want.push_back(tag + "-" + std::to_string(i));
    }
    EXPECT_EQ(keys, want) << "partition " << partition;
  }
  EXPECT_EQ(per_tag, (std::map<std::string, int>{{"a", 10}, {"b", 20}}));
  // The live stores still hold everything.
  EXPECT_EQ(*(*pg)->Psql("shop", "select count(*) from events"), "60\n");
}

}  // namespace
}  // namespace dr::test
