#include <filesystem>

#include "config/config.h"
#include "coordinator/coordinator.h"
#include "coordinator/dns.h"
#include "coordinator/health_check.h"
#include "test/support/test_support.h"

namespace dr::coordinator {
namespace {

using test::StatusIs;
using ::testing::HasSubstr;

TEST(CoordinatorTest, ParsesLsnsAndEndpoints) {
  EXPECT_EQ(ParseLsn("0/3000060"), 0x3000060);
  EXPECT_EQ(ParseLsn("16/B374D848"), (int64_t{0x16} << 32) | 0xB374D848);
  EXPECT_EQ(ParseLsn(""), -1);
  EXPECT_EQ(ParseLsn("nonsense"), -1);
  auto e = ParseEndpoint("127.0.0.1:5353", 53);
  ASSERT_OK(e);
  EXPECT_EQ(e->port, 5353);
  EXPECT_EQ(ParseEndpoint("10.0.0.53", 53)->port, 53);
  EXPECT_THAT(ParseEndpoint("host:notaport", 53), StatusIs(Code::kConfig));
}

TEST(CoordinatorTest, ReadsBindKeyFiles) {
  test::TempDir dir;
  test::WriteFile(dir / "ddns.key",
                  "key \"ddns-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"u6p5c2lNb3JlQmFzZTY0U2VjcmV0PT0=\";\n};\n");
  auto k = LoadTsigKey(dir / "ddns.key");
  ASSERT_OK(k);
  EXPECT_EQ(k->name, "ddns-key");
  EXPECT_EQ(k->algorithm, "hmac-sha256");
  EXPECT_EQ(k->secret, "u6p5c2lNb3JlQmFzZTY0U2VjcmV0PT0=");
  test::WriteFile(dir / "bad.key", "not a key");
  EXPECT_THAT(LoadTsigKey(dir / "bad.key").status().message(), HasSubstr("bad.key: expected key"));
  EXPECT_THAT(LoadTsigKey(dir / "missing.key"), StatusIs(Code::kConfig));
}

TEST(CoordinatorTest, ServicesAreValidatedWithTheirLine) {
  auto ok = config::LoadConfigString(
      "dr_coordinator:\n  services:\n    - {name: db, type: postgresql, primary: \"host=a\", standby: \"host=b\"}\n"
      "    - {name: api, type: http, url: \"http://x/health\", expect_status: 204}\n",
      "c.yaml");
  ASSERT_OK(ok);
  EXPECT_EQ(ok->coordinator.services.size(), 2u);
  EXPECT_EQ(ok->coordinator.services[1].expect_status, 204);
  EXPECT_EQ(ok->coordinator.failure_threshold, 3);
  auto dup = config::LoadConfigString(
      "dr_coordinator:\n  services:\n    - {name: a, type: tcp, address: \"h:1\"}\n    - {name: a, type: tcp, address: \"h:2\"}\n",
      "c.yaml");
  EXPECT_THAT(dup.status().message(), HasSubstr("c.yaml:4: dr_coordinator.services[1]: the name 'a' is used twice"));
  auto missing = config::LoadConfigString("dr_coordinator:\n  services:\n    - {name: db, type: postgresql}\n", "c.yaml");
  EXPECT_THAT(missing.status().message(), HasSubstr("a postgresql service needs 'primary'"));
  auto type = config::LoadConfigString("dr_coordinator:\n  services:\n    - {name: x, type: ftp}\n", "c.yaml");
  EXPECT_THAT(type.status().message(), HasSubstr("expected one of postgresql|s3|kafka|http|tcp|dns|command"));
}

TEST(CoordinatorTest, CommandAndTcpChecksReportWhy) {
  config::CoordinatedService ok{.name = "c", .type = "command", .command = "exit 0"};
  EXPECT_EQ(RunCheck(ok, {}).status, Health::kHealthy);
  config::CoordinatedService bad{.name = "c", .type = "command", .command = "echo broken >&2; exit 3"};
  auto r = RunCheck(bad, {});
  EXPECT_EQ(r.status, Health::kFailed);
  EXPECT_THAT(r.error, HasSubstr("exited with 3: broken"));
  config::CoordinatedService slow{.name = "c", .type = "command", .command = "sleep 5", .timeout_seconds = 0.3};
  auto t = RunCheck(slow, {});
  EXPECT_THAT(t.error, HasSubstr("timed out"));
  EXPECT_LT(t.latency_ms, 3000);
  config::CoordinatedService tcp{.name = "t", .type = "tcp", .address = "127.0.0.1:1"};
  EXPECT_THAT(RunCheck(tcp, {}).error, HasSubstr("connect to 127.0.0.1:1: Connection refused"));
}

// Two processes' coordinators over one state directory (the monitor, and a
// runbook's switch from the command line): each writes only the key it
// changed, so neither reverts the other's switch.
TEST(CoordinatorTest, EachProcessKeepsTheStateKeysAnotherChanged) {
  test::TempDir dir;
  auto c = config::LoadConfigString("backup_manager:\n  backup_dir: \"" + dir / "repo" + "\"\nreplicas:\n"
                                    "  - {type: local, path: \"" + dir / "replica" + "\"}\ndr_coordinator:\n"
                                    "  state_dir: \"" + dir / "state" + "\"\n  failover:\n"
                                    "    storage: {primary_bucket: lake, replica_bucket: lake-dr}\n",
                                    "c.yaml");
  ASSERT_OK(c);
  DisasterRecoveryCoordinator monitor(*c), runbook(*c);
  ASSERT_OK(monitor.Events(1));  // the monitor reads the state at its start
  ASSERT_OK(runbook.FailoverPart("repository_switch", "replica"));
  ASSERT_OK(monitor.FailoverPart("storage_switch", "replica"));
  EXPECT_EQ(*ActiveRepository(*c), dir / "replica") << "the monitor's save kept the other's switch";
  EXPECT_EQ(*ActiveBucket(*c), "lake-dr");
  ASSERT_OK(runbook.FailoverPart("repository_switch", "primary"));
  EXPECT_EQ(*ActiveBucket(*c), "lake-dr") << "and the other way round";
  EXPECT_EQ(*ActiveRepository(*c), dir / "repo");
}

// A switch names a repository by its location; two replicas at one bucket and
// prefix on different endpoints cannot be told apart, and the switch says so.
TEST(CoordinatorTest, ASwitchRefusesALocationTwoReplicasShare) {
  auto c = config::LoadConfigString("backup_manager:\n  backup_dir: /r\nreplicas:\n"
                                    "  - {type: s3, bucket: b, endpoint: \"http://one:80\"}\n"
                                    "  - {type: s3, bucket: b, endpoint: \"http://two:80\"}\n",
                                    "c.yaml");
  ASSERT_OK(c);
  EXPECT_EQ(ResolveRepository(*c, "replica")->endpoint, "http://one:80") << "the first of replicas:";
  EXPECT_EQ(ResolveRepository(*c, "primary")->path, "/r");
  auto both = ResolveRepository(*c, "s3://b/");
  EXPECT_THAT(both, StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(both.status().message(), HasSubstr("two replicas are at s3://b/ (endpoints http://one:80 and "
                                                 "http://two:80): a switch names a repository by its location"));
  EXPECT_THAT(ResolveRepository(*c, "s3://c/"), StatusIs(Code::kInvalidArgument));
}

// Kafka's brokers in use: the configured ones until a switch names the backup
// region's; the switch hook is told; nothing without replica brokers configured.
TEST(CoordinatorTest, AKafkaSwitchRecordsTheBrokersInUseAndTellsItsHook) {
  test::TempDir dir;
  const std::string base = "backup_manager:\n  backup_dir: \"" + dir / "repo" + "\"\n"
                           "kafka: {bootstrap_servers: \"a1:9092,a2:9092\"}\ndr_coordinator:\n"
                           "  state_dir: \"" + dir / "state" + "\"\n  failover:\n";
  auto bare = config::LoadConfigString(base + "    hook_timeout_seconds: 5\n", "c.yaml");
  ASSERT_OK(bare);
  DisasterRecoveryCoordinator without(*bare);
  auto skipped = without.FailoverPart("kafka_switch", "replica");
  ASSERT_OK(skipped);
  EXPECT_THAT((*skipped)["skipped"].get<std::string>(), HasSubstr("dr_coordinator.failover.kafka"));
  EXPECT_EQ(*ActiveKafka(*bare), "a1:9092,a2:9092");
  EXPECT_THAT(ResolveKafka(*bare, "replica"), StatusIs(Code::kConfig));

  auto c = config::LoadConfigString(base + "    kafka: {replica_bootstrap_servers: \"b1:9092\", switch_hook: "
                                           "\"echo $ECAP_DR_ACTIVE_KAFKA >> " + dir / "hook" + "\"}\n",
                                    "c.yaml");
  ASSERT_OK(c);
  DisasterRecoveryCoordinator coordinator(*c);
  auto moved = coordinator.FailoverPart("kafka_switch", "replica");
  ASSERT_OK(moved);
  EXPECT_EQ((*moved)["active_bootstrap_servers"], "b1:9092");
  EXPECT_EQ((*moved)["previous"], "a1:9092,a2:9092");
  EXPECT_EQ(*ActiveKafka(*c), "b1:9092");
  EXPECT_THAT(coordinator.FailoverPart("kafka_switch", "c1:9092"), StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(*ActiveKafka(*c), "b1:9092") << "a refused switch changes nothing";
  ASSERT_OK(coordinator.FailoverPart("kafka_switch", "primary"));
  EXPECT_EQ(*ActiveKafka(*c), "a1:9092,a2:9092");
  EXPECT_EQ(test::ReadFileOrDie(dir / "hook"), "b1:9092\na1:9092,a2:9092\n");
}

// A switch this process made but could not save (the state cannot be
// written) still decides where its checks go: rereading the file each round
// must not bring back the bucket it switched away from.
TEST(CoordinatorTest, WhatCouldNotBeSavedStaysWhenTheStateIsReadAgain) {
  test::TempDir dir;
  auto c = config::LoadConfigString(
      "backup_manager:\n  backup_dir: \"" + dir / "repo" + "\"\n"
      "s3: {endpoint: \"http://127.0.0.1:1\", region: us-east-1, force_path_style: true}\n"
      "dr_coordinator:\n  state_dir: \"" + dir / "state" + "\"\n"
      "  services:\n    - {name: lake, type: s3, timeout_seconds: 1}\n"
      "  failover:\n    storage: {primary_bucket: lake, replica_bucket: lake-dr}\n",
      "c.yaml");
  ASSERT_OK(c);
  DisasterRecoveryCoordinator coordinator(*c);
  auto before = coordinator.CheckHealth();
  ASSERT_OK(before);
  EXPECT_THAT(before->services[0].error, HasSubstr("s3://lake/"));
  test::WriteFile(dir / "state/state.json", "{}\n");
  std::filesystem::create_directory(dir / "state/state.lock");  // no lock, so no save
  EXPECT_FALSE(coordinator.FailoverPart("storage_switch", "replica").ok());
  auto after = coordinator.CheckHealth();
  ASSERT_OK(after);
  EXPECT_THAT(after->services[0].error, HasSubstr("s3://lake-dr/")) << after->services[0].error;
}

// The lake's mirror may live on another endpoint (the backup region's): a
// service checking the mirror bucket goes there, any other bucket to the lake's.
TEST(CoordinatorTest, AnS3ServiceCheckingTheMirrorBucketGoesToTheMirrorsEndpoint) {
  CheckContext ctx;
  ctx.s3.endpoint = "http://127.0.0.1:1";
  ctx.s3.region = "us-east-1";
  ctx.s3.path_style = true;
  ctx.s3_mirror = ctx.s3;
  ctx.s3_mirror->endpoint = "http://127.0.0.1:2";
  ctx.s3_mirror->bucket = "lake-dr";
  config::CoordinatedService mirror{.name = "lake", .type = "s3", .bucket = "lake-dr", .timeout_seconds = 1};
  auto r = RunCheck(mirror, ctx);
  EXPECT_EQ(r.status, Health::kFailed);
  EXPECT_THAT(r.error, HasSubstr("at http://127.0.0.1:2"));
  config::CoordinatedService lake{.name = "lake", .type = "s3", .bucket = "lake", .timeout_seconds = 1};
  EXPECT_THAT(RunCheck(lake, ctx).error, HasSubstr("at http://127.0.0.1:1"));
}

// A lake or Kafka service that names no bucket or brokers of its own watches
// the ones in use, so after a region switch it checks the backup region's
// instead of reporting the lost primary failed forever; one that names them
// keeps checking those (a user watching the old primary come back).
TEST(CoordinatorTest, ALakeOrKafkaServiceWithoutItsOwnChecksTheOnesInUse) {
  test::TempDir dir;
  const std::string base = "backup_manager:\n  backup_dir: \"" + dir / "repo" + "\"\n"
                           "kafka: {bootstrap_servers: \"127.0.0.1:1\"}\ndr_coordinator:\n"
                           "  state_dir: \"" + dir / "state" + "\"\n";
  auto c = config::LoadConfigString(
      base + "  services:\n"
             "    - {name: events, type: kafka, timeout_seconds: 1}\n"
             "    - {name: old-events, type: kafka, bootstrap_servers: \"127.0.0.1:1\"}\n"
             "    - {name: lake, type: s3}\n"
             "    - {name: old-lake, type: s3, bucket: lake}\n"
             "  failover:\n"
             "    storage: {primary_bucket: lake, replica_bucket: lake-dr}\n"
             "    kafka: {replica_bootstrap_servers: \"127.0.0.1:2\"}\n",
      "c.yaml");
  ASSERT_OK(c);
  auto served = [&](size_t i) {
    auto s = ServiceAsServedNow(*c, c->coordinator.services[i]);
    EXPECT_OK(s);
    return s.ok() ? s->type == "kafka" ? s->bootstrap_servers : s->bucket : "";
  };
  EXPECT_EQ(served(0), "127.0.0.1:1");
  EXPECT_EQ(served(2), "lake");
  // A running monitor's view (its own coordinator) before and after a switch
  // by another process: its next round checks the brokers in use (none
  // answers here: the error names them).
  config::Config only_events = *c;
  only_events.coordinator.services.resize(1);
  DisasterRecoveryCoordinator monitor(only_events);
  auto before = monitor.CheckHealth();
  ASSERT_OK(before);
  ASSERT_EQ(before->services.size(), 1u);
  EXPECT_THAT(before->services[0].error, HasSubstr("127.0.0.1:1"));

  DisasterRecoveryCoordinator coordinator(*c);
  ASSERT_OK(coordinator.FailoverPart("kafka_switch", "replica"));
  ASSERT_OK(coordinator.FailoverPart("storage_switch", "replica"));
  EXPECT_EQ(served(0), "127.0.0.1:2");
  EXPECT_EQ(served(1), "127.0.0.1:1");
  EXPECT_EQ(served(2), "lake-dr");
  EXPECT_EQ(served(3), "lake");

  auto report = monitor.CheckHealth();
  ASSERT_OK(report);
  ASSERT_EQ(report->services.size(), 1u);
  EXPECT_EQ(report->services[0].last_check, Health::kFailed);
  EXPECT_THAT(report->services[0].error, HasSubstr("127.0.0.1:2"));
  EXPECT_THAT(report->services[0].error, ::testing::Not(HasSubstr("127.0.0.1:1")));

  // Without brokers or a primary bucket to fall back on, the service must name its own.
  auto bare = config::LoadConfigString(
      "backup_manager:\n  backup_dir: /r\ndr_coordinator:\n  services:\n    - {name: events, type: kafka}\n"
      "    - {name: lake, type: s3}\n",
      "bare.yaml");
  EXPECT_THAT(bare, StatusIs(Code::kConfig));
  EXPECT_THAT(bare.status().message(), HasSubstr("('events'): a kafka service needs 'bootstrap_servers'"));
  EXPECT_THAT(bare.status().message(), HasSubstr("('lake'): a s3 service needs 'bucket'"));
}

}  // namespace
}  // namespace dr::coordinator
