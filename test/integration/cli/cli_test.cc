// End-to-end tests of the ecap-dr binary, run as a user would: real files, a
// real repository directory, exit codes and messages checked exactly.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/time_util.h"
#include "test/integration/cli/cli_harness.h"

namespace dr::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class CliTest : public CliFixture {
 protected:
  void MakeData() {
    WriteFile(dir_ / "data/etc/app.yaml", "setting: 1\n");
    WriteFile(dir_ / "data/big.bin", RandomData(3 << 20, 11));
    WriteFile(dir_ / "data/sub/text.csv", TextData(2 << 20, 12));
    WriteFile(dir_ / "orders.csv", TextData(500000, 13));
  }
};

TEST_F(CliTest, BackupRestoreVerifyRoundTrip) {
  MakeData();
  auto init = Dr("repo init");
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_THAT(init.out, HasSubstr("created repository"));
  EXPECT_EQ(std::filesystem::status(key_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  auto create = Dr("--json backup create --id manual_backup_20241127 --files " + dir_ / "data" +
                   " --stdin orders.csv < " + dir_ / "orders.csv");
  ASSERT_EQ(create.exit_code, 0) << create.err;
  json cj = json::parse(create.out);
  EXPECT_EQ(cj["status"], "completed");
  EXPECT_EQ(cj["backup_id"], "manual_backup_20241127");

  auto list = Dr("--json backup list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(json::parse(list.out)["backups"][0]["backup_id"], "manual_backup_20241127");

  auto verify = Dr("--json verify manual_backup_20241127 --full");
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(json::parse(verify.out)["verification_results"]["overall_status"], "passed");

  auto restore = Dr("restore manual_backup_20241127 --target " + dir_ / "restore");
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  std::string base = dir_ / "restore" + dir_.path();
  EXPECT_EQ(ReadFileOrDie(base + "/data/big.bin"), ReadFileOrDie(dir_ / "data/big.bin"));
  EXPECT_EQ(ReadFileOrDie(base + "/data/sub/text.csv"), ReadFileOrDie(dir_ / "data/sub/text.csv"));
  EXPECT_EQ(ReadFileOrDie(base + "/data/etc/app.yaml"), "setting: 1\n");
  EXPECT_EQ(ReadFileOrDie(dir_ / "restore/orders.csv"), ReadFileOrDie(dir_ / "orders.csv"));

  auto to_stdout = Dr("restore manual_backup_20241127 --item orders.csv --stdout");
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  EXPECT_EQ(to_stdout.out, ReadFileOrDie(dir_ / "orders.csv"));

  auto check = Dr("repo check --read-data");
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

}  // namespace
}  // namespace dr::test

namespace dr::test {
namespace {

// `restore --to-time T` without a backup id: the tree as of T, from the
// newest backup finished by then, with how far before T that is.
TEST_F(CliTest, RestoreToTimeTakesTheNewestBackupFinishedByThen) {
  InitRepo();
  auto backup = [&](const std::string& id, const std::string& content) {
    WriteFile(dir_ / "data/state.txt", content);
    auto r = Dr("--json backup create --id " + id + " --files " + dir_ / "data");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out)["end_time"].get<std::string>();
  };
  backup("first", "one");
  std::string second_end = backup("second", "two");
  std::string third_end = backup("third", "three");
  // Times are in milliseconds, and a backup started after another ended
  // takes more than one: the third finished after the target.
  ASSERT_GT(*ParseUtc(third_end), *ParseUtc(second_end));

  auto r = Dr("--json restore --to-time " + second_end + " --target " + dir_ / "out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["target_time"], second_end);
  ASSERT_EQ(j["components"].size(), 1u);
  EXPECT_EQ(j["components"][0]["component"], "files");
  EXPECT_EQ(j["components"][0]["backup_id"], "second");
  EXPECT_EQ(j["components"][0]["status"], "completed");
  EXPECT_GE(j["rpo_seconds"].get<double>(), 0);
  EXPECT_EQ(ReadFileOrDie(dir_ / "out" + dir_.path() + "/data/state.txt"), "two");

  auto text = Dr("restore --to-time " + second_end + " --target " + dir_ / "out2");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("restored as of " + second_end));
  EXPECT_THAT(text.out, HasSubstr("files      backup second"));
  EXPECT_THAT(text.out, HasSubstr("effective recovery point objective:"));

  auto none = Dr("restore --target " + dir_ / "out3");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("give the backup to restore, or --to-time TIME"));
  auto early = Dr("restore --to-time 2020-01-01T00:00:00Z --target " + dir_ / "out3");
  EXPECT_EQ(early.exit_code, 1) << early.err;
  EXPECT_THAT(early.err, HasSubstr("no completed backup in the repository finished by 2020-01-01T00:00:00Z "
                                   "(the oldest, first, finished "));
  auto early_files = Dr("restore --to-time 2020-01-01T00:00:00Z --component files --target " + dir_ / "out3");
  EXPECT_EQ(early_files.exit_code, 1) << early_files.err;
  EXPECT_THAT(early_files.err, HasSubstr("no completed backup of component 'files' finished by 2020-01-01T00:00:00Z"));
  auto bad = Dr("restore --to-time yesterday --target " + dir_ / "out3");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("invalid time 'yesterday'"));
}

TEST_F(CliTest, SecretsNeverReachJsonOutput) {
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\npostgresql:\n  host: db\n"
                     "  password: \"${ECAP_TEST_DB_PASSWORD}\"\nalerting:\n  notifications:\n    slack:\n"
                     "      enabled: true\n      webhook_url: \"${ECAP_TEST_SLACK}\"\n");
  auto r = Dr("--json config check", "ECAP_TEST_DB_PASSWORD=hunter2-db ECAP_TEST_SLACK=https://hooks.example/abc");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("hunter2-db"), std::string::npos);
  EXPECT_EQ(r.out.find("hooks.example"), std::string::npos);
  EXPECT_EQ(r.err.find("hunter2-db"), std::string::npos);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["config"]["postgresql"]["password"], "***");
  auto missing = Dr("config check");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("environment variable ECAP_TEST_DB_PASSWORD is not set"));
}

// The sections the hand-written printer left out are printed, with their secrets hidden.
TEST_F(CliTest, ConfigCheckPrintsEverySection) {
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\n  retention_policies: {last: 5, within: 30d}\n"
                     "postgresql:\n  host: db\n  archive_async: true\n  wal_compression_level: 2\n"
                     "s3:\n  mirror: {source: lake, target: lake-dr}\n"
                     "replicas:\n  - {type: s3, bucket: far, secret_access_key: \"${ECAP_TEST_S3_SECRET}\"}\n"
                     "dr_coordinator:\n  services:\n    - {name: api, type: http, url: \"http://x/health\"}\n");
  auto r = Dr("--json config check", "ECAP_TEST_S3_SECRET=wJalrXUtnFEMI");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("wJalrXUtnFEMI"), std::string::npos);
  auto c = json::parse(r.out)["config"];
  EXPECT_EQ(c["backup_manager"]["retention_policies"]["last"], 5);
  EXPECT_EQ(c["backup_manager"]["retention_policies"]["within"], "30d");
  EXPECT_EQ(c["postgresql"]["archive_async"], true);
  EXPECT_EQ(c["postgresql"]["wal_compression_level"], 2);
  EXPECT_EQ(c["postgresql"]["archive_push_jobs"], 4);
  EXPECT_EQ(c["s3"]["mirror"]["target"], "lake-dr");
  EXPECT_EQ(c["replicas"][0]["secret_access_key"], "***");
  EXPECT_EQ(c["dr_coordinator"]["services"][0]["url"], "http://x/health");
  EXPECT_EQ(c["dr_coordinator"]["failure_threshold"], 3);
}

// `config reference` needs no configuration file, and is the committed docs/configuration.md.
TEST_F(CliTest, ConfigReferenceIsTheCommittedDocument) {
  auto r = RunDr("config reference");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ReadFileOrDie(std::string(DR_SOURCE_DIR) + "/docs/configuration.md"))
      << "docs/configuration.md is out of date; run: ecap-dr config reference > docs/configuration.md";
  EXPECT_EQ(RunDr("config reference --format markdown").out, r.out);
  auto bad = RunDr("config reference --format html");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("html"));
}

TEST_F(CliTest, ShowAndDelete) {
  WriteFile(dir_ / "f.txt", "abc");
  InitRepo();
  ASSERT_EQ(Dr("backup create --id b1 --tag daily --files " + dir_ / "f.txt").exit_code, 0);
  auto show = Dr("backup show b1 --json");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto j = nlohmann::json::parse(show.out);
  EXPECT_EQ(j["tags"][0], "daily");
  EXPECT_EQ(j["components"]["files"]["items"], 1);
  EXPECT_EQ(j["components"]["files"]["item_details"][0]["sha256"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ASSERT_EQ(Dr("backup delete b1").exit_code, 0);
  auto gone = Dr("backup show b1");
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr("backup 'b1' not found in repository " + repo_));
  EXPECT_EQ(Dr("repo check").exit_code, 0);
}

}  // namespace
}  // namespace dr::test
