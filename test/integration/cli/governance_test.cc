// Access control, the audit trail and key rotation through the real binary.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "test/integration/cli/cli_harness.h"

namespace dr::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string Me() { return ::getpwuid(::geteuid())->pw_name; }

class GovernanceTest : public CliFixture {
 protected:
  void WriteGovernedConfig(const std::string& my_patterns) {
    WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  enabled: true\n"
                       "  auto_generate_key: true\n  key_file: \"" + key_ + "\"\naccess_control:\n  enabled: true\n"
                       "  users:\n    " + Me() + ": " + my_patterns + "\n    backup_operator: [\"backup.create\", \"backup.list\"]\n"
                       "  roles:\n    admin: [\"*\"]\n    operator: [\"backup.create\", \"backup.list\", \"backup.verify\"]\n"
                       "audit:\n  log_file: \"" + dir_ / "audit/backup-audit.log" + "\"\n");
  }
};

TEST_F(GovernanceTest, DenialIsExit3NamedAndAudited) {
  WriteGovernedConfig("[\"role:operator\", \"repo.init\", \"audit.read\"]");
  ASSERT_EQ(Dr("repo init").exit_code, 0);
  WriteFile(dir_ / "f.txt", "x");
  ASSERT_EQ(Dr("backup create --id allowed --files " + dir_ / "f.txt").exit_code, 0);
  auto denied = Dr("backup delete allowed");
  EXPECT_EQ(denied.exit_code, 3);
  EXPECT_THAT(denied.err, HasSubstr("permission denied: user '" + Me() + "' may not backup.delete"));
  EXPECT_EQ(Dr("backup show allowed").exit_code, 0) << "a denied operation does nothing";
  auto restore = Dr("restore allowed --target " + dir_ / "out");
  EXPECT_EQ(restore.exit_code, 3);

  auto shown = Dr("--json audit show");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  json records = json::parse(shown.out)["records"];
  std::vector<std::string> seen;
  for (const auto& r : records) seen.push_back(r["operation"].get<std::string>() + ":" + r["result"].get<std::string>());
  EXPECT_THAT(seen, ::testing::ElementsAre("repo.init:success", "backup.create:success", "backup.delete:denied",
                                           "backup.list:success", "backup.restore:denied"));
  EXPECT_EQ(records[2]["user"], Me());
  EXPECT_EQ(records[2]["target"], "allowed");
  EXPECT_EQ(Dr("audit verify").exit_code, 0);

  auto check = Dr("--json access check backup.create --user backup_operator");
  EXPECT_EQ(check.exit_code, 0);
  EXPECT_EQ(json::parse(check.out)["rule"], "user backup_operator: backup.create");
  auto no = Dr("access check key.rotate");
  EXPECT_EQ(no.exit_code, 3);
  EXPECT_THAT(no.out, HasSubstr("key.rotate: denied for user " + Me()));
}

// Without a coordinator the event history lives beside the audit log, and
// `events` shows what the operations did, denials included.
TEST_F(GovernanceTest, EventsShowBackupsRestoresAndDenials) {
  WriteGovernedConfig("[\"role:operator\", \"repo.init\", \"backup.restore\", \"dr.events\"]");
  ASSERT_EQ(Dr("repo init").exit_code, 0);
  WriteFile(dir_ / "f.txt", "x");
  ASSERT_EQ(Dr("backup create --id e1 --files " + dir_ / "f.txt").exit_code, 0);
  ASSERT_EQ(Dr("verify e1").exit_code, 0);
  ASSERT_EQ(Dr("restore e1 --target " + dir_ / "out").exit_code, 0);
  EXPECT_EQ(Dr("backup delete e1").exit_code, 3);
  auto missing = Dr("--json verify nope");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(json::parse(missing.out)["error"]["code"], "not_found");

  auto shown = Dr("--json events --limit 20");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  std::vector<std::string> types;
  json history = json::parse(shown.out);
  for (const auto& e : history["events"]) types.push_back(e["event_type"].get<std::string>());
  EXPECT_THAT(types, ::testing::ElementsAre("verify_failed", "access_denied", "restore_completed", "verify_passed",
                                            "backup_completed", "repository_initialized"));
  auto backups = json::parse(Dr("--json events --type backup_completed").out)["events"];
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(backups[0]["data"]["backup_id"], "e1");
  EXPECT_EQ(backups[0]["data"]["user"], Me());
  EXPECT_FALSE(backups[0]["timestamp"].get<std::string>().empty());
  auto denied = json::parse(Dr("--json events --type access_denied").out)["events"][0]["data"];
  EXPECT_EQ(denied["permission"], "backup.delete");
  EXPECT_TRUE(std::ifstream(dir_ / "audit/events.db").good());
}

TEST_F(GovernanceTest, TamperingIsFoundByAuditVerify) {
  WriteGovernedConfig("[\"*\"]");
  ASSERT_EQ(Dr("repo init").exit_code, 0);
  WriteFile(dir_ / "f.txt", "x");
  ASSERT_EQ(Dr("backup create --id b1 --files " + dir_ / "f.txt").exit_code, 0);
  ASSERT_EQ(Dr("backup list").exit_code, 0);
  std::string log = dir_ / "audit/backup-audit.log";
  std::string text = ReadFileOrDie(log);
  auto pos = text.find("\"target\":\"b1\"");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 13, "\"target\":\"b2\"");
  WriteFile(log, text);
  auto v = Dr("audit verify");
  EXPECT_EQ(v.exit_code, 4);
  EXPECT_THAT(v.err, HasSubstr("record 2 (line 2 of " + log + "): its content does not match its hash"));
}

TEST_F(GovernanceTest, KeyRotationKeepsEveryBackupRestorable) {
  WriteGovernedConfig("[\"*\"]");
  WriteFile(dir_ / "a.csv", TextData(400000, 1));
  InitRepo();
  ASSERT_EQ(Dr("backup create --id before --files " + dir_ / "a.csv").exit_code, 0);
  std::string old_key = ReadFileOrDie(key_);
  auto check = Dr("--json key check");
  ASSERT_EQ(check.exit_code, 0) << check.err;
  json kc = json::parse(check.out);
  EXPECT_EQ(kc["key_available"], true);
  EXPECT_EQ(kc["key_file_mode"], "0600");
  EXPECT_LT(kc["key_age_days"].get<double>(), 1.0);

  auto rotated = Dr("--json key rotate");
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  json rj = json::parse(rotated.out);
  EXPECT_NE(rj["old_key_id"], rj["new_key_id"]);
  EXPECT_NE(ReadFileOrDie(key_), old_key);
  EXPECT_EQ(json::parse(Dr("--json key check").out)["key_id"], rj["new_key_id"]);

  ASSERT_EQ(Dr("backup create --id after --files " + dir_ / "a.csv").exit_code, 0);
  for (std::string id : {"before", "after"}) {
    auto r = Dr("restore " + id + " --target " + dir_ / ("out-" + id));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(ReadFileOrDie(dir_ / ("out-" + id) + dir_.path() + "/a.csv"), TextData(400000, 1));
  }
  EXPECT_EQ(Dr("verify before --full").exit_code, 0);
  auto with_old = Dr("backup list", "ECAP_BACKUP_ENCRYPTION_KEY=" + std::string(TrimWhitespace(old_key)));
  EXPECT_EQ(with_old.exit_code, 1);
  EXPECT_THAT(with_old.err, HasSubstr("wrong encryption key"));
}

// The key file of a repository PostgreSQL archives into belongs to postgres;
// root rotating the key must leave the new one readable by it.
TEST_F(GovernanceTest, KeyRotationByRootKeepsTheKeyFilesOwner) {
  // The suite runs as root (scripts/test.sh installs packages; CI runs it so): giving a file away needs it.
  ASSERT_EQ(::geteuid(), 0u) << "giving the key file to another user needs root, as scripts/test.sh runs";
  WriteGovernedConfig("[\"*\"]");
  InitRepo();
  ASSERT_EQ(::chown(key_.c_str(), 65534, 65534), 0);
  auto rotated = Dr("key rotate");
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  struct stat st {};
  ASSERT_EQ(::stat(key_.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(Dr("backup list").exit_code, 0) << "the new key opens the repository";
}

}  // namespace
}  // namespace dr::test

namespace dr::test {
namespace {

TEST_F(GovernanceTest, ComplianceReportInEveryFormat) {
  WriteGovernedConfig("[\"*\"]");
  WriteFile(dir_ / "f.txt", "x");
  InitRepo();
  ASSERT_EQ(Dr("backup create --id today --files " + dir_ / "f.txt").exit_code, 0);
  ASSERT_EQ(Dr("verify today").exit_code, 0);
  auto j = Dr("report compliance --format json");
  // Six of the seven daily slots are empty, so the report fails, and says why.
  EXPECT_EQ(j.exit_code, 1);
  json r = json::parse(j.out);
  EXPECT_EQ(r["overall_status"], "failed");
  EXPECT_EQ(r["summary"]["retention"], "failed");
  EXPECT_EQ(r["summary"]["verification"], "passed");
  EXPECT_EQ(r["summary"]["security"], "passed") << r["sections"]["security"].dump();
  EXPECT_EQ(r["sections"]["verification"]["backups"][0]["backup_id"], "today");
  EXPECT_NE(r["sections"]["verification"]["backups"][0]["last_verified"], "");
  auto md = Dr("report compliance");
  EXPECT_THAT(md.out, HasSubstr("# ecap-dr compliance report"));
  EXPECT_THAT(md.out, HasSubstr("**Overall: FAILED**"));
  auto html = Dr("report compliance --format html");
  EXPECT_THAT(html.out, HasSubstr("<!doctype html>"));
  EXPECT_THAT(html.out, HasSubstr("Overall: FAILED"));
  auto bad = Dr("report compliance --month 2026-13");
  EXPECT_EQ(bad.exit_code, 2);
}

}  // namespace
}  // namespace dr::test
