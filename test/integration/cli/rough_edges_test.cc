// Issue 11 §4, "configuration and command-line rough edges": each test runs the
// real binary and fails on the behaviour the issue reported.
#include <sys/stat.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "test/integration/cli/cli_harness.h"

namespace dr::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class RoughEdgesTest : public CliFixture {
 protected:
  // Runs ecap-dr as user nobody: root (which the tests run as) may read and write anything.
  RunResult DrAsNobody(const std::string& args, const std::string& env = "") {
    return Dr(args, env + " setpriv --reuid=65534 --regid=65534 --clear-groups");
  }
  // Every directory under root 0755 and file 0644: readable, not writable, by others.
  static void OpenForReading(const std::string& root) {
    fs::permissions(root, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    for (auto& e : fs::recursive_directory_iterator(root)) {
      fs::permissions(e.path(), e.is_directory() ? fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                                       fs::perms::others_read | fs::perms::others_exec
                                                 : fs::perms::owner_read | fs::perms::owner_write |
                                                       fs::perms::group_read | fs::perms::others_read);
    }
  }
};

TEST_F(RoughEdgesTest, UnterminatedQuoteIsRejectedNamingItsLineAndCreatesNothing) {
  // The file: nothing after the open quote closes it, and yaml-cpp took the rest
  // of the file as the path.
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\nencryption:\n  auto_generate_key: true\n"
                     "  key_file: " + key_ + "\n");
  auto check = Dr("config check");
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_THAT(check.err, HasSubstr(config_ + ":2:15: invalid YAML: while scanning a quoted scalar"));
  auto init = Dr("repo init");
  EXPECT_EQ(init.exit_code, 2);
  EXPECT_FALSE(fs::exists(repo_)) << "no directory named after the swallowed rest of the file";
  for (auto& e : fs::directory_iterator(dir_.path())) {
    EXPECT_THAT(e.path().filename().string(), Not(HasSubstr("encryption"))) << e.path();
  }
  // A later quote closes it: the error is then found further on, but still names the line.
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\nencryption:\n  key_file: \"" + key_ + "\"\n");
  auto later = Dr("config check");
  EXPECT_EQ(later.exit_code, 2);
  EXPECT_THAT(later.err, HasSubstr(config_ + ":2:3: invalid YAML"));
}

TEST_F(RoughEdgesTest, ConfigCheckShowsEveryErrorDuplicatesAndEmptyFiles) {
  WriteFile(config_, "backup_manager:\n  backup_dir: /b\n  compresion_level: 3\n  backup_dir: /c\n"
                     "postgresql:\n  port: 99999\n");
  auto r = Dr("--json config check");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("3 errors in the configuration"));
  EXPECT_THAT(r.err, HasSubstr(config_ + ":3:3: unknown key 'compresion_level'"));
  EXPECT_THAT(r.err, HasSubstr(config_ + ":4:3: duplicate key 'backup_dir' (first at line 2)"));
  EXPECT_THAT(r.err, HasSubstr(config_ + ":6:9: postgresql.port: expected a value between 1 and 65535"));
  EXPECT_EQ(json::parse(r.out)["error"]["code"], "config");

  WriteFile(config_, "");
  auto empty = Dr("config check");
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_THAT(empty.err, HasSubstr(config_ + ": the configuration is empty"));
}

TEST_F(RoughEdgesTest, BackupCreateNeverCreatesARepositoryAtAMistypedPath) {
  WriteFile(dir_ / "f.txt", "data");
  InitRepo();
  std::string typo = dir_ / "repo-typo";
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + typo + "\"\nencryption:\n  key_file: \"" + key_ + "\"\n");
  auto r = Dr("backup create --id b1 --files " + dir_ / "f.txt");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no repository at " + typo + "; run 'ecap-dr repo init'"));
  auto list = Dr("backup list");
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_THAT(list.err, HasSubstr("no repository at " + typo));
  EXPECT_FALSE(fs::exists(typo)) << "neither a backup nor a listing creates the directory";
  // The explicit option still creates one, for scripts that want that.
  auto explicit_init = Dr("backup create --init --id b1 --files " + dir_ / "f.txt");
  EXPECT_EQ(explicit_init.exit_code, 0) << explicit_init.err;
  EXPECT_TRUE(fs::exists(typo + "/config"));
}

TEST_F(RoughEdgesTest, ADamagedSnapshotIsMarkedAndTheOthersAreListed) {
  WriteFile(dir_ / "f.txt", "data");
  InitRepo();
  ASSERT_EQ(Dr("backup create --id good1 --files " + dir_ / "f.txt").exit_code, 0);
  ASSERT_EQ(Dr("backup create --id broken --files " + dir_ / "f.txt").exit_code, 0);
  ASSERT_EQ(Dr("backup create --id good2 --files " + dir_ / "f.txt").exit_code, 0);
  std::string snap = repo_ + "/snapshots/broken";
  ASSERT_TRUE(fs::exists(snap));
  FlipByte(snap, fs::file_size(snap) / 2);

  auto human = Dr("backup list");
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_THAT(human.out, HasSubstr("good1"));
  EXPECT_THAT(human.out, HasSubstr("good2"));
  EXPECT_THAT(human.out, HasSubstr("DAMAGED"));
  EXPECT_THAT(human.out, HasSubstr("1 damaged backup cannot be read"));
  EXPECT_THAT(human.err, HasSubstr("backup 'broken' is damaged"));

  auto j = Dr("--json backup list");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json list = json::parse(j.out);
  ASSERT_EQ(list["backups"].size(), 3u);
  EXPECT_EQ(list["backups"][0]["backup_id"], "good1");
  EXPECT_EQ(list["backups"][1]["backup_id"], "good2");
  EXPECT_EQ(list["backups"][2]["backup_id"], "broken");
  EXPECT_EQ(list["backups"][2]["status"], "damaged");
  EXPECT_EQ(list["backups"][2]["error"]["code"], "corrupt");
  EXPECT_EQ(list["damaged_count"], 1);
}

TEST_F(RoughEdgesTest, RestoreFindsEveryConflictBeforeWritingAnything) {
  WriteFile(dir_ / "data/a_big.bin", RandomData(8 << 20, 61));  // restored first, by name order
  WriteFile(dir_ / "data/m.txt", "m");
  WriteFile(dir_ / "data/z.txt", "z");
  InitRepo();
  ASSERT_EQ(Dr("backup create --id b1 --files " + dir_ / "data").exit_code, 0);
  std::string out = dir_ / "out";
  std::string base = out + dir_.path() + "/data";
  WriteFile(base + "/m.txt", "precious m");
  WriteFile(base + "/z.txt", "precious z");
  auto before = ListTree(out);
  auto r = Dr("restore b1 --target " + out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("has 2 conflicts; nothing was written"));
  EXPECT_THAT(r.err, HasSubstr("'" + base + "/m.txt' already exists"));
  EXPECT_THAT(r.err, HasSubstr("'" + base + "/z.txt' already exists"));
  EXPECT_THAT(r.err, HasSubstr("use --overwrite"));
  EXPECT_EQ(ListTree(out), before) << "a_big.bin must not be written before the refusal";
  // A directory where a file goes is a conflict even with --overwrite.
  fs::remove(base + "/z.txt");
  fs::create_directories(base + "/z.txt");
  auto dir = Dr("restore b1 --overwrite --target " + out);
  EXPECT_EQ(dir.exit_code, 1);
  EXPECT_THAT(dir.err, HasSubstr("'" + base + "/z.txt' exists and is a directory"));
  EXPECT_FALSE(fs::exists(base + "/a_big.bin"));
}

TEST_F(RoughEdgesTest, WalStatusWithTheServerUnreachableIsExit5) {
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  auto_generate_key: true\n"
                     "  key_file: \"" + key_ + "\"\npostgresql:\n  host: 127.0.0.1\n  port: 1\n  database: shop\n"
                     "  username: postgres\n  connect_timeout: 1\n");
  InitRepo();
  auto r = Dr("wal status");
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("the archive lag (current RPO) is unknown: PostgreSQL server 127.0.0.1:1"));
  EXPECT_THAT(r.out, HasSubstr("archive: 0 WAL files"));
  auto j = Dr("--json wal status");
  EXPECT_EQ(j.exit_code, 5);
  json status = json::parse(j.out);
  EXPECT_EQ(status["server_reachable"], false);
  EXPECT_EQ(status["status"], "failed");
  EXPECT_EQ(status["error"]["code"], "unavailable");
}

TEST_F(RoughEdgesTest, WalFetchOfAMissingFileIsAQuietNotFound) {
  InitRepo();
  // PostgreSQL asks for the next timeline's history during every recovery.
  auto history = Dr("wal fetch 00000002.history " + dir_ / "pg_wal/RECOVERYHISTORY");
  EXPECT_EQ(history.exit_code, 1);
  EXPECT_EQ(history.err, "") << "no error line in PostgreSQL's log";
  EXPECT_FALSE(fs::exists(dir_ / "pg_wal/RECOVERYHISTORY"));
  auto segment = Dr("wal fetch 000000010000000000000009 " + dir_ / "RECOVERYXLOG");
  EXPECT_EQ(segment.exit_code, 1);
  EXPECT_EQ(segment.err, "");
  auto j = Dr("--json wal fetch 00000002.history " + dir_ / "x");
  EXPECT_EQ(json::parse(j.out)["status"], "not_found");
  // A real problem still says so.
  auto bad = Dr("wal fetch not-a-wal-name " + dir_ / "x");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("is not a WAL file name"));
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + dir_ / "no-repo" + "\"\nencryption:\n  key_file: \"" + key_ +
                     "\"\n");
  auto no_repo = Dr("wal fetch 00000002.history " + dir_ / "x");
  EXPECT_EQ(no_repo.exit_code, 1);
  EXPECT_THAT(no_repo.err, HasSubstr("no repository at " + dir_ / "no-repo"));
}

TEST_F(RoughEdgesTest, PermissionProblemsAreExit3) {
  WriteFile(dir_ / "f.txt", "data");
  InitRepo();
  std::string key = ReadFileOrDie(key_);
  key.erase(key.find_last_not_of('\n') + 1);
  // Everything readable by others (user nobody), nothing writable; then the key file back to 0600.
  OpenForReading(dir_.path());
  fs::permissions(key_, fs::perms::owner_read | fs::perms::owner_write);
  auto unreadable_key = DrAsNobody("backup list");
  EXPECT_EQ(unreadable_key.exit_code, 3) << unreadable_key.err;
  EXPECT_THAT(unreadable_key.err, HasSubstr("unable to read key file"));
  EXPECT_THAT(unreadable_key.err, HasSubstr(key_));
  // With the key given otherwise, the repository can be read but not written.
  std::string env = "ECAP_BACKUP_ENCRYPTION_KEY=" + key;
  auto list = DrAsNobody("backup list", env);
  EXPECT_EQ(list.exit_code, 0) << list.err;
  auto write = DrAsNobody("backup create --id b1 --files " + dir_ / "f.txt", env);
  EXPECT_EQ(write.exit_code, 3) << write.err;
  EXPECT_THAT(write.err, HasSubstr("Permission denied"));
  // An unreadable configuration file.
  fs::permissions(config_, fs::perms::owner_read | fs::perms::owner_write);
  auto config = DrAsNobody("config check");
  EXPECT_EQ(config.exit_code, 3) << config.err;
  EXPECT_THAT(config.err, HasSubstr("unable to read configuration file"));
}

TEST_F(RoughEdgesTest, AMissingKeyFileNeverSuggestsANewKeyForAnExistingRepository) {
  InitRepo();
  fs::remove(key_);
  auto r = Dr("backup list");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("key file '" + key_ + "' (encryption.key_file) does not exist"));
  EXPECT_THAT(r.err, HasSubstr("can only be opened with the master key it was created with"));
  EXPECT_THAT(r.err, HasSubstr("cannot open existing backups"));
  EXPECT_THAT(r.err, Not(HasSubstr("generate one with")));
}

TEST_F(RoughEdgesTest, EmptyOptionValuesAreRefused) {
  WriteFile(dir_ / "f.txt", "data");
  InitRepo();
  auto id = Dr("backup create --id \"\" --files " + dir_ / "f.txt");
  EXPECT_EQ(id.exit_code, 2);
  EXPECT_THAT(id.err, HasSubstr("--id: an empty value is not allowed"));
  EXPECT_EQ(json::parse(Dr("--json backup list").out)["backups"].size(), 0u) << "no backup under a generated id";
  auto target = Dr("restore b1 --target \"\"");
  EXPECT_EQ(target.exit_code, 2);
  EXPECT_THAT(target.err, HasSubstr("--target: an empty value is not allowed"));
}

TEST_F(RoughEdgesTest, AnUnknownCommandIsNamed) {
  auto sub = Dr("backup creat --id x");
  EXPECT_EQ(sub.exit_code, 2);
  EXPECT_THAT(sub.err, HasSubstr("unknown command 'ecap-dr backup creat'"));
  EXPECT_THAT(sub.err, HasSubstr("create, list, show"));
  EXPECT_THAT(sub.err, Not(HasSubstr("A subcommand is required")));
  auto top = RunDr("frobnicate");
  EXPECT_EQ(top.exit_code, 2);
  EXPECT_THAT(top.err, HasSubstr("unknown command 'ecap-dr frobnicate'"));
  auto missing = Dr("backup");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("'ecap-dr backup' needs a command: one of create, list, show"));
}

TEST_F(RoughEdgesTest, UsageErrorsHonourJson) {
  for (std::string args : {"--json backup creat", "backup list --json --no-such-option", "--json restore",
                           "--json backup create --id \"\""}) {
    auto r = Dr(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    json j = json::parse(r.out);  // throws, failing the test, if stdout is not JSON
    EXPECT_EQ(j["status"], "failed") << args;
    EXPECT_EQ(j["error"]["code"], "invalid_argument") << args;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty()) << args;
  }
}

TEST_F(RoughEdgesTest, CountsAgreeWithTheirNouns) {
  WriteFile(dir_ / "f.txt", "data");
  InitRepo();
  ASSERT_EQ(Dr("backup create --id b1 --files " + dir_ / "f.txt").exit_code, 0);
  auto check = Dr("repo check");
  // Two packs: the data and the item list (snapshot format 2).
  EXPECT_THAT(check.out, HasSubstr("checked 1 snapshot, 2 packs, "));
  auto verify = Dr("verify b1");
  EXPECT_THAT(verify.out, HasSubstr("(1 item)"));
  auto restore = Dr("restore b1 --target " + dir_ / "out");
  EXPECT_THAT(restore.out, HasSubstr(": 1 item, "));
  ASSERT_EQ(Dr("backup create --id b2 --files " + dir_ / "f.txt").exit_code, 0);
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\n  retention_policies: {daily: 0, weekly: 0, "
                     "monthly: 0, last: 1}\nencryption:\n  key_file: \"" + key_ + "\"\n");
  auto retention = Dr("retention apply");
  EXPECT_EQ(retention.exit_code, 0) << retention.err;
  EXPECT_THAT(retention.out, HasSubstr("1 backup deleted"));
}

}  // namespace
}  // namespace dr::test
