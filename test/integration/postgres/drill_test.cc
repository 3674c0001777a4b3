// `ecap-dr drill` (restore-test) against a real PostgreSQL 15: the newest
// backup restored into scratch targets (a directory, a scratch database, a
// scratch server for a physical backup), checked, timed, and removed; the
// live database and files unchanged; a restore that fails reports the
// component and the reason; targets of a killed drill go at the next one.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "net/postgres/pg_client.h"
#include "test/integration/cli/cli_harness.h"
#include "test/support/pg_server.h"

namespace dr::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

class DrillTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    auto pg = PgServer::Start(pgdir_.path() + "/primary", {});
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    pg_ = std::move(*pg);
    WriteFile(dir_ / "data/app.yaml", "orders: 42\n");
    WriteFile(dir_ / "data/sub/big.bin", std::string(300000, 'x'));
    WriteFile(config_, ReadFileOrDie(config_) + "postgresql:\n  host: 127.0.0.1\n  port: " +
                           std::to_string(pg_->port()) + "\n  database: shop\n  username: postgres\n" +
                           "files:\n  paths: [\"" + dir_ / "data" + "\"]\naudit:\n  log_file: \"" +
                           dir_ / "state/audit.log" + "\"\n");
    ASSERT_TRUE(pg_->Psql("postgres", "create database shop").ok());
    ASSERT_TRUE(Sql("create table orders (id int primary key, total numeric)").ok());
    ASSERT_TRUE(Sql("insert into orders select g, g * 2 from generate_series(1, 500) g").ok());
    ASSERT_TRUE(Sql("create table customers (id int primary key)").ok());
    ASSERT_TRUE(Sql("insert into customers select generate_series(1, 20)").ok());
    InitRepo();
  }
  Result<std::string> Sql(const std::string& q) { return pg_->Psql("shop", q); }
  std::string Databases() {
    auto r = pg_->Psql("postgres", "select string_agg(datname, ',' order by datname) from pg_database");
    return r.ok() ? *r : "error";
  }
  std::string LiveDigest() {
    auto r = Sql("select md5(string_agg(o::text, ',' order by id)) from orders o");
    return r.ok() ? *r : "error";
  }

  TempDir pgdir_;
  std::unique_ptr<PgServer> pg_;
};

TEST_F(DrillTest, RestoreTestRestoresEveryComponentIntoScratchTargetsChecksThemAndRemovesThem) {
  // What a dump does not carry as rows is not counted: another session's
  // temporary table (which no other session may read), a materialized view
  // (a restore refreshes it anew).
  ASSERT_TRUE(Sql("create materialized view big_orders as select * from orders where total > 500").ok());
  auto session = net::pg::Connection::OpenConninfo(pg_->Conninfo() + " dbname=shop", 5);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  ASSERT_TRUE((*session)->Exec("create temporary table scratchpad as select generate_series(1, 10) n").ok());
  auto backed_up = Dr("backup create --id nightly --component postgresql --component files");
  ASSERT_EQ(backed_up.exit_code, 0) << backed_up.err;
  std::string databases = Databases(), digest = LiveDigest();
  auto tree = ListTree(dir_ / "data");

  // The backup counted the rows in its dump's own snapshot.
  auto shown = Dr("--json backup show nightly");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  json backup = json::parse(shown.out);
  json counts;
  for (const auto& item : backup["components"]["postgresql"]["item_details"]) {
    if (item["name"] == "shop.dump") counts = item["meta"]["row_counts"];
  }
  ASSERT_TRUE(counts.is_object()) << shown.out;
  EXPECT_EQ(counts["rows_per_table"], json({{"public.customers", 20}, {"public.orders", 500}}));

  auto r = Dr("--json drill");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  json d = json::parse(r.out);
  EXPECT_EQ(d["status"], "passed");
  EXPECT_EQ(d["scenario"], "restore-test");
  EXPECT_EQ(d["backup_id"], "nightly");
  ASSERT_EQ(d["components"].size(), 2u);
  for (const auto& c : d["components"]) {
    SCOPED_TRACE(c.dump());
    EXPECT_EQ(c["status"], "passed");
    EXPECT_GT(c["restore_seconds"].get<double>(), 0);
    if (c["component"] == "files") {
      EXPECT_EQ(c["verification"]["files"], 2);
      EXPECT_EQ(c["verification"]["bytes"], 300000 + 11);
      EXPECT_EQ(c["verification"]["manifest_files"], 2);
    } else {
      EXPECT_THAT(c["scratch"].get<std::string>(), HasSubstr("ecap_dr_drill_"));
      const json& shop = c["verification"]["databases"]["shop"];
      EXPECT_EQ(shop["tables"], 2);
      EXPECT_EQ(shop["rows"], 520);
      EXPECT_EQ(shop["rows_per_table"]["public.orders"], 500);
      EXPECT_EQ(shop["matches_backup"], true) << "against the counts the backup took in pg_dump's snapshot";
    }
  }
  EXPECT_GT(d["rto_seconds"].get<double>(), 0);
  EXPECT_EQ(d["rto_met"], true);
  EXPECT_GE(d["recovery_point"]["backup_age_seconds"].get<double>(), 0);
  EXPECT_EQ(d["rpo_seconds"], d["recovery_point"]["backup_age_seconds"]) << "no WAL archive: the backup's age";
  EXPECT_EQ(d["removed"].size(), 2u);
  EXPECT_TRUE(d["cleanup_errors"].empty());
  // Nothing live changed, nothing of the drill is left.
  EXPECT_EQ(Databases(), databases);
  EXPECT_EQ(LiveDigest(), digest);
  EXPECT_EQ(ListTree(dir_ / "data"), tree);
  EXPECT_FALSE(fs::exists("/tmp/ecap-dr-drill/" + d["drill_id"].get<std::string>()));
  // In the event history, for the RTO/RPO report and the status page.
  auto events = json::parse(Dr("--json events --type drill_completed").out)["events"];
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["data"]["drill_id"], d["drill_id"]);
  EXPECT_EQ(events[0]["data"]["rto_met"], true);

  // The human summary.
  auto human = Dr("drill");
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_THAT(human.out, HasSubstr("postgresql   passed"));
  EXPECT_THAT(human.out, HasSubstr("RTO now"));
}

TEST_F(DrillTest, ADrillWhoseRestoreFailsSaysWhereAndWhyAndStillRemovesItsTargets) {
  ASSERT_EQ(Dr("backup create --id nightly --component postgresql --component files").exit_code, 0);
  std::string databases = Databases();
  // Damage every pack: every restore reads damaged data.
  for (auto& e : fs::recursive_directory_iterator(repo_ + "/data")) {
    if (e.is_regular_file()) FlipByte(e.path().string(), e.file_size() / 2);
  }
  auto r = Dr("--json drill");
  EXPECT_EQ(r.exit_code, 4) << "damaged data is exit 4: " << r.err;
  json d = json::parse(r.out);
  EXPECT_EQ(d["status"], "failed");
  EXPECT_EQ(d["error"]["code"], "corrupt");
  // The damaged blob may be any of them: the one it is in fails, named, with why.
  int failed = 0;
  for (const auto& c : d["components"]) {
    if (c["status"] != "failed") continue;
    ++failed;
    EXPECT_THAT(c.value("error", ""), HasSubstr("authentication failed")) << c.dump();
  }
  EXPECT_GE(failed, 1) << r.out;
  EXPECT_EQ(d["rto_met"], false) << "a failed drill never meets its RTO";
  EXPECT_EQ(Databases(), databases) << "no scratch database left";
  EXPECT_FALSE(fs::exists("/tmp/ecap-dr-drill/" + d["drill_id"].get<std::string>()));
  auto events = json::parse(Dr("--json events --type drill_failed").out)["events"];
  EXPECT_EQ(events.size(), 1u);
  // ... and it alerts until a drill passes.
  auto alerts = Dr("--json alert list");
  ASSERT_EQ(alerts.exit_code, 0) << alerts.err;
  bool fired = false;
  json firing = json::parse(alerts.out);
  for (const auto& a : firing["alerts"]) {
    if (a["name"] == "DrillFailed") fired = a["labels"].value("scenario", "") == "restore-test";
  }
  EXPECT_TRUE(fired) << alerts.out;
}

// The drill's report: `--report DIR` writes its page and document; the page
// renders in headless Chromium with a bar per phase of the timeline; the same
// page comes back from the event history; and the month's report counts the
// passed and the failed drill per scenario (exit 1: the last one failed).
TEST_F(DrillTest, EachDrillHasAReportPageAndTheMonthIsAggregatedPerScenario) {
  ASSERT_EQ(Dr("backup create --id nightly --component postgresql --component files").exit_code, 0);
  std::string reports = dir_ / "reports";
  auto passed = Dr("--json drill --report " + reports);
  ASSERT_EQ(passed.exit_code, 0) << passed.err;
  json d = json::parse(passed.out);
  std::string id = d["drill_id"];
  std::string page = ReadFileOrDie(reports + "/" + id + ".html");
  EXPECT_EQ(json::parse(ReadFileOrDie(reports + "/" + id + ".json")), d);
  ASSERT_EQ(d["phases"].size(), 4u) << d.dump();  // stale targets, postgresql, files, cleanup
  EXPECT_EQ(d["phases"][1]["name"], "restore and check postgresql");
  EXPECT_GE(d["phases"][3]["start_seconds"].get<double>(), d["phases"][2]["start_seconds"].get<double>());

  // A real browser renders it: the verdict, both components, one bar per phase.
  std::string chromium = "chromium --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir=" +
                         dir_ / "chromium";
  std::string dom_file = dir_ / "dom.html";
  int rc = std::system((chromium + " --dump-dom 'file://" + reports + "/" + id + ".html' > " + dom_file + " 2>" +
                        dir_ / "chromium.err").c_str());
  ASSERT_NE(WEXITSTATUS(rc), 127) << "chromium is not installed (scripts/install-deps.sh installs it)";
  ASSERT_EQ(WEXITSTATUS(rc), 0) << ReadFileOrDie(dir_ / "chromium.err");
  std::string dom = ReadFileOrDie(dom_file);
  EXPECT_THAT(dom, HasSubstr("restore-test: PASSED"));
  EXPECT_THAT(dom, HasSubstr("<td>postgresql</td><td class=\"passed\">passed</td>"));
  EXPECT_THAT(dom, HasSubstr("<td>files</td><td class=\"passed\">passed</td>"));
  size_t bars = 0;
  for (size_t at = dom.find("<rect class=\"phase\""); at != std::string::npos; at = dom.find("<rect class=\"phase\"", at + 1)) {
    ++bars;
  }
  EXPECT_EQ(bars, 4u) << dom;

  // From the history, the very same page.
  auto again = Dr("report drill --drill " + id + " --format html");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, page);
  EXPECT_EQ(Dr("report drill --drill no-such-drill --format html").exit_code, 1);

  // A failing drill, then the month: one passed, one failed, the last failed.
  for (auto& e : fs::recursive_directory_iterator(repo_ + "/data")) {
    if (e.is_regular_file()) FlipByte(e.path().string(), e.file_size() / 2);
  }
  EXPECT_EQ(Dr("drill").exit_code, 4);
  auto month = Dr("report drill --format json");
  EXPECT_EQ(month.exit_code, 1) << "the last drill failed: " << month.err;
  json r = json::parse(month.out);
  EXPECT_EQ(r["overall_status"], "failed");
  ASSERT_EQ(r["scenarios"].size(), 1u);
  const json& s = r["scenarios"][0];
  EXPECT_EQ(s["scenario"], "restore-test");
  EXPECT_EQ(s["drills"], 2);
  EXPECT_EQ(s["passed"], 1);
  EXPECT_EQ(s["failed"], 1);
  EXPECT_EQ(s["last_status"], "failed");
  EXPECT_EQ(s["rto_seconds"]["median"], d["rto_seconds"]) << "the RTO of the one drill that passed";
  ASSERT_EQ(r["drills"].size(), 2u);
  EXPECT_EQ(r["drills"][0]["drill_id"], id) << "oldest first";
  auto markdown = Dr("report drill");
  EXPECT_THAT(markdown.out, HasSubstr("| restore-test | 2 | 1 | 1 |"));
  auto html = Dr("report drill --format html");
  EXPECT_THAT(html.out, HasSubstr("<div class=\"banner failed\">Overall: failed</div>"));
  auto empty = Dr("report drill --month 2020-01 --format json");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_EQ(json::parse(empty.out)["overall_status"], "no_drills");
  EXPECT_EQ(Dr("report drill --month 2026-13").exit_code, 2);
}

// --scenario all: the restore test alone without --disruptive, the others
// named as left out; with --disruptive in a drill environment, each scenario
// the configuration provides for runs as a drill of its own. Here the
// database has no WAL archive, so the corruption scenario fails and says
// where and why, the breach scenario (a logical backup is enough) passes, the
// storage scenario (no lake mirror) and the database scenario (no service
// with a standby) are left out with their reasons, and nothing of any is
// left behind.
TEST_F(DrillTest, AllScenariosRunEachOneTheConfigurationProvidesForAndNameTheOthers) {
  ASSERT_EQ(Dr("backup create --id nightly").exit_code, 0);
  const std::string before = LiveDigest();
  auto safe = Dr("--json drill --scenario all");
  ASSERT_EQ(safe.exit_code, 0) << safe.err << safe.out;
  json d = json::parse(safe.out);
  EXPECT_EQ(d["status"], "passed");
  ASSERT_EQ(d["scenarios"].size(), 1u);
  EXPECT_EQ(d["scenarios"][0]["scenario"], "restore-test");
  EXPECT_EQ(d["scenarios"][0]["status"], "passed");
  ASSERT_EQ(d["skipped"].size(), 5u);  // corruption, storage, breach, database, region
  EXPECT_EQ(d["skipped"][0]["scenario"], "corruption");
  EXPECT_EQ(d["skipped"][1]["scenario"], "storage");
  EXPECT_EQ(d["skipped"][2]["scenario"], "breach");
  EXPECT_THAT(d["skipped"][3]["reason"].get<std::string>(), HasSubstr("give --disruptive"));
  EXPECT_EQ(d["skipped"][4]["scenario"], "region");
  EXPECT_THAT(d["skipped"][4]["reason"].get<std::string>(), HasSubstr("runs on its own"));
  EXPECT_EQ(d["rto_seconds"], d["scenarios"][0]["rto_seconds"]);
  auto printed = Dr("drill --scenario all");
  EXPECT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_THAT(printed.out, HasSubstr("database       skipped"));
  EXPECT_THAT(printed.out, HasSubstr("all scenarios: passed"));

  auto refused = Dr("drill --scenario all --disruptive");
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("not marked as a drill environment"));

  WriteFile(config_, ReadFileOrDie(config_) + "drill:\n  environment: true\n  timeout_seconds: 60\n");
  auto r = Dr("--json drill --scenario all --disruptive --report " + dir_ / "reports");
  EXPECT_NE(r.exit_code, 0) << r.out;
  d = json::parse(r.out);
  EXPECT_EQ(d["status"], "failed");
  ASSERT_EQ(d["scenarios"].size(), 3u) << d.dump(2);
  EXPECT_EQ(d["scenarios"][0]["status"], "passed");
  EXPECT_EQ(d["scenarios"][2]["scenario"], "breach");
  EXPECT_EQ(d["scenarios"][2]["status"], "passed") << d["scenarios"][2].dump(2);
  const json& corruption = d["scenarios"][1];
  EXPECT_EQ(corruption["scenario"], "corruption");
  EXPECT_EQ(corruption["status"], "failed");
  EXPECT_EQ(corruption["error"]["step"], "archive");
  EXPECT_THAT(corruption["error"]["message"].get<std::string>(), HasSubstr("archive_mode is off"));
  ASSERT_EQ(d["skipped"].size(), 3u);  // storage, database, region
  EXPECT_EQ(d["skipped"][0]["scenario"], "storage");
  EXPECT_THAT(d["skipped"][0]["reason"].get<std::string>(), HasSubstr("set s3.mirror.source and s3.mirror.target"));
  EXPECT_EQ(d["skipped"][1]["scenario"], "database");
  EXPECT_THAT(d["skipped"][1]["reason"].get<std::string>(), HasSubstr("no postgresql service"));
  // Each drill has its page; the corruption drill stopped before it touched
  // anything (no archive to recover from), and the live rows are as they were.
  for (const auto& s : d["scenarios"]) {
    EXPECT_TRUE(fs::exists(dir_ / ("reports/" + s["drill_id"].get<std::string>() + ".html"))) << s["drill_id"];
  }
  auto no_table = Sql("select to_regclass('ecap_dr_drill_writes') is null");
  ASSERT_OK(no_table);
  EXPECT_EQ(*no_table, "t\n");
  EXPECT_EQ(LiveDigest(), before);
  EXPECT_FALSE(fs::exists("/tmp/ecap-dr-drill/" + corruption["drill_id"].get<std::string>()));
}

// The breach scenario: an intruder's role and ecap-dr identity are contained
// by the security_breach runbook, checked from the intruder's side; the clean
// state lacks exactly the commits after the clean backup; everything the
// drill made is gone afterwards and the live data is as it was.
TEST_F(DrillTest, TheBreachDrillContainsTheIntruderAndCountsWhatTheCleanStateLacks) {
  ASSERT_EQ(Dr("backup create --id nightly --component postgresql").exit_code, 0);
  const std::string before = LiveDigest(), databases = Databases();
  auto unflagged = Dr("drill --scenario breach --disruptive");
  EXPECT_EQ(unflagged.exit_code, 2) << unflagged.err;
  EXPECT_THAT(unflagged.err, HasSubstr("not marked as a drill environment"));
  auto key_before = Dr("--json key check");
  ASSERT_EQ(key_before.exit_code, 0) << key_before.err;

  WriteFile(config_, ReadFileOrDie(config_) + "drill:\n  environment: true\n  timeout_seconds: 120\n");
  auto r = Dr("--json drill --scenario breach --disruptive");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json d = json::parse(r.out);
  EXPECT_EQ(d["scenario"], "breach");
  EXPECT_EQ(d["status"], "passed");
  EXPECT_EQ(d["runbook"]["execution_log"]["overall_status"], "completed") << d["runbook"].dump();
  EXPECT_EQ(d["containment"], json({{"session_ended", true}, {"login_refused", true}, {"user_refused", true}}));
  EXPECT_EQ(d["restored_backup"], d["clean_backup"]) << "the newest backup before the breach is the drill's own";
  EXPECT_NE(d["clean_backup"], "nightly");
  EXPECT_GT(d["rto_seconds"].get<double>(), 0);

  // Lost in the clean state: the newest commits, those after the clean backup's snapshot.
  const json& w = d["writes"];
  EXPECT_EQ(w["acknowledged"], w["acknowledged_before_fault"]) << "the load stopped at the breach";
  const json& lost = w["lost_writes"];
  ASSERT_GE(lost.size(), 10u) << "at least the commits made after the clean backup";
  EXPECT_LT(lost.size(), w["acknowledged"].get<size_t>()) << "the commits before the backup are in the clean state";
  for (size_t i = 0; i < lost.size(); ++i) {
    EXPECT_EQ(lost[i]["state"], "missing");
    if (i > 0) {
      EXPECT_GT(lost[i]["seq"].get<int64_t>(), lost[i - 1]["seq"].get<int64_t>());
    }
  }
  EXPECT_GE(lost.back()["seq"].get<int64_t>(), w["acknowledged"].get<int64_t>()) << "the newest commit is lost";
  double backup_start = -1, breach_start = -1;
  for (const auto& p : d["phases"]) {
    if (p["name"] == "clean backup under load") backup_start = p["start_seconds"];
    if (p["name"] == "the breach") breach_start = p["start_seconds"];
  }
  ASSERT_GE(backup_start, 0);
  EXPECT_GT(d["rpo_seconds"].get<double>(), 0);
  EXPECT_LE(d["rpo_seconds"].get<double>(), breach_start - backup_start + 0.01);

  // The key was rotated and still opens every backup; the audit chain holds
  // and records the intruder's refused probe.
  auto key_after = Dr("--json key check");
  ASSERT_EQ(key_after.exit_code, 0) << key_after.err;
  EXPECT_NE(json::parse(key_after.out)["key_id"], json::parse(key_before.out)["key_id"]);
  EXPECT_EQ(Dr("verify nightly --full").exit_code, 0);
  EXPECT_EQ(Dr("audit verify").exit_code, 0);
  const std::string intruder = d["intruder"]["user"];
  EXPECT_THAT(ReadFileOrDie(dir_ / "state/audit.log"), HasSubstr("\"user\":\"" + intruder + "\""));

  // Nothing of the drill is left; the live data is as it was.
  EXPECT_TRUE(d["cleanup_errors"].empty()) << d["cleanup_errors"].dump();
  EXPECT_EQ(Databases(), databases);
  EXPECT_EQ(LiveDigest(), before);
  auto roles = pg_->Psql("postgres", "select count(*) from pg_roles where rolname like 'ecap_dr_intruder_%'");
  ASSERT_OK(roles);
  EXPECT_EQ(*roles, "0\n");
  auto revoked = Dr("--json access revoked");
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_TRUE(json::parse(revoked.out)["revoked"].empty()) << revoked.out;
  auto no_table = Sql("select to_regclass('ecap_dr_drill_writes') is null");
  ASSERT_OK(no_table);
  EXPECT_EQ(*no_table, "t\n");
}

// What a breach drill killed before its cleanup left (its intruder's role,
// its clean database, its user's revocation) is removed by the next breach
// drill; what a running one made (its scratch directory held) is not.
TEST_F(DrillTest, WhatAKilledBreachDrillLeftIsRemovedByTheNextButARunningOnesIsKept) {
  ASSERT_EQ(Dr("backup create --id nightly --component postgresql").exit_code, 0);
  const std::string dead = "20261201t000000z_dead", live = "20261201t000000z_live";
  for (const auto& key : {dead, live}) {
    ASSERT_OK(pg_->Psql("postgres", "create role ecap_dr_intruder_" + key + " login"));
    ASSERT_OK(pg_->Psql("postgres", "create database ecap_dr_clean_" + key));
  }
  auto revoke = Dr("access revoke drill-intruder-" + dead + " --reason \"a drill killed mid-way\"");
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  const std::string scratch = dir_ / "scratch";
  fs::create_directories(scratch + "/drill-20261201T000000Z-live");
  int held = ::open((scratch + "/drill-20261201T000000Z-live").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);  // as the running drill holds its own

  const std::string base = ReadFileOrDie(config_);
  WriteFile(config_, base + "drill:\n  environment: true\n  timeout_seconds: 1\n  scratch_dir: \"" + scratch + "\"\n");
  // While another disruptive drill runs (it holds the scratch base), none
  // starts: it waits up to drill.timeout_seconds, then gives up.
  int other = ::open(scratch.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(other, 0);
  ASSERT_EQ(::flock(other, LOCK_EX), 0);
  auto busy = Dr("drill --scenario breach --disruptive");
  ::close(other);
  WriteFile(config_, base + "drill:\n  environment: true\n  timeout_seconds: 120\n  scratch_dir: \"" + scratch + "\"\n");
  EXPECT_EQ(busy.exit_code, 1) << busy.err;
  EXPECT_THAT(busy.err, HasSubstr("another disruptive drill is running on this platform"));
  EXPECT_EQ(*pg_->Psql("postgres", "select count(*) from pg_database where datname = 'ecap_dr_clean_" + dead + "'"),
            "1\n") << "nothing was touched";

  auto r = Dr("--json drill --scenario breach --disruptive");
  ::close(held);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json d = json::parse(r.out);
  EXPECT_EQ(d["status"], "passed");
  EXPECT_EQ(d["stale_removed"], json({"the revocation of drill-intruder-" + dead + ", if any",
                                      "database ecap_dr_clean_" + dead, "role ecap_dr_intruder_" + dead}));
  auto count = [&](const std::string& sql) {
    auto v = pg_->Psql("postgres", sql);
    return v.ok() ? *v : "error: " + v.status().message();
  };
  EXPECT_EQ(count("select count(*) from pg_database where datname = 'ecap_dr_clean_" + dead + "'"), "0\n");
  EXPECT_EQ(count("select count(*) from pg_roles where rolname = 'ecap_dr_intruder_" + dead + "'"), "0\n");
  EXPECT_EQ(count("select count(*) from pg_database where datname = 'ecap_dr_clean_" + live + "'"), "1\n");
  EXPECT_EQ(count("select count(*) from pg_roles where rolname = 'ecap_dr_intruder_" + live + "'"), "1\n");
  EXPECT_TRUE(json::parse(Dr("--json access revoked").out)["revoked"].empty());
  EXPECT_FALSE(fs::exists(scratch + "/" + d["drill_id"].get<std::string>())) << "the drill's own marker is gone";
}

// In a scratch directory of its own (drill.scratch_dir): a drill of another
// test running meanwhile would remove the killed one's leftovers first.
TEST_F(DrillTest, TargetsLeftByAKilledDrillAreRemovedByTheNextOne) {
  const std::string scratch = dir_ / "scratch";
  WriteFile(config_, ReadFileOrDie(config_) + "drill:\n  scratch_dir: \"" + scratch + "\"\n");
  ASSERT_EQ(Dr("backup create --id nightly --component postgresql").exit_code, 0);
  ASSERT_TRUE(pg_->Psql("postgres", "create database ecap_dr_drill_20260101t000000z_shop").ok());
  fs::create_directories(scratch + "/drill-killed/files");
  // Not a drill's: drill.scratch_dir may hold other things, which stay.
  WriteFile(scratch + "/keep-me/notes.txt", "mine\n");
  auto r = Dr("--json drill");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  json d = json::parse(r.out);
  std::string stale = d["stale_removed"].dump();
  EXPECT_THAT(stale, HasSubstr("database ecap_dr_drill_20260101t000000z_shop"));
  EXPECT_THAT(stale, HasSubstr("drill-killed"));
  EXPECT_THAT(Databases(), ::testing::Not(HasSubstr("ecap_dr_drill_")));
  EXPECT_FALSE(fs::exists(scratch + "/drill-killed"));
  EXPECT_EQ(ReadFileOrDie(scratch + "/keep-me/notes.txt"), "mine\n");
  // A relative scratch_dir would be taken from wherever ecap-dr runs: refused before any pass.
  std::string config = ReadFileOrDie(config_);
  config.replace(config.find(scratch), scratch.size(), "relative-scratch");
  WriteFile(config_, config);
  auto relative = Dr("drill");
  EXPECT_EQ(relative.exit_code, 2) << relative.err;
  EXPECT_THAT(relative.err, HasSubstr("drill.scratch_dir must be an absolute path, not 'relative-scratch'"));
}

// A physical backup: recovered (base backup + what the archive has) in a
// scratch server on loopback, counted there, stopped and removed.
TEST_F(DrillTest, APhysicalBackupIsRecoveredInAScratchServerCheckedAndRemoved) {
  // PostgreSQL (user postgres) runs `ecap-dr wal fetch` during the recovery:
  // it reads the config, the key and the repository (and no audit log here,
  // which root's commands would own).
  std::string config = ReadFileOrDie(config_);
  WriteFile(config_, config.substr(0, config.find("audit:")));
  ::chmod(dir_.path().c_str(), 0755);
  ASSERT_EQ(std::system(("chown -R postgres:postgres '" + repo_ + "' '" + dir_ / "keys" + "'").c_str()), 0);
  ASSERT_EQ(Dr("backup create --id base --component postgresql --physical").exit_code, 0);
  std::string databases = Databases(), digest = LiveDigest();
  auto r = Dr("--json drill");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  json d = json::parse(r.out);
  EXPECT_EQ(d["status"], "passed");
  ASSERT_EQ(d["components"].size(), 1u);
  const json& c = d["components"][0];
  EXPECT_THAT(c["scratch"].get<std::string>(), HasSubstr("scratch server on /tmp/ecap-dr-drill/"));
  EXPECT_EQ(c["verification"]["databases"]["shop"]["rows"], 520);
  EXPECT_EQ(d["removed"].size(), 1u);
  EXPECT_TRUE(d["cleanup_errors"].empty());
  EXPECT_FALSE(fs::exists("/tmp/ecap-dr-drill/" + d["drill_id"].get<std::string>()));
  EXPECT_EQ(Databases(), databases);
  EXPECT_EQ(LiveDigest(), digest);
}

// The drill as a job of the automation daemon (`schedule run` runs it exactly
// as the daemon would).
TEST_F(DrillTest, TheRestoreTestRunsAsAScheduledJob) {
  ASSERT_EQ(Dr("backup create --component postgresql --component files").exit_code, 0);
  WriteFile(config_, ReadFileOrDie(config_) + "automation:\n  jobs:\n"
                                              "    - {name: weekly-drill, action: restore_test, weekly: \"sun 06:00\"}\n"
                                              // The same drill as the general `drill` action names it.
                                              "    - {name: drill-job, action: drill, scenario: restore-test, "
                                              "monthly: \"1 06:00\"}\n");
  // Each job's run, checked alike: the restore test of both components.
  auto run_job = [&](const std::string& job) {
    auto run = Dr("--json schedule run " + job);
    EXPECT_EQ(run.exit_code, 0) << job << ": " << run.err << run.out;
    json r = json::parse(run.out, nullptr, false);
    if (!r.is_object()) r = json::object();  // the expectations below then fail, naming the job
    EXPECT_EQ(r["outcome"], "succeeded") << job;
    EXPECT_EQ(r["result"]["scenario"], "restore-test") << job;
    EXPECT_EQ(r["result"]["status"], "passed") << job;
    EXPECT_EQ(r["result"]["components"].size(), 2u) << job;
    return r;
  };
  json r = run_job("weekly-drill"), n = run_job("drill-job");
  EXPECT_NE(n["result"]["drill_id"], r["result"]["drill_id"]);
}

}  // namespace
}  // namespace dr::test
