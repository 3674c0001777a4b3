// Bad input and faults, through the real binary: each one a clear message that
// names the thing, a distinct exit code, and a repository that stays consistent.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "test/integration/cli/cli_harness.h"

namespace dr::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

class FaultTest : public CliFixture {};

TEST_F(FaultTest, WrongKeyIsExit1AndWritesNothing) {
  ASSERT_EQ(Dr("repo init").exit_code, 0);
  WriteFile(dir_ / "f.txt", "data");
  auto before = ListTree(repo_);
  std::string other = "ECAP_BACKUP_ENCRYPTION_KEY=" + Base64Encode(std::string(32, 'z'));
  auto r = Dr("backup create --id b1 --files " + dir_ / "f.txt", other);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("wrong encryption key for repository " + repo_));
  EXPECT_EQ(ListTree(repo_), before) << "a wrong key must write nothing";
  auto list = Dr("backup list", other);
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_THAT(list.err, HasSubstr("wrong encryption key"));
}

TEST_F(FaultTest, BadConfigurationIsExit2NamingTheLine) {
  WriteFile(config_, "backup_manager:\n  backup_dir: /tmp/x\n  compresion_level: 3\n");
  auto r = Dr("backup list");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(config_ + ":3:3: unknown key 'compresion_level' in section 'backup_manager'"));
  auto missing = RunDr("-c " + dir_ / "nope.yaml" + " backup list");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr(dir_ / "nope.yaml"));
  auto check = Dr("--json config check");
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_EQ(json::parse(check.out)["error"]["code"], "config");
}

TEST_F(FaultTest, BadKeysAreExit2) {
  ASSERT_EQ(Dr("repo init").exit_code, 0);
  auto short_key = Dr("backup list", "ECAP_BACKUP_ENCRYPTION_KEY=" + Base64Encode(std::string(16, 'a')));
  EXPECT_EQ(short_key.exit_code, 2);
  EXPECT_THAT(short_key.err, HasSubstr("must be base64 of 32 bytes, got 16 bytes"));
  // An unreadable key file (here: a directory where the file should be).
  fs::remove(key_);
  fs::create_directories(key_);
  auto unreadable = Dr("backup list");
  EXPECT_EQ(unreadable.exit_code, 2);
  EXPECT_THAT(unreadable.err, HasSubstr("unable to read key file"));
  EXPECT_THAT(unreadable.err, HasSubstr(key_));
}

TEST_F(FaultTest, DuplicateBackupIdIsRefused) {
  WriteFile(dir_ / "f.txt", "data");
  InitRepo();
  ASSERT_EQ(Dr("backup create --id same --files " + dir_ / "f.txt").exit_code, 0);
  auto r = Dr("backup create --id same --files " + dir_ / "f.txt");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("backup id 'same' already exists in repository " + repo_));
  auto bad = Dr("backup create --id ../evil --files " + dir_ / "f.txt");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("invalid backup id '../evil'"));
}

TEST_F(FaultTest, FlippedByteIsNamedAndNeverRestored) {
  WriteFile(dir_ / "data/big.bin", RandomData(3 << 20, 21));
  InitRepo();
  ASSERT_EQ(Dr("backup create --id b1 --files " + dir_ / "data").exit_code, 0);
  std::string pack = DataPack();
  FlipByte(pack, fs::file_size(pack) / 3);
  std::string pack_id = fs::path(pack).filename();

  auto v = Dr("--json verify b1 --full");
  EXPECT_EQ(v.exit_code, 4);
  json j = json::parse(v.out);
  EXPECT_EQ(j["verification_results"]["overall_status"], "failed");
  json failed = json::array();
  for (const auto& item : j["verification_results"]["items"]) {
    if (item["status"] == "failed") failed.push_back(item);
  }
  ASSERT_EQ(failed.size(), 1u) << v.out;
  EXPECT_THAT(failed[0]["item"].get<std::string>(), HasSubstr("data/big.bin"));
  const json& f = failed[0]["findings"][0];
  EXPECT_EQ(f["backup_id"], "b1");
  EXPECT_EQ(f["pack"], pack_id);
  EXPECT_EQ(f["blob"].get<std::string>().size(), 64u);
  EXPECT_THAT(f["message"].get<std::string>(), HasSubstr("authentication failed"));

  auto quick = Dr("verify b1");
  EXPECT_EQ(quick.exit_code, 0) << "a quick verify checks structure, not content";

  auto restore = Dr("restore b1 --target " + dir_ / "out");
  EXPECT_EQ(restore.exit_code, 4);
  EXPECT_THAT(restore.err, HasSubstr("in pack '" + pack_id.substr(0, 12) + "'"));
  EXPECT_FALSE(fs::exists(dir_ / "out" + dir_.path() + "/data/big.bin")) << "no partial file under the real name";
  for (auto& e : fs::recursive_directory_iterator(dir_ / "out")) {
    EXPECT_FALSE(e.is_regular_file()) << "left behind: " << e.path();
  }
  auto check = Dr("repo check --read-data");
  EXPECT_EQ(check.exit_code, 4);
  EXPECT_THAT(check.err, HasSubstr(pack_id.substr(0, 12)));
}

TEST_F(FaultTest, TruncatedAndMissingPacksAreNamed) {
  WriteFile(dir_ / "data/big.bin", RandomData(2 << 20, 22));
  InitRepo();
  ASSERT_EQ(Dr("backup create --id b1 --files " + dir_ / "data").exit_code, 0);
  std::string pack = DataPack();
  std::string pack_id = fs::path(pack).filename();
  fs::resize_file(pack, fs::file_size(pack) - 1000);
  auto v = Dr("verify b1");
  EXPECT_EQ(v.exit_code, 4);
  EXPECT_THAT(v.err, HasSubstr("backup 'b1'"));
  EXPECT_THAT(v.err, HasSubstr("pack '" + pack_id.substr(0, 12) + "'"));
  EXPECT_THAT(v.err, HasSubstr("truncated"));
  fs::remove(pack);
  auto missing = Dr("--json verify b1");
  EXPECT_EQ(missing.exit_code, 4);
  EXPECT_THAT(missing.out, HasSubstr("which is missing"));
  EXPECT_THAT(missing.out, HasSubstr(pack_id));
  auto check = Dr("repo check");
  EXPECT_EQ(check.exit_code, 4);
  EXPECT_THAT(check.err, HasSubstr("pack '" + pack_id.substr(0, 12) + "' is in the index but missing from storage"));
}

TEST_F(FaultTest, LostIndexIsRebuiltFromPackTrailers) {
  WriteFile(dir_ / "data/a.csv", TextData(3 << 20, 23));
  InitRepo();
  ASSERT_EQ(Dr("backup create --id b1 --files " + dir_ / "data").exit_code, 0);
  for (auto& e : fs::directory_iterator(repo_ + "/index")) fs::remove(e.path());
  auto check = Dr("repo check");
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(check.err, HasSubstr("is not in any index"));
  auto verify = Dr("--json verify b1 --full");
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  ASSERT_EQ(Dr("restore b1 --target " + dir_ / "out").exit_code, 0);
  EXPECT_EQ(ReadFileOrDie(dir_ / "out" + dir_.path() + "/data/a.csv"), TextData(3 << 20, 23));
  // The next backup indexes the orphaned packs: the warning is gone.
  ASSERT_EQ(Dr("backup create --id b2 --files " + dir_ / "data").exit_code, 0);
  auto again = Dr("repo check");
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.err, ::testing::Not(HasSubstr("is not in any index")));
}

TEST_F(FaultTest, KilledBackupsLeaveNoTraceAndTheNextOneDeduplicates) {
  ASSERT_EQ(Dr("repo init").exit_code, 0);
  // Packs under their final names (temporary files start with a dot).
  auto packs = [&] {
    size_t n = 0;
    std::error_code ec;  // data/ appears with the first pack
    for (auto& e : fs::recursive_directory_iterator(repo_ + "/data", ec)) {
      n += e.is_regular_file() && e.path().filename().string()[0] != '.';
    }
    return n;
  };
  // Each backup reads 20 MiB of new data (also kept as data/round_N.bin) from a
  // pipe that stays open, so none can finish: each is killed either at once
  // (every fourth round) or once a pack it wrote is durable, whatever the
  // machine's load.
  ::signal(SIGPIPE, SIG_IGN);  // a write to the pipe of a killed backup fails, it must not end the test
  std::string fifo = dir_ / "stdin.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int killed_after_a_pack = 0;
  for (int round = 0; round < 8; ++round) {
    std::string id = "killed_" + std::to_string(round);
    std::string data = RandomData(20 << 20, 100 + round);
    bool after_a_pack = round % 4 != 0;
    if (after_a_pack) WriteFile(dir_ / ("data/round_" + std::to_string(round) + ".bin"), data);
    size_t before = packs();
    pid_t pid = Spawn("-c " + config_ + " -q backup create --id " + id + " --stdin round.bin < " + fifo);
    int fd = ::open(fifo.c_str(), O_WRONLY);  // returns once the backup opened its end
    ASSERT_GE(fd, 0);
    std::thread writer([&] {
      for (size_t off = 0; off < data.size();) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n <= 0) break;  // the backup was killed
        off += static_cast<size_t>(n);
      }
    });
    // Polls for the condition, with a deadline so that a backup that never writes a pack fails the test.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (after_a_pack && packs() <= before && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_FALSE(after_a_pack && packs() <= before) << "round " << round << ": no pack appeared within 5 minutes";
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    writer.join();
    ::close(fd);
    ASSERT_TRUE(WIFSIGNALED(status)) << "round " << round << ": the backup cannot finish before its input ends";
    killed_after_a_pack += after_a_pack;
    auto list = Dr("--json backup list");
    ASSERT_EQ(list.exit_code, 0) << list.err;
    EXPECT_EQ(list.out.find("\"" + id + "\""), std::string::npos) << "round " << round << ": a killed backup is listed";
    auto check = Dr("repo check");
    EXPECT_EQ(check.exit_code, 0) << "round " << round << ": " << check.err;
  }
  ASSERT_EQ(killed_after_a_pack, 6);
  auto final_backup = Dr("--json backup create --id final --files " + dir_ / "data");
  ASSERT_EQ(final_backup.exit_code, 0) << final_backup.err;
  json j = json::parse(final_backup.out);
  // Each killed backup left at least one durable pack (~16 MiB) of its round's data.
  EXPECT_LE(j["new_bytes"].get<uint64_t>(), j["size_bytes"].get<uint64_t>() - 6 * (12u << 20))
      << "the next backup deduplicates against what the killed ones wrote";
  EXPECT_EQ(Dr("verify final --full").exit_code, 0);
  EXPECT_EQ(Dr("repo check --read-data").exit_code, 0);
}

TEST_F(FaultTest, TwoBackupsAtOnceBothSucceedAndRestore) {
  WriteFile(dir_ / "a/shared.bin", RandomData(6 << 20, 25));
  WriteFile(dir_ / "a/only-a.csv", TextData(2 << 20, 26));
  WriteFile(dir_ / "b/shared.bin", RandomData(6 << 20, 25));
  WriteFile(dir_ / "b/only-b.csv", TextData(2 << 20, 27));
  ASSERT_EQ(Dr("repo init").exit_code, 0);
  pid_t a = Spawn("-c " + config_ + " -q backup create --id conc_a --files " + dir_ / "a");
  pid_t b = Spawn("-c " + config_ + " -q backup create --id conc_b --files " + dir_ / "b");
  int sa = 0, sb = 0;
  ::waitpid(a, &sa, 0);
  ::waitpid(b, &sb, 0);
  ASSERT_TRUE(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
  ASSERT_TRUE(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
  ASSERT_EQ(Dr("restore conc_a --target " + dir_ / "ra").exit_code, 0);
  ASSERT_EQ(Dr("restore conc_b --target " + dir_ / "rb").exit_code, 0);
  EXPECT_EQ(ReadFileOrDie(dir_ / "ra" + dir_.path() + "/a/shared.bin"), RandomData(6 << 20, 25));
  EXPECT_EQ(ReadFileOrDie(dir_ / "ra" + dir_.path() + "/a/only-a.csv"), TextData(2 << 20, 26));
  EXPECT_EQ(ReadFileOrDie(dir_ / "rb" + dir_.path() + "/b/only-b.csv"), TextData(2 << 20, 27));
  EXPECT_EQ(Dr("repo check --read-data").exit_code, 0);
}

// A real full filesystem: a 6 MiB tmpfs holds the repository.
TEST_F(FaultTest, DiskFullIsExit6AndTheRepositoryStaysConsistent) {
  std::string mnt = dir_ / "small";
  ScopedTmpfs tmpfs(mnt, "6m");
  ASSERT_TRUE(tmpfs.mounted()) << tmpfs.error();
  repo_ = mnt + "/repo";
  WriteConfig();
  WriteFile(dir_ / "small.csv", TextData(1 << 20, 28));
  InitRepo();
  ASSERT_EQ(Dr("backup create --id fits --files " + dir_ / "small.csv").exit_code, 0);
  WriteFile(dir_ / "big/big.bin", RandomData(12 << 20, 29));
  auto r = Dr("backup create --id too_big --files " + dir_ / "big");
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_THAT(r.err, HasSubstr("No space left on device"));
  EXPECT_THAT(r.err, HasSubstr(mnt));
  auto check = Dr("repo check");
  EXPECT_EQ(check.exit_code, 0) << check.err;
  auto list = Dr("--json backup list");
  EXPECT_THAT(list.out, ::testing::Not(HasSubstr("too_big")));
  ASSERT_EQ(Dr("restore fits --target " + dir_ / "out").exit_code, 0);
  EXPECT_EQ(ReadFileOrDie(dir_ / "out" + dir_.path() + "/small.csv"), TextData(1 << 20, 28));
}

TEST_F(FaultTest, RestoreRefusesToOverwriteUnlessAsked) {
  WriteFile(dir_ / "f.txt", "new");
  InitRepo();
  ASSERT_EQ(Dr("backup create --id b1 --stdin f.txt < " + dir_ / "f.txt").exit_code, 0);
  WriteFile(dir_ / "out/f.txt", "precious");
  auto r = Dr("restore b1 --target " + dir_ / "out");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("'" + dir_ / "out/f.txt" + "' already exists"));
  EXPECT_THAT(r.err, HasSubstr("use --overwrite to replace existing files"));
  EXPECT_EQ(ReadFileOrDie(dir_ / "out/f.txt"), "precious");
  ASSERT_EQ(Dr("restore b1 --overwrite --target " + dir_ / "out").exit_code, 0);
  EXPECT_EQ(ReadFileOrDie(dir_ / "out/f.txt"), "new");
}

TEST_F(FaultTest, UnencryptedRepositoryIsSaidLoudly) {
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  enabled: false\n");
  auto init = Dr("repo init");
  ASSERT_EQ(init.exit_code, 0);
  EXPECT_THAT(init.err, HasSubstr("WARNING: creating an UNENCRYPTED repository"));
  WriteFile(dir_ / "f.txt", "plain");
  auto b = Dr("backup create --id b1 --files " + dir_ / "f.txt");
  ASSERT_EQ(b.exit_code, 0);
  EXPECT_THAT(b.err, HasSubstr("is NOT encrypted"));
  EXPECT_EQ(Dr("verify b1 --full").exit_code, 0);
}

TEST_F(FaultTest, EveryCommandHasHelp) {
  for (std::string cmd : {"", "repo", "repo init", "repo check", "backup", "backup create", "backup list",
                          "backup show", "backup delete", "restore", "verify", "key", "key generate", "config",
                          "config check", "config reference"}) {
    auto r = RunDr(cmd + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_THAT(r.out, HasSubstr("Usage")) << cmd;
  }
  auto unknown = RunDr("frobnicate");
  EXPECT_EQ(unknown.exit_code, 2);
}

}  // namespace
}  // namespace dr::test
