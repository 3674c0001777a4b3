// The DR coordinator against real servers on loopback: a PostgreSQL 15 primary
// (127.0.0.10) with a streaming standby (127.0.0.20) on the same port, and
// BIND 9 holding db.platform.test with TSIG-signed dynamic updates. The real
// ecap-dr binary runs health, failover, monitor, events and report.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "base/time_util.h"
#include "coordinator/dns.h"
#include "net/postgres/pg_client.h"
#include "net/s3/s3_client.h"
#include "test/integration/cli/cli_harness.h"
#include "test/support/dns_server.h"
#include "test/support/etcd_server.h"
#include "test/support/kafka_cluster.h"
#include "test/support/pg_server.h"
#include "test/support/rgw_server.h"

namespace dr::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class FailoverTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    ::chmod(dir_.path().c_str(), 0755);
    int port = FreePort();
    auto primary = PgServer::Start(dir_ / "primary", {.address = "127.0.0.10", .port = port});
    ASSERT_OK(primary);
    primary_ = std::move(*primary);
    ASSERT_OK(primary_->Psql("postgres", "create table orders (id serial primary key, note text)"));
    auto standby = PgServer::StartStandby(dir_ / "standby", *primary_, {.address = "127.0.0.20", .port = port});
    ASSERT_OK(standby);
    standby_ = std::move(*standby);
    auto dns = DnsServer::Start(dir_ / "bind", {{"db", "127.0.0.10"}});
    ASSERT_OK(dns);
    dns_ = std::move(*dns);
    WriteCoordinatorConfig();
  }
  void WriteCoordinatorConfig(const std::string& extra = "", double rpo_minutes = 5, double interval = 0.5) {
    WriteFile(config_,
              "dr_coordinator:\n"
              "  check_interval_seconds: " + std::to_string(interval) + "\n"
              "  failure_threshold: 3\n"
              "  auto_failover: true\n"
              "  rpo_target_minutes: " + std::to_string(rpo_minutes) + "\n"
              "  state_dir: \"" + dir_ / "state" + "\"\n"
              "  services:\n"
              "    - {name: orders-db, type: postgresql, primary: \"" + primary_->Conninfo() + "\", standby: \"" +
                  standby_->Conninfo() + "\", timeout_seconds: 1}\n"
              "    - {name: db-name, type: dns, record: db.platform.test}\n"
              "    - {name: ok-command, type: command, command: \"true\"}\n" + extra +
              "  failover:\n"
              "    fence_command: \"echo fenced >> " + dir_ / "fenced" + "; kill -9 $(head -1 " +
                  dir_ / "primary/data/postmaster.pid" + ") 2>/dev/null; sleep 0.2; true\"\n"
              "    dns: {server: \"" + dns_->endpoint() + "\", zone: platform.test, record: db.platform.test, ttl: 5,"
                  " tsig_key_file: \"" + dns_->key_file() + "\"}\n"
              "    storage: {primary_bucket: lake, replica_bucket: lake-dr, switch_hook: \"echo $ECAP_DR_ACTIVE_BUCKET > " +
                  dir_ / "bucket" + "\"}\n"
              "    compute_hooks: [\"echo $ECAP_DR_NEW_PRIMARY > " + dir_ / "compute" + "\"]\n"
              "s3:\n  mirror: {source: lake, target: lake-dr, state_file: \"" + dir_ / "mirror.state" + "\"}\n");
  }
  std::string DbAddress() {
    auto ep = coordinator::ParseEndpoint(dns_->endpoint(), 53);
    auto a = coordinator::ResolveA(*ep, "db.platform.test", 1);
    return a.ok() ? a->front() : "error: " + a.status().message();
  }
  static std::string Sql(const PgServer& s, const std::string& sql) {
    auto r = s.Psql("postgres", sql);
    return r.ok() ? *r : "error: " + r.status().message();
  }
  bool InRecovery(const PgServer& s) { return Sql(s, "select pg_is_in_recovery()") == "t\n"; }
  // What a client does after a failover: resolve the name, connect, write.
  Status WriteThroughDns(const std::string& note) {
    std::string conninfo = "host=" + DbAddress() + " port=" + std::to_string(standby_->port()) +
                           " user=postgres dbname=postgres connect_timeout=2";
    DR_ASSIGN_OR_RETURN(auto conn, net::pg::Connection::OpenConninfo(conninfo, 2));
    return conn->Exec("insert into orders (note) values ('" + note + "')");
  }

  std::unique_ptr<PgServer> primary_, standby_;
  std::unique_ptr<DnsServer> dns_;
};

TEST_F(FailoverTest, HealthReportsEveryServiceWithReplicationLag) {
  httplib::Server web;
  web.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("status: ok", "text/plain"); });
  web.Get("/sick", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content("status: overloaded", "text/plain");
  });
  int web_port = web.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { web.listen_after_bind(); });
  std::string base = "http://127.0.0.1:" + std::to_string(web_port);
  WriteCoordinatorConfig("    - {name: closed-port, type: tcp, address: \"127.0.0.1:1\"}\n"
                         "    - {name: api, type: http, url: \"" + base + "/health\", expect_body: \"ok\"}\n"
                         "    - {name: sick-api, type: http, url: \"" + base + "/sick\"}\n"
                         "    - {name: dns-moved, type: dns, record: db.platform.test, expect_address: 127.0.0.20}\n");
  ASSERT_OK(primary_->Psql("postgres", "insert into orders (note) select 'x' from generate_series(1, 100)"));
  auto r = Dr("--json health");
  EXPECT_EQ(r.exit_code, 1) << "one service is down";
  auto j = json::parse(r.out);
  EXPECT_EQ(j["overall_status"], "failed");
  auto db = j["services"]["orders-db"];
  EXPECT_EQ(db["status"], "healthy") << db.dump();
  EXPECT_EQ(db["details"]["standby"]["in_recovery"], true);
  EXPECT_GE(db["details"]["standby"]["lag_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(j["services"]["db-name"]["details"]["addresses"][0], "127.0.0.10");
  EXPECT_EQ(j["services"]["ok-command"]["status"], "healthy");
  EXPECT_EQ(j["services"]["closed-port"]["status"], "failed");
  EXPECT_THAT(j["services"]["closed-port"]["error"].get<std::string>(), HasSubstr("127.0.0.1:1"));
  EXPECT_EQ(j["services"]["api"]["status"], "healthy") << j["services"]["api"].dump();
  EXPECT_EQ(j["services"]["sick-api"]["status"], "failed");
  EXPECT_THAT(j["services"]["sick-api"]["error"].get<std::string>(), HasSubstr("answered 503, expected 200"));
  EXPECT_THAT(j["services"]["dns-moved"]["error"].get<std::string>(), HasSubstr("resolves to 127.0.0.10, expected 127.0.0.20"));
  web.stop();
  serving.join();
}

TEST_F(FailoverTest, DryRunChangesNothing) {
  auto r = Dr("--json failover --reason \"drill\" --dry-run");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["status"], "dry_run");
  EXPECT_EQ(j["steps"][0]["name"], "preconditions");
  EXPECT_EQ(j["steps"][0]["status"], "ok");
  std::string plan = j["steps"].dump();
  EXPECT_THAT(plan, HasSubstr("db.platform.test: 127.0.0.10 -> 127.0.0.20 (compare-and-swap)"));
  EXPECT_EQ(DbAddress(), "127.0.0.10");
  EXPECT_TRUE(InRecovery(*standby_));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "fenced"));
  EXPECT_OK(primary_->Psql("postgres", "insert into orders (note) values ('still primary')"));
}

TEST_F(FailoverTest, ManualFailoverMovesDatabaseDnsStorageAndCompute) {
  ASSERT_OK(primary_->Psql("postgres", "insert into orders (note) values ('before')"));
  // The standby carries a synchronous setting (as a copy of a synchronous primary's configuration
  // would): once promoted with no standby of its own, every commit would wait forever.
  {
    std::ofstream conf(dir_ / "standby/data/postgresql.conf", std::ios::app);
    conf << "synchronous_standby_names = '*'\n";
  }
  ASSERT_OK(standby_->Psql("postgres", "select pg_reload_conf()"));
  // The data-lake mirror's last pass ended 20 s ago, 5 s behind: the storage RPO is ~25 s.
  WriteFile(dir_ / "mirror.state.pass",
            json{{"finished_at", FormatUtc(std::chrono::system_clock::now() - std::chrono::seconds(20), true)},
                 {"lag_seconds", 5.0}}.dump());
  auto no = Dr("failover --reason \"Planned maintenance\" < /dev/null");
  EXPECT_EQ(no.exit_code, 2) << "without --yes and no terminal to ask: refused";
  EXPECT_THAT(no.err, HasSubstr("--yes"));
  auto r = Dr("--json failover --reason \"Planned maintenance\" --yes");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["success"], true);
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["new_primary"], "127.0.0.20");
  EXPECT_EQ(j["rpo_seconds"], 0) << "the primary was alive and the standby caught up";
  EXPECT_GE(j["storage_rpo_seconds"].get<double>(), 25);
  EXPECT_LT(j["storage_rpo_seconds"].get<double>(), 60);
  EXPECT_GT(j["rto_seconds"].get<double>(), 0);
  EXPECT_LT(j["rto_seconds"].get<double>(), 60);
  std::vector<std::string> names;
  for (const auto& s : j["steps"]) names.push_back(s["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"preconditions", "fence", "promote", "sync_replication", "wait_writable",
                                             "dns", "storage", "compute", "verify", "notify"}));
  EXPECT_EQ(DbAddress(), "127.0.0.20");
  EXPECT_FALSE(InRecovery(*standby_));
  EXPECT_EQ(Sql(*standby_, "show synchronous_standby_names"), "\n");
  EXPECT_THAT(j["steps"][3]["details"].get<std::string>(), HasSubstr("synchronous_standby_names was '*': cleared"));
  EXPECT_EQ(ReadFileOrDie(dir_ / "fenced"), "fenced\n");
  EXPECT_EQ(ReadFileOrDie(dir_ / "bucket"), "lake-dr\n");
  EXPECT_EQ(ReadFileOrDie(dir_ / "compute"), "127.0.0.20\n");
  ASSERT_OK(WriteThroughDns("after"));
  EXPECT_EQ(Sql(*standby_, "select string_agg(note, ',' order by id) from orders"),
            "before,after\n");

  auto events = json::parse(Dr("--json events --limit 50").out)["events"];
  std::string types;
  for (const auto& e : events) types += e["event_type"].get<std::string>() + " ";
  EXPECT_THAT(types, HasSubstr("failover_completed"));
  EXPECT_THAT(types, HasSubstr("failover_started"));
  EXPECT_EQ(events[0]["data"]["reason"], "Planned maintenance");
  auto report = json::parse(Dr("--json report rto-rpo").out);
  EXPECT_EQ(report["completed"], 1);
  EXPECT_EQ(report["within_targets"], 1);
  // A second failover has no standby left.
  auto again = Dr("failover --reason again --yes");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("no standby left"));
  EXPECT_THAT(again.err, HasSubstr("ecap-dr standby attach")) << "says what to do";
}

// After a failover the old primary is rebuilt from the promoted standby and
// attached as the standby (`ecap-dr standby attach`); the failback, a second
// failover, moves the name back to it and it takes writes. What is not a
// standby of the primary is refused, naming why.
TEST_F(FailoverTest, ARebuiltServerIsAttachedAsTheStandbyAndTheFailbackGoesToIt) {
  ASSERT_OK(primary_->Psql("postgres", "insert into orders (note) values ('before')"));
  auto first = Dr("--json failover --reason \"primary lost\" --yes");
  ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
  ASSERT_EQ(DbAddress(), "127.0.0.20");
  auto self = Dr("standby attach \"" + standby_->Conninfo() + "\"");
  EXPECT_EQ(self.exit_code, 2) << self.err;
  EXPECT_THAT(self.err, HasSubstr("is the primary of service 'orders-db', not a standby"));
  auto dead = Dr("standby attach \"" + primary_->Conninfo() + " connect_timeout=2\"");
  EXPECT_EQ(dead.exit_code, 5) << "the fenced old primary does not answer: " << dead.err;
  EXPECT_THAT(dead.err, HasSubstr("the standby to attach"));

  // A server of another cluster, not in recovery, is refused.
  const int port = standby_->port();
  auto stranger = PgServer::Start(dir_ / "stranger", {.address = "127.0.0.40", .port = port});
  ASSERT_OK(stranger);
  auto refused = Dr("standby attach \"" + (*stranger)->Conninfo() + "\"");
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("127.0.0.40:" + std::to_string(port) + " is not in recovery, not a standby"));
  stranger->reset();
  auto secret = Dr("standby attach \"host=127.0.0.30 port=" + std::to_string(port) + " password=hunter2\"");
  EXPECT_EQ(secret.exit_code, 2);
  EXPECT_THAT(secret.err, HasSubstr("keep the password out"));
  EXPECT_THAT(secret.err, Not(HasSubstr("hunter2")));

  // The old primary's server rebuilt from the new primary (pg_basebackup -R), on an address of its own.
  primary_.reset();
  auto rebuilt = PgServer::StartStandby(dir_ / "rebuilt", *standby_, {.address = "127.0.0.30", .port = port});
  ASSERT_OK(rebuilt);
  ASSERT_TRUE(Eventually([&] { return Sql(**rebuilt, "select status from pg_stat_wal_receiver") == "streaming\n"; },
                         std::chrono::seconds(30)));
  auto attached = Dr("--json standby attach \"" + (*rebuilt)->Conninfo() + "\"");
  ASSERT_EQ(attached.exit_code, 0) << attached.err;
  json a = json::parse(attached.out);
  EXPECT_EQ(a["service"], "orders-db");
  EXPECT_EQ(a["standby"], "127.0.0.30:" + std::to_string(port));
  EXPECT_EQ(a["replaced_a_standby"], false) << "the failover left none";
  EXPECT_EQ(a["primary"], "127.0.0.20:" + std::to_string(port));
  EXPECT_EQ(a["timeline"], 2) << "the promotion began timeline 2";
  EXPECT_GE(a["lag_bytes"].get<int64_t>(), 0);
  auto human = Dr("standby attach \"" + (*rebuilt)->Conninfo() + "\"");
  EXPECT_THAT(human.out, HasSubstr("standby of orders-db: 127.0.0.30:" + std::to_string(port) + ", streaming"));
  EXPECT_THAT(human.err, HasSubstr("does not use $ECAP_DR_OLD_PRIMARY")) << "this fixture's fence names one server";
  auto events = json::parse(Dr("--json events --type failover_part").out)["events"];
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0]["data"]["part"], "attach_standby");

  // The failback: the fence now stops the server the first failover promoted.
  std::string config = ReadFileOrDie(config_);
  config.replace(config.find("primary/data/postmaster.pid"), 27, "standby/data/postmaster.pid");
  WriteFile(config_, config);
  ASSERT_OK(standby_->Psql("postgres", "insert into orders (note) values ('on the standby')"));
  auto back = Dr("--json failover --reason failback --yes");
  ASSERT_EQ(back.exit_code, 0) << back.err << back.out;
  EXPECT_EQ(json::parse(back.out)["new_primary"], "127.0.0.30");
  EXPECT_EQ(DbAddress(), "127.0.0.30");
  EXPECT_FALSE(InRecovery(**rebuilt));
  ASSERT_OK(WriteThroughDns("after the failback"));
  EXPECT_EQ(Sql(**rebuilt, "select string_agg(note, ',' order by id) from orders"),
            "before,on the standby,after the failback\n");
}

// Every shipped runbook's dry run against the platform: each validates, runs
// its read-only checks against the real services, and changes nothing.
TEST_F(FailoverTest, EveryShippedRunbooksDryRunChecksThePlatformAndChangesNothing) {
  // The whole platform: the lake on radosgw and the brokers beside the database and DNS.
  auto rgw = RgwServer::Start(dir_ / "rgw");
  ASSERT_OK(rgw);
  auto kafka = KafkaCluster::Start(1, {"orders:1"});
  ASSERT_OK(kafka);
  net::s3::S3Client lake({.endpoint = (*rgw)->endpoint(), .region = "us-east-1", .bucket = "lake",
                          .path_style = true, .credentials = {RgwServer::kAccessKey, RgwServer::kSecretKey, ""}});
  auto made = lake.Send("PUT", "", {}, {}, {});
  ASSERT_TRUE(made.ok() && made->status == 200) << (made.ok() ? made->body : made.status().ToString());
  WriteCoordinatorConfig("    - {name: lake, type: s3, bucket: lake}\n"
                         "    - {name: events, type: kafka, bootstrap_servers: \"" + (*kafka)->bootstrap() + "\"}\n");
  std::string config = ReadFileOrDie(config_);
  config.replace(config.find("s3:\n"), 4, "s3:\n  endpoint: \"" + (*rgw)->endpoint() +
                                              "\"\n  region: us-east-1\n  force_path_style: true\n  access_key_id: " +
                                              RgwServer::kAccessKey + "\n  secret_access_key: " + RgwServer::kSecretKey +
                                              "\n");
  // The database the data-corruption runbook inspects is the configured one.
  WriteFile(config_, config + "audit:\n  log_file: \"" + dir_ / "state/audit.log" + "\"\n" +
                         "postgresql: {host: \"" + primary_->host() + "\", port: " + std::to_string(primary_->port()) +
                         ", database: postgres, username: postgres}\n");
  auto health = Dr("--json health");
  ASSERT_EQ(health.exit_code, 0) << health.err << health.out;
  const json services = json::parse(health.out)["services"];  // a copy: never iterate into a temporary
  for (const auto& s : services) {
    EXPECT_EQ(s["status"], "healthy") << s.dump();
  }
  auto list = Dr("--json runbook list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  int checked = 0;
  const json runbooks = json::parse(list.out)["runbooks"];
  for (const auto& rb : runbooks) {
    std::string name = rb["name"];
    SCOPED_TRACE(name);
    std::string params = name == "data_corruption"
                             ? " --param corruption_time=2026-11-26T10:41:00Z --param tables=orders"
                               " --param scratch_dir=/nonexistent/scratch"
                         : name == "database_failure" ? " --param service=orders-db"
                         : name == "security_breach"
                             ? " --param compromised_user=mallory --param breach_time=2026-11-26T10:41:00Z"
                             : "";
    auto r = Dr("--json runbook run " + name + " --dry-run" + params);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    auto j = json::parse(r.out);
    EXPECT_EQ(j["execution_log"]["overall_status"], "dry_run");
    EXPECT_EQ(j["execution_log"]["steps"].size(), rb["steps"].get<size_t>());
    for (const auto& s : j["execution_log"]["steps"]) {
      if (s["state"] == "ok") ++checked;  // a read-only check that ran against the services
      EXPECT_TRUE(s["state"] == "ok" || s["state"] == "planned") << s.dump();
    }
  }
  EXPECT_GE(checked, 5) << "the health checks at the head of five runbooks ran";
  EXPECT_EQ(lake.Send("GET", ".ecap-dr-health-probe", {}, {}, {})->status, 404) << "the probes cleaned up";
  EXPECT_EQ(DbAddress(), "127.0.0.10");
  EXPECT_TRUE(InRecovery(*standby_));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "fenced"));
  EXPECT_OK(primary_->Psql("postgres", "insert into orders (note) values ('still primary')"));
}

// The failover's parts as runbook steps on the real platform (fence, promote,
// DNS compare-and-swap, storage, compute), and a verification that fails
// after them: DNS and storage are moved back, the promotion is named as what
// cannot be undone.
TEST_F(FailoverTest, AFailingVerificationAfterTheSwitchesMovesDnsAndStorageBack) {
  std::filesystem::create_directories(dir_ / "runbooks");
  WriteFile(config_, ReadFileOrDie(config_) + "audit:\n  log_file: \"" + dir_ / "state/audit.log" + "\"\n" +
                         "runbooks:\n  directory: \"" + dir_ / "runbooks" + "\"\n");
  WriteFile(dir_ / "runbooks/switch.yaml",
            "title: Switch by parts\nsteps:\n"
            "  - {id: fence, title: Fence, action: fence}\n"
            "  - {id: promote, title: Promote, action: promote}\n"
            "  - {id: dns, title: DNS, action: dns_switch}\n"
            "  - {id: storage, title: Storage, action: storage_switch}\n"
            "  - id: compute\n    title: Compute\n    action: compute_hooks\n"
            "    verify: {shell: \"test -f " + dir_ / "never" + "\"}\n");
  auto r = Dr("--json runbook run switch --auto-execute --skip-confirmations </dev/null");
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  json log = json::parse(r.out)["execution_log"];
  EXPECT_EQ(log["overall_status"], "failed");
  EXPECT_EQ(log["stopped_at"], "compute");
  EXPECT_EQ(log["steps"][0]["output"]["old_primary"], "127.0.0.10");
  EXPECT_EQ(log["steps"][1]["output"]["new_primary"], "127.0.0.20");
  EXPECT_EQ(log["steps"][2]["output"]["from"], "127.0.0.10");
  EXPECT_EQ(log["steps"][2]["output"]["to"], "127.0.0.20");
  EXPECT_EQ(log["steps"][3]["output"]["active_bucket"], "lake-dr");
  EXPECT_TRUE(std::filesystem::exists(dir_ / "fenced"));
  EXPECT_FALSE(InRecovery(*standby_)) << "promoted";
  EXPECT_EQ(ReadFileOrDie(dir_ / "compute"), "127.0.0.20\n") << "the hook ran before its verification failed";
  // Rolled back, newest first: storage, then DNS; the fence and the promotion cannot be.
  std::string rollback = log["rollback"].dump();
  EXPECT_THAT(rollback, HasSubstr("storage"));
  EXPECT_THAT(rollback, HasSubstr("dns"));
  EXPECT_EQ(DbAddress(), "127.0.0.10") << "the DNS name is back where it was";
  EXPECT_EQ(ReadFileOrDie(dir_ / "bucket"), "lake\n") << "the primary bucket is active again";
  EXPECT_THAT(r.out, HasSubstr("a promoted standby cannot become a standby again"));
  auto events = json::parse(Dr("--json events --limit 100").out)["events"];
  int parts = 0;
  for (const auto& e : events) parts += e["event_type"] == "failover_part";
  EXPECT_EQ(parts, 7) << "five parts, then the two switches back";
}

// The guide's database-failure runbook, executed for real with --auto-execute:
// the primary is dead, the runbook's failover step promotes the standby and
// moves the name, its checks find the database answering through it.
TEST_F(FailoverTest, TheDatabaseFailureRunbookRecoversFromADeadPrimary) {
  ASSERT_OK(primary_->Psql("postgres", "insert into orders (note) values ('before')"));
  ASSERT_TRUE(Eventually([&] { return Sql(*standby_, "select count(*) from orders") == "1\n"; }, std::chrono::seconds(30)));
  WriteFile(config_, ReadFileOrDie(config_) + "audit:\n  log_file: \"" + dir_ / "state/audit.log" + "\"\n");
  ASSERT_OK(primary_->Kill());
  auto r = Dr("--json runbook run database_failure --auto-execute --skip-confirmations --param service=orders-db "
              "--param reason=\"primary lost\" </dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto j = json::parse(r.out);
  const json& log = j["execution_log"];
  EXPECT_EQ(log["overall_status"], "completed");
  EXPECT_EQ(StepStates(log), (std::vector<std::string>{"assess_failure:ok", "stop_services:ok", "activate_replica:ok",
                                             "update_dns:ok", "restart_services:ok", "verify_integrity:ok",
                                             "setup_new_replica:ok", "update_monitoring:ok", "document_recovery:ok"}));
  EXPECT_NE(log["steps"][0]["output"]["status"], "healthy") << "the assessment saw the dead primary";
  EXPECT_EQ(log["steps"][2]["output"]["new_primary"], "127.0.0.20");
  EXPECT_EQ(log["steps"][8]["output"]["completed"], 1) << "the report counts the failover";
  EXPECT_EQ(DbAddress(), "127.0.0.20");
  EXPECT_FALSE(InRecovery(*standby_));
  ASSERT_OK(WriteThroughDns("after"));
  EXPECT_EQ(Sql(*standby_, "select string_agg(note, ',' order by id) from orders"), "before,after\n");
  // One history: the runbook's events around the failover's own.
  auto events = json::parse(Dr("--json events --limit 100").out)["events"];
  std::string types;
  for (const auto& e : events) types += e["event_type"].get<std::string>() + " ";
  EXPECT_THAT(types, HasSubstr("runbook_completed"));
  EXPECT_THAT(types, HasSubstr("failover_completed"));
  EXPECT_THAT(types, HasSubstr("runbook_started"));
}

// The disruptive database drill on a drill platform: the primary is killed
// under a load of single-row commits through the name, the database_failure
// runbook fails over, and the drill counts every acknowledged commit on the
// new primary. The standby is synchronous, so none may be lost.
TEST_F(FailoverTest, TheDatabaseDrillKillsThePrimaryUnderLoadAndCountsEveryCommit) {
  ASSERT_OK(primary_->Psql("postgres", "alter system set synchronous_standby_names = '*'"));
  ASSERT_OK(primary_->Psql("postgres", "select pg_reload_conf()"));
  ASSERT_TRUE(Eventually([&] { return Sql(*primary_, "select sync_state from pg_stat_replication") == "sync\n"; },
                         std::chrono::seconds(30)));
  std::string base = ReadFileOrDie(config_);
  std::string drill = "drill:\n  timeout_seconds: 120\n  faults:\n    database: \"kill -9 $(head -1 " +
                      dir_ / "primary/data/postmaster.pid" + ")\"\n";
  // Refused without --disruptive, and outside a drill environment: nothing is touched.
  WriteFile(config_, base + drill);
  auto unflagged = Dr("drill --scenario database");
  EXPECT_EQ(unflagged.exit_code, 2) << unflagged.err;
  EXPECT_THAT(unflagged.err, HasSubstr("give --disruptive"));
  auto production = Dr("drill --scenario database --disruptive");
  EXPECT_EQ(production.exit_code, 2) << production.err;
  EXPECT_THAT(production.err, HasSubstr("not marked as a drill environment (drill.environment: true"));
  EXPECT_EQ(Sql(*primary_, "select pg_is_in_recovery()"), "f\n") << "the primary still runs";

  WriteFile(config_, base + drill + "  environment: true\n");
  auto r = Dr("--json drill --scenario database --disruptive --report " + dir_ / "reports");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  json d = json::parse(r.out);
  EXPECT_EQ(d["status"], "passed");
  EXPECT_EQ(d["service"], "orders-db");
  EXPECT_EQ(d["address_before"], "127.0.0.10");
  EXPECT_EQ(d["address_after"], "127.0.0.20");
  // The RTO spans the failover: no commit goes through the name before the
  // runbook's failover step starts (the name still leads to the dead primary).
  const json& steps = d["runbook"]["execution_log"]["steps"];
  ASSERT_EQ(steps[2]["id"], "activate_replica");
  double failover_started = std::chrono::duration<double>(*ParseUtc(steps[2]["started_at"].get<std::string>()) -
                                                          *ParseUtc(d["fault_at"].get<std::string>()))
                                .count();
  EXPECT_GE(d["rto_seconds"].get<double>() + 0.002, failover_started);
  EXPECT_LT(d["rto_seconds"].get<double>(), 120);
  EXPECT_EQ(d["rto_met"], true);
  const json& w = d["writes"];
  EXPECT_GE(w["acknowledged_before_fault"].get<int>(), 20);
  EXPECT_GT(w["acknowledged"].get<int>(), w["acknowledged_before_fault"].get<int>()) << "commits after the recovery";
  EXPECT_EQ(w["lost"], 0) << d.dump(2);
  EXPECT_EQ(d["rpo_seconds"], 0.0);
  EXPECT_EQ(d["runbook"]["execution_log"]["overall_status"], "completed");
  std::vector<std::string> phases;
  for (const auto& p : d["phases"]) phases.push_back(p["name"].get<std::string>() + ":" + p["status"].get<std::string>());
  EXPECT_EQ(phases, (std::vector<std::string>{"start the load generator:passed", "inject the fault:passed",
                                              "recover (database_failure runbook):passed",
                                              "first commit through the name:passed",
                                              "count the commits that survived:passed",
                                              "remove the drill's rows:passed"}));
  // The standby is the primary now, and the drill's table is gone again.
  EXPECT_FALSE(InRecovery(*standby_));
  EXPECT_EQ(Sql(*standby_, "select to_regclass('ecap_dr_drill_writes') is null"), "t\n");
  // In the history, the report and the page.
  auto events = json::parse(Dr("--json events --limit 100").out)["events"];
  std::string types;
  for (const auto& e : events) types += e["event_type"].get<std::string>() + " ";
  EXPECT_THAT(types, HasSubstr("drill_completed"));
  EXPECT_THAT(types, HasSubstr("failover_completed"));
  std::string page = ReadFileOrDie(dir_ / ("reports/" + d["drill_id"].get<std::string>() + ".html"));
  EXPECT_THAT(page, HasSubstr("database: PASSED"));
  EXPECT_THAT(page, HasSubstr("id=\"writes\""));
}

// Commits the standby never received are lost, and the drill names them:
// the standby stops streaming before the drill, so every commit the old
// primary acknowledged is missing after the failover, and only those.
TEST_F(FailoverTest, TheDatabaseDrillNamesEveryCommitTheFailoverLost) {
  ASSERT_OK(standby_->Psql("postgres", "alter system set primary_conninfo = ''"));
  ASSERT_OK(standby_->Psql("postgres", "select pg_reload_conf()"));
  ASSERT_TRUE(Eventually([&] { return Sql(*primary_, "select count(*) from pg_stat_replication") == "0\n"; },
                         std::chrono::seconds(30)));
  WriteFile(config_, ReadFileOrDie(config_) + "drill:\n  environment: true\n  timeout_seconds: 120\n  faults:\n"
                     "    database: \"echo $ECAP_DR_PRIMARY > " + dir_ / "fault-primary" + "; kill -9 $(head -1 " +
                     dir_ / "primary/data/postmaster.pid" + ")\"\n");
  auto r = Dr("--json drill --scenario database --disruptive");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(ReadFileOrDie(dir_ / "fault-primary"), "127.0.0.10\n") << "the fault is told the primary it kills";
  json d = json::parse(r.out);
  EXPECT_EQ(d["status"], "passed") << "a second's loss is within the RPO target";
  EXPECT_EQ(d["address_after"], "127.0.0.20");
  const json& w = d["writes"];
  int lost = w["lost"].get<int>();
  EXPECT_GE(lost, w["acknowledged_before_fault"].get<int>());
  EXPECT_LT(lost, w["acknowledged"].get<int>()) << "the commits on the new primary survived";
  // Exactly the commits before the failover: 1..lost, each with when it was acknowledged.
  ASSERT_EQ(w["lost_writes"].size(), static_cast<size_t>(lost));
  for (int i = 0; i < lost; ++i) {
    EXPECT_EQ(w["lost_writes"][i]["seq"], i + 1);
    EXPECT_TRUE(ParseUtc(w["lost_writes"][i]["acknowledged_at"].get<std::string>()).has_value());
  }
  EXPECT_GT(d["rpo_seconds"].get<double>(), 0);
  EXPECT_EQ(d["rpo_met"], true);
}

// A drill whose recovery cannot succeed (the standby is gone too) fails,
// naming the runbook step and why, and never reports "passed".
TEST_F(FailoverTest, ADatabaseDrillWhoseRecoveryFailsNamesTheStep) {
  standby_->Stop();
  WriteFile(config_, ReadFileOrDie(config_) + "drill:\n  environment: true\n  timeout_seconds: 30\n  faults:\n"
                     "    database: \"kill -9 $(head -1 " + dir_ / "primary/data/postmaster.pid" + ")\"\n");
  auto r = Dr("--json drill --scenario database --disruptive");
  EXPECT_NE(r.exit_code, 0) << r.out;
  json d = json::parse(r.out);
  EXPECT_EQ(d["status"], "failed");
  EXPECT_EQ(d["error"]["step"], "recover") << d.dump(2);
  EXPECT_THAT(d["error"]["message"].get<std::string>(), HasSubstr("recovery step '"));
  EXPECT_EQ(d["rto_seconds"], -1.0);
  EXPECT_EQ(d["rto_met"], false);
  EXPECT_NE(d["runbook"]["execution_log"]["overall_status"], "completed");
}

TEST_F(FailoverTest, DnsCompareAndSwapRefusesARecordChangedBySomeoneElse) {
  auto ep = coordinator::ParseEndpoint(dns_->endpoint(), 53);
  auto key = coordinator::LoadTsigKey(dns_->key_file());
  ASSERT_OK(key);
  // Someone moved the name meanwhile.
  ASSERT_OK(coordinator::SwapARecord(*ep, "platform.test", "db.platform.test", "127.0.0.10", "127.0.0.30", 5, *key, 2));
  auto swap = coordinator::SwapARecord(*ep, "platform.test", "db.platform.test", "127.0.0.10", "127.0.0.20", 5, *key, 2);
  EXPECT_EQ(swap.code(), Code::kFailed);
  EXPECT_THAT(swap.message(), HasSubstr("no longer points at 127.0.0.10 (it points at 127.0.0.30)"));
  EXPECT_EQ(DbAddress(), "127.0.0.30");
  auto r = Dr("failover --reason test --yes");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("the DNS record was changed by someone else"));
  EXPECT_TRUE(InRecovery(*standby_)) << "nothing was promoted";
  EXPECT_FALSE(std::filesystem::exists(dir_ / "fenced"));
  // A wrong key is refused by the server.
  coordinator::TsigKey wrong = *key;
  wrong.secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  auto denied = coordinator::SwapARecord(*ep, "platform.test", "db.platform.test", "127.0.0.30", "127.0.0.40", 5, wrong, 2);
  EXPECT_FALSE(denied.ok());
  EXPECT_EQ(DbAddress(), "127.0.0.30");
}

// Kill the primary: the monitor sees three failed checks, fails over by itself,
// and a client going by the DNS name writes to the new primary.
TEST_F(FailoverTest, MonitorFailsOverAutomaticallyWhenThePrimaryDies) {
  pid_t monitor = Spawn("-c " + config_ + " monitor --max-seconds 40");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a few healthy rounds
  ASSERT_OK(primary_->Psql("postgres", "insert into orders (note) values ('before crash')"));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  auto killed_at = std::chrono::steady_clock::now();
  ASSERT_OK(primary_->Kill());
  bool moved = false;
  while (std::chrono::steady_clock::now() - killed_at < std::chrono::seconds(30)) {
    if (DbAddress() == "127.0.0.20") {
      moved = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  // The name moves before the failover's last steps: stop the monitor once
  // it has recorded the failover's outcome, not before.
  EXPECT_TRUE(Eventually(
      [&] {
        auto outcome = Dr("--json events --type failover_completed --type failover_failed");
        return outcome.exit_code == 0 && !json::parse(outcome.out)["events"].empty();
      },
      std::chrono::seconds(30)))
      << "the monitor recorded no failover outcome";
  ::kill(monitor, SIGTERM);
  int status = 0;
  ::waitpid(monitor, &status, 0);
  ASSERT_TRUE(moved) << "DNS still points at " << DbAddress();
  EXPECT_GT(seconds, 1.0) << "three checks 0.5 s apart come first";
  ASSERT_OK(WriteThroughDns("after crash"));
  EXPECT_EQ(Sql(*standby_, "select count(*) from orders where note = 'before crash'"), "1\n");
  auto events = json::parse(Dr("--json events --type failover_completed").out)["events"];
  ASSERT_EQ(events.size(), 1u);
  auto d = events[0]["data"];
  EXPECT_EQ(d["automatic"], true);
  EXPECT_GT(d["rto_seconds"].get<double>(), 0.9);
  EXPECT_LT(d["rto_seconds"].get<double>(), 30);
  EXPECT_EQ(d["rpo_seconds"], 0) << "the standby had replayed what the primary last reported";
  auto changes = json::parse(Dr("--json events --type health_changed --limit 100").out)["events"];
  EXPECT_THAT(changes.dump(), HasSubstr("\"to\":\"failed\""));
}

// The standby is behind (replay paused while the primary keeps writing) when
// the primary dies: the automatic failover is refused, nothing changes.
TEST_F(FailoverTest, LagGuardRefusesAnAutomaticFailover) {
  WriteCoordinatorConfig("", /*rpo_minutes=*/0.02);  // 1.2 s
  ASSERT_OK(standby_->Psql("postgres", "select pg_wal_replay_pause()"));
  pid_t monitor = Spawn("-c " + config_ + " monitor --max-seconds 40");
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(primary_->Psql("postgres", "insert into orders (note) values ('while paused')"));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  ASSERT_OK(primary_->Kill());
  bool refused = false;
  for (int i = 0; i < 150 && !refused; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto e = json::parse(Dr("--json events --type failover_refused").out)["events"];
    refused = !e.empty();
  }
  ::kill(monitor, SIGTERM);
  int status = 0;
  ::waitpid(monitor, &status, 0);
  ASSERT_TRUE(refused);
  auto e = json::parse(Dr("--json events --type failover_refused").out)["events"][0]["data"];
  EXPECT_EQ(e["error"]["code"], "failed");
  EXPECT_THAT(e["error"]["message"].get<std::string>(), HasSubstr("more than the RPO target"));
  EXPECT_GT(e["lag_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(DbAddress(), "127.0.0.10");
  EXPECT_TRUE(InRecovery(*standby_));
  // A person may force it; the event says so.
  auto forced = Dr("--json failover --reason \"accept the loss\" --yes --force");
  ASSERT_EQ(forced.exit_code, 0) << forced.err << forced.out;
  EXPECT_EQ(json::parse(forced.out)["forced"], true);
  EXPECT_EQ(DbAddress(), "127.0.0.20");
}

// One failed check between good ones degrades a service but never fails it
// (the same threshold rule guards the database's failover).
TEST_F(FailoverTest, FlappingServiceNeverReachesFailed) {
  std::string flag = dir_ / "flap";
  WriteCoordinatorConfig("    - {name: flappy, type: command, command: \"if [ -e " + flag + " ]; then rm " + flag +
                         "; exit 1; else touch " + flag + "; fi\"}\n"
                         "    - {name: slow, type: command, interval_seconds: 1, command: \"echo x >> " +
                             dir_ / "slow" + "\"}\n",
                         5, 0.2);
  auto r = Dr("monitor --max-seconds 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("flappy=degraded(1)"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("flappy=failed")));
  auto failovers = json::parse(Dr("--json events --type failover_started").out)["events"];
  EXPECT_TRUE(failovers.empty());
  // Its own interval: checked about once a second while the others are checked every 0.2 s.
  auto slow = ReadFileOrDie(dir_ / "slow");
  int checks = static_cast<int>(std::count(slow.begin(), slow.end(), 'x'));
  EXPECT_GE(checks, 3);
  EXPECT_LE(checks, 5);
  EXPECT_EQ(DbAddress(), "127.0.0.10");
}

// Two coordinators with etcd: one leads and acts; killed, the other takes over
// within the lease, and a failover happens once.
TEST_F(FailoverTest, TwoCoordinatorsElectOneLeaderThroughEtcd) {
  auto etcd = EtcdServer::Start(dir_ / "etcd");
  ASSERT_OK(etcd);
  WriteCoordinatorConfig("  coordination: {etcd: {endpoints: [\"" + (*etcd)->endpoint() +
                         "\"], lease_seconds: 2}}\n");
  auto leaders = [&] {
    std::vector<std::string> ids;
    json events = json::parse(Dr("--json events --type leader_acquired --limit 100").out);
    for (const auto& e : events["events"]) {
      ids.push_back(e["data"]["coordinator"]);
    }
    return ids;
  };
  auto wait_for = [&](size_t n, double seconds) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (leaders().size() < n && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return leaders().size() >= n;
  };
  pid_t a = Spawn("-c " + config_ + " monitor --max-seconds 60");
  ASSERT_TRUE(wait_for(1, 10));
  pid_t b = Spawn("-c " + config_ + " monitor --max-seconds 60");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(leaders().size(), 1u) << "the second coordinator follows";
  EXPECT_THAT(leaders()[0], HasSubstr(":" + std::to_string(a)));

  ::kill(a, SIGKILL);
  int status = 0;
  ::waitpid(a, &status, 0);
  // The follower takes over once the dead leader's lease (2 s) has expired.
  // How fast is not asserted here (a loaded machine stretches it; that was a
  // timing-dependent assertion): the bound below is only how long to wait.
  ASSERT_TRUE(wait_for(2, 10));
  EXPECT_THAT(leaders()[0], HasSubstr(":" + std::to_string(b)));

  // The new leader acts: it fails over when the primary dies, once.
  ASSERT_OK(primary_->Kill());
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (DbAddress() != "127.0.0.20" && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(b, SIGTERM);
  ::waitpid(b, &status, 0);
  EXPECT_EQ(DbAddress(), "127.0.0.20");
  EXPECT_EQ(json::parse(Dr("--json events --type failover_started").out)["events"].size(), 1u);
}

// The disruptive region drill on the whole platform: the primary's
// postmaster killed, the lake's bucket removed with its objects and the
// repository moved away, at once, under a load of commits through the name
// and objects into the lake. The complete_region_failure runbook brings the
// platform back from the synchronous standby, the lake's mirror and the
// repository's replica; the drill counts every acknowledged write, and the
// platform's backups go on in the backup region. The region's Kafka broker
// dies with it: the runbook restores Kafka's newest backup into the broker of
// the backup region, the load goes on there, and the messages that backup did
// not reach are named.
TEST_F(FailoverTest, TheRegionDrillLosesTheDatabaseLakeAndRepositoryAndComesBackInTheBackupRegion) {
  ASSERT_OK(primary_->Psql("postgres", "alter system set synchronous_standby_names = '*'"));
  ASSERT_OK(primary_->Psql("postgres", "select pg_reload_conf()"));
  ASSERT_TRUE(Eventually([&] { return Sql(*primary_, "select sync_state from pg_stat_replication") == "sync\n"; },
                         std::chrono::seconds(30)));
  auto rgw = RgwServer::Start(dir_ / "rgw");
  ASSERT_OK(rgw);
  auto bucket = [&](const std::string& name) {
    return net::s3::S3Client({.endpoint = (*rgw)->endpoint(), .region = "us-east-1", .bucket = name,
                              .path_style = true, .credentials = {RgwServer::kAccessKey, RgwServer::kSecretKey, ""}});
  };
  net::s3::S3Client lake = bucket("lake"), mirror = bucket("lake-dr");
  for (auto* b : {&lake, &mirror}) {
    auto made = b->Send("PUT", "", {}, {}, {});
    ASSERT_TRUE(made.ok() && made->status == 200) << (made.ok() ? made->body : made.status().ToString());
  }
  ASSERT_TRUE(lake.Send("PUT", "orders/part-0.json", {}, {}, "{\"order\":1}\n")->status == 200);
  // The region's fault kills the first's process; the second is the backup
  // region's, its topics made beforehand (the mock cannot create them on request).
  auto kafka = KafkaCluster::StartMock(1, {"orders:1", "ecap_dr_drill_writes:1"});
  ASSERT_OK(kafka);
  auto dr_kafka = KafkaCluster::StartMock(1, {"orders:1", "ecap_dr_drill_writes:1"});
  ASSERT_OK(dr_kafka);
  ASSERT_OK((*kafka)->Produce("orders", {{.value = "order 1"}, {.value = "order 2"}}));
  std::string config = ReadFileOrDie(config_);
  config.replace(config.find("    compute_hooks:"), 0,
                 "    kafka: {replica_bootstrap_servers: \"" + (*dr_kafka)->bootstrap() +
                     "\", switch_hook: \"echo $ECAP_DR_ACTIVE_KAFKA > " + dir_ / "kafka" + "\"}\n");
  config.replace(config.find("s3:\n"), 4, "s3:\n  endpoint: \"" + (*rgw)->endpoint() +
                                              "\"\n  region: us-east-1\n  force_path_style: true\n  access_key_id: " +
                                              RgwServer::kAccessKey + "\n  secret_access_key: " + RgwServer::kSecretKey +
                                              "\n  buckets: [lake]\n");
  const std::string replica = dir_ / "replica";
  config += "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  auto_generate_key: true\n  key_file: \"" +
            key_ + "\"\nreplicas:\n  - {type: local, path: \"" + replica + "\"}\naudit:\n  log_file: \"" +
            dir_ / "state/audit.log" + "\"\npostgresql: {host: \"" + primary_->host() + "\", port: " +
            std::to_string(primary_->port()) + ", database: postgres, username: postgres}\n" +
            "kafka: {bootstrap_servers: \"" + (*kafka)->bootstrap() + "\", topics: [orders], " +
            "consumer_groups: [analytics], timeout_seconds: 3}\n" +
            "drill:\n  environment: true\n  timeout_seconds: 120\n";
  WriteFile(config_, config);
  InitRepo();
  auto backup = Dr("--json backup create --id before-the-region --component postgresql --component s3");
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  auto no_fault = Dr("drill --scenario region --disruptive");
  EXPECT_EQ(no_fault.exit_code, 2) << no_fault.err;
  EXPECT_THAT(no_fault.err, HasSubstr("drill.faults.region is not set"));

  WriteFile(config_, config + "  faults:\n    region: \"kill -9 $(head -1 " + dir_ / "primary/data/postmaster.pid" +
                         "); " + (*rgw)->admin_command() + " bucket rm --bucket=lake --purge-objects && mv " + repo_ +
                         " " + dir_ / "lost-repo" + " && kill -9 " + std::to_string((*kafka)->mock_pid()) + "\"\n");
  auto r = Dr("--json drill --scenario region --disruptive --report " + dir_ / "reports");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  json d = json::parse(r.out);
  EXPECT_EQ(d["scenario"], "region");
  EXPECT_EQ(d["status"], "passed");
  EXPECT_EQ(d["address_before"], "127.0.0.10");
  EXPECT_EQ(d["address_after"], "127.0.0.20");
  EXPECT_EQ(d["bucket_before"], "lake");
  EXPECT_EQ(d["bucket_after"], "lake-dr");
  EXPECT_EQ(d["repository_before"], repo_);
  EXPECT_EQ(d["repository_after"], replica);
  EXPECT_FALSE(std::filesystem::exists(repo_)) << "the fault took the repository";
  // Every step of the runbook ran, the backup verified and made in the backup region.
  const json& log = d["runbook"]["execution_log"];
  EXPECT_EQ(log["overall_status"], "completed") << log.dump(2);
  EXPECT_EQ(StepStates(log), (std::vector<std::string>{"activate_dr_site:ok", "switch_repository:ok",
                                                       "promote_backup_database:ok", "start_backup_cluster:ok",
                                                       "restore_kafka:ok", "update_global_dns:ok", "verify_functionality:ok",
                                                       "establish_new_replication:ok"}));
  // RTO: until both stores take writes and the recovery ended; within its bounds.
  const double rto = d["rto_seconds"];
  const double runbook_ended = std::chrono::duration<double>(
                                   *ParseUtc(log["steps"].back()["finished_at"].get<std::string>()) -
                                   *ParseUtc(d["fault_at"].get<std::string>()))
                                   .count();
  EXPECT_GE(d["recovery_seconds"].get<double>() + 0.01, runbook_ended) << "the recovery ends with the runbook";
  EXPECT_GE(rto, d["recovery_seconds"].get<double>());
  EXPECT_GE(rto, d["database_back_seconds"].get<double>());
  EXPECT_GE(rto, d["lake_back_seconds"].get<double>());
  EXPECT_GE(rto, d["kafka_back_seconds"].get<double>());
  EXPECT_LT(rto, 120);
  // The synchronous standby lost no commit; the objects the mirror had not
  // copied at the fault are the lake's loss, each one named.
  const json& w = d["writes"];
  EXPECT_GE(w["acknowledged_before_fault"].get<int>(), 20);
  EXPECT_GT(w["acknowledged"].get<int>(), w["acknowledged_before_fault"].get<int>()) << "commits after the recovery";
  EXPECT_EQ(w["lost"], 0) << d.dump(2);
  const json& o = d["lake_writes"];
  EXPECT_GT(o["acknowledged"].get<int>(), o["acknowledged_before_fault"].get<int>()) << "objects after the recovery";
  EXPECT_GE(o["lost"].get<int>(), 10) << "the objects put after the mirror pass, before the fault";
  EXPECT_EQ(o["lost"].get<size_t>(), o["lost_writes"].size());
  // Kafka: restored into the backup region's broker, which took the load
  // after the recovery. The messages produced after the drill's backup of
  // Kafka, before the fault, are lost, each named; every other one is there,
  // read back here independently of the drill.
  const json& k = d["kafka_writes"];
  EXPECT_GE(k["acknowledged_before_fault"].get<int>(), 30);
  EXPECT_GT(k["acknowledged"].get<int>(), k["acknowledged_before_fault"].get<int>()) << "messages after the recovery";
  EXPECT_GE(k["lost"].get<int>(), 10) << d.dump(2);
  EXPECT_EQ(k["lost"].get<size_t>(), k["lost_writes"].size());
  ASSERT_FALSE(k["lost_writes"].empty());
  EXPECT_EQ(k["lost_writes"][0]["state"], "missing");
  EXPECT_EQ(d["kafka"]["restored_in"], (*dr_kafka)->bootstrap());
  EXPECT_EQ(d["kafka_after"], (*dr_kafka)->bootstrap());
  EXPECT_EQ(ReadFileOrDie(dir_ / "kafka"), (*dr_kafka)->bootstrap() + "\n") << "the switch hook was told";
  auto there = (*dr_kafka)->ReadAll("ecap_dr_drill_writes");
  ASSERT_OK(there);
  std::set<std::string> keys;
  for (const auto& m : (*there)[0]) keys.insert(m.key.value_or(""));
  const std::string drill_id = d["drill_id"];
  int64_t restored = 0;  // the drill's messages there (a failed write's seq is skipped, not reused)
  for (const auto& key : keys) restored += key.rfind(drill_id + "/", 0) == 0;
  EXPECT_EQ(restored + k["lost"].get<int64_t>(), k["acknowledged"].get<int64_t>()) << d["kafka"].dump();
  EXPECT_GE(restored, 20) << "the messages acknowledged before the backup are there";
  for (const auto& lost : k["lost_writes"]) {
    EXPECT_EQ(keys.count(drill_id + "/" + std::to_string(lost["seq"].get<int64_t>())), 0u) << lost.dump();
  }
  auto orders = (*dr_kafka)->ReadAll("orders");
  ASSERT_OK(orders);
  ASSERT_EQ((*orders)[0].size(), 2u) << "the platform's topics are restored too";
  EXPECT_EQ((*orders)[0][1].value, "order 2");
  EXPECT_EQ(d["kafka_backup"]["status"], "completed");
  EXPECT_EQ(d["kafka_backup"]["components"].size(), 1u);
  EXPECT_TRUE(d["kafka_backup"]["components"].contains("kafka"));
  EXPECT_EQ(d["rpo_met"], true);
  EXPECT_GT(d["rpo_seconds"].get<double>(), 0);
  // The platform as the backup region serves it: the name, the lake, the
  // repository (the new backup in it; the primary's gone), and no drill leftovers.
  EXPECT_EQ(DbAddress(), "127.0.0.20");
  EXPECT_FALSE(InRecovery(*standby_));
  EXPECT_EQ(Sql(*standby_, "select to_regclass('ecap_dr_drill_writes') is null"), "t\n");
  int left = 0;
  EXPECT_OK(mirror.ListObjects("ecap-dr-drill/", [&](const net::s3::ListedObject&) {
    ++left;
    return Status::Ok();
  }));
  EXPECT_EQ(left, 0) << "the drill's objects are removed";
  auto list = Dr("--json backup list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const json backups = json::parse(list.out)["backups"];
  // Before the region, the drill's backup of Kafka, the runbook's.
  ASSERT_EQ(backups.size(), 3u) << list.out;
  EXPECT_EQ(backups[0]["backup_id"], "before-the-region");
  EXPECT_EQ(backups[1]["tags"], json({"drill:" + d["drill_id"].get<std::string>()}));
  EXPECT_EQ(backups[1]["backup_id"], d["kafka_backup"]["backup_id"]);
  EXPECT_EQ(backups[2]["tags"], json({"region-failover", "runbook"})) << "the first backup in the new region";
  EXPECT_TRUE(std::filesystem::exists(replica + "/snapshots/" + backups[2]["backup_id"].get<std::string>()));
  EXPECT_FALSE(backups[2]["components"].contains("kafka")) << "Kafka was just restored from its backup: left out";
  EXPECT_TRUE(backups[2]["components"].contains("postgresql"));
  // Kafka's backups now come from the brokers in the backup region (the primary's are dead).
  auto kafka_backup = Dr("--json backup create --component kafka");
  ASSERT_EQ(kafka_backup.exit_code, 0) << kafka_backup.err;
  EXPECT_THAT(kafka_backup.out, HasSubstr("the previous backup of Kafka is of another cluster"))
      << "offsets are a cluster's own: it is read whole";
  auto listed = json::parse(Dr("--json backup list").out)["backups"];
  ASSERT_EQ(listed.size(), 4u);
  const json meta = listed[3]["components"]["kafka"]["meta"];
  EXPECT_EQ(meta["bootstrap_servers"], (*dr_kafka)->bootstrap());
  EXPECT_EQ(meta["positions"]["orders"]["0"], 2) << meta.dump();
  EXPECT_EQ(meta["messages_read"], 2) << meta.dump();
  auto again = Dr("drill --scenario region --disruptive");
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("no standby left"));
  EXPECT_THAT(again.err, HasSubstr("ecap-dr standby attach")) << "says what to do";
  std::string page = ReadFileOrDie(dir_ / ("reports/" + d["drill_id"].get<std::string>() + ".html"));
  EXPECT_THAT(page, HasSubstr("region: PASSED"));
}

// A recovery that outlasts drill.timeout_seconds is stopped (before its next
// step) and the drill fails saying so: a compute hook that sleeps makes the
// runbook's failover step outlast the drill's 2 s.
TEST_F(FailoverTest, ADrillWhoseRecoveryOutlastsTheDrillsTimeoutIsStoppedAndFails) {
  std::string config = ReadFileOrDie(config_);
  config.replace(config.find("compute_hooks: [\""), 17, "compute_hooks: [\"sleep 6\", \"");
  WriteFile(config_, config + "drill:\n  environment: true\n  timeout_seconds: 2\n  faults:\n    database: \"kill -9 "
                     "$(head -1 " + dir_ / "primary/data/postmaster.pid" + ")\"\n");
  auto r = Dr("--json drill --scenario database --disruptive");
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  json d = json::parse(r.out);
  EXPECT_EQ(d["status"], "failed");
  EXPECT_EQ(d["error"]["step"], "recover");
  EXPECT_THAT(d["error"]["message"].get<std::string>(),
              HasSubstr("the database_failure runbook did not recover the platform within drill.timeout_seconds (2 s) "
                        "and was stopped"));
  const json& log = d["runbook"]["execution_log"];
  EXPECT_EQ(log["stopped_at"], "update_dns") << log.dump(2);
  EXPECT_EQ(d["rto_seconds"], -1.0);
  EXPECT_EQ(Sql(*standby_, "select to_regclass('ecap_dr_drill_writes') is null"), "t\n") << "its rows are removed";
}

}  // namespace
}  // namespace dr::test
