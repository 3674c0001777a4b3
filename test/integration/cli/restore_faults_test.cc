// The restore and verify path under fire, through the real binary: a pack
// zero-filled at its size or with flipped bytes, a target disk that fills up,
// stdout on a full device, and an interrupted restore. None may crash (exit
// code >= 128); each has its documented exit code, names the backup, the item
// and the object, and leaves no partial file behind.
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "test/integration/cli/cli_harness.h"

namespace dr::test {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class RestoreFaultTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    ASSERT_EQ(Dr("repo init").exit_code, 0);
    // Larger than the restore's read-ahead window, in several packs.
    WriteFile(dir_ / "data/big.bin", RandomData(40 << 20, 61));
    WriteFile(dir_ / "data/small.txt", "small");
    auto r = Dr("backup create --id b1 --files " + dir_ / "data");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    item_ = (dir_ / "data/big.bin").substr(1);
  }
  // The packs of data; the backup's item list (snapshot format 2) is in a
  // pack of its own, of a few KiB (ListPack).
  std::vector<std::string> Packs() const {
    std::vector<std::string> packs;
    for (auto& e : fs::recursive_directory_iterator(repo_ + "/data")) {
      if (e.is_regular_file() && e.file_size() > kListPackMax) packs.push_back(e.path().string());
    }
    std::sort(packs.begin(), packs.end());
    return packs;
  }
  std::string ListPack() const {
    std::vector<std::string> packs;
    for (auto& e : fs::recursive_directory_iterator(repo_ + "/data")) {
      if (e.is_regular_file() && e.file_size() <= kListPackMax) packs.push_back(e.path().string());
    }
    EXPECT_EQ(packs.size(), 1u);
    return packs.empty() ? "" : packs[0];
  }
  static constexpr uintmax_t kListPackMax = 64 << 10;
  static std::vector<std::string> RegularFiles(const std::string& root) {
    std::vector<std::string> out;
    if (!fs::exists(root)) return out;
    for (auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) out.push_back(e.path().string());
    }
    return out;
  }
  // Runs every reader of the damaged repository; none may crash or restore anything.
  void ExpectCleanFailures(const std::string& pack_id, bool quick_sees_it) {
    for (const char* cmd : {"verify b1 --full", "restore b1 --target OUT", "repo check --read-data"}) {
      std::string args = cmd;
      if (auto p = args.find("OUT"); p != std::string::npos) args.replace(p, 3, dir_ / "out");
      auto r = Dr(args);
      EXPECT_EQ(r.exit_code, 4) << args << ": " << r.err;
      EXPECT_THAT(r.err, HasSubstr(pack_id.substr(0, 12))) << args;
    }
    auto restore = Dr("restore b1 --target " + dir_ / "out");
    EXPECT_THAT(restore.err, HasSubstr("backup 'b1'"));
    EXPECT_THAT(restore.err, HasSubstr("item '" + item_ + "'"));
    EXPECT_THAT(restore.err, HasSubstr("blob '"));
    for (const auto& f : RegularFiles(dir_ / "out")) {
      EXPECT_THAT(f, ::testing::Not(HasSubstr("big.bin"))) << "partial output left: " << f;
      EXPECT_THAT(f, ::testing::Not(HasSubstr(".ecap-dr-partial-"))) << "partial output left: " << f;
    }
    for (const char* cmd : {"verify b1", "repo check"}) {
      auto r = Dr(cmd);
      EXPECT_EQ(r.exit_code, quick_sees_it ? 4 : 0) << cmd << ": " << r.err;
      if (quick_sees_it) {
        EXPECT_THAT(r.err, HasSubstr(pack_id.substr(0, 12))) << cmd;
      }
    }
  }

  std::string item_;
};

TEST_F(RestoreFaultTest, AZeroFilledPackIsCorruptForEveryReaderAndTheQuickChecks) {
  auto packs = Packs();
  ASSERT_GE(packs.size(), 3u);
  std::string pack = packs[packs.size() / 2];
  uint64_t size = fs::file_size(pack);
  {
    std::ofstream f(pack, std::ios::binary | std::ios::trunc);
    std::string zeros(size, '\0');
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }
  ASSERT_EQ(fs::file_size(pack), size);
  ExpectCleanFailures(fs::path(pack).filename(), /*quick_sees_it=*/true);
}

TEST_F(RestoreFaultTest, TwoFlippedBytesAreCorruptAndNeverRestored) {
  auto packs = Packs();
  for (const std::string& pack : {packs.front(), packs.back()}) {
    fs::copy_file(pack, dir_ / "saved", fs::copy_options::overwrite_existing);
    FlipByte(pack, 100);
    FlipByte(pack, fs::file_size(pack) / 2);
    ExpectCleanFailures(fs::path(pack).filename(), /*quick_sees_it=*/false);
    fs::copy_file(dir_ / "saved", pack, fs::copy_options::overwrite_existing);
    fs::remove_all(dir_ / "out");
  }
  auto r = Dr("restore b1 --target " + dir_ / "out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFileOrDie(dir_ / "out/" + item_), RandomData(40 << 20, 61));
}

// The item list is what names the items: damaged, nothing can be restored,
// and every reader says which list, of which backup, in which pack.
TEST_F(RestoreFaultTest, ADamagedItemListIsCorruptForEveryReader) {
  std::string pack = ListPack();
  std::string pack_id = fs::path(pack).filename();
  FlipByte(pack, 40);
  for (const char* cmd : {"verify b1", "verify b1 --full", "restore b1 --target OUT", "repo check", "backup show b1"}) {
    std::string args = cmd;
    if (auto p = args.find("OUT"); p != std::string::npos) args.replace(p, 3, dir_ / "out");
    auto r = Dr(args);
    EXPECT_EQ(r.exit_code, 4) << args << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("item list of component 'files'")) << args;
    EXPECT_THAT(r.err, HasSubstr(pack_id.substr(0, 12))) << args;
  }
  EXPECT_TRUE(RegularFiles(dir_ / "out").empty());
  auto listed = Dr("backup list");
  EXPECT_EQ(listed.exit_code, 0) << "a listing reads no item: " << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("b1"));
  fs::remove(pack);
  auto missing = Dr("--json verify b1");
  EXPECT_EQ(missing.exit_code, 4) << missing.err;
  EXPECT_THAT(missing.out, HasSubstr("which is missing"));
  EXPECT_THAT(missing.out, HasSubstr(pack_id));
  auto restore = Dr("restore b1 --target " + dir_ / "out");
  EXPECT_EQ(restore.exit_code, 4) << restore.err;
  EXPECT_THAT(restore.err, HasSubstr("pack is missing"));
}

TEST_F(RestoreFaultTest, ARestoreOntoAFullDiskIsExit6AndLeavesNoPartialFile) {
  std::string mnt = dir_ / "small";
  ScopedTmpfs tmpfs(mnt, "16m");
  ASSERT_TRUE(tmpfs.mounted()) << tmpfs.error();
  auto r = Dr("restore b1 --target " + mnt + "/out");
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_THAT(r.err, HasSubstr("No space left on device"));
  EXPECT_THAT(r.err, HasSubstr("backup 'b1'"));
  EXPECT_THAT(r.err, HasSubstr(item_));
  for (const auto& f : RegularFiles(mnt)) {
    EXPECT_THAT(f, ::testing::Not(HasSubstr("big.bin"))) << "partial output left: " << f;
    EXPECT_THAT(f, ::testing::Not(HasSubstr(".ecap-dr-partial-"))) << "partial output left: " << f;
  }
  auto small = Dr("restore b1 --item " + (dir_ / "data/small.txt").substr(1) + " --target " + mnt + "/out");
  EXPECT_EQ(small.exit_code, 0) << "what fits still restores: " << small.err;
}

TEST_F(RestoreFaultTest, StdoutOnAFullDeviceIsExit6) {
  // Not through Dr(): it sends stdout to a file of its own.
  std::string cmd = DrBinary() + " -c " + config_ + " restore b1 --item " + item_ +
                    " --stdout >/dev/full 2>" + dir_ / "err";
  int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 6);
  std::string err = ReadFileOrDie(dir_ / "err");
  EXPECT_THAT(err, HasSubstr("No space left on device"));
  EXPECT_THAT(err, HasSubstr(item_));
}

TEST_F(RestoreFaultTest, AnInterruptedRestoreStopsCleanlyWithItsExitCode) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string cmd = "exec " + DrBinary() + " -c " + config_ + " restore b1 --item " + item_ +
                    " --stdout 2>" + dir_ / "err";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  // Read the first MiB: the restore is under way and blocked on the pipe.
  std::string buf(1 << 16, '\0');
  size_t got = 0;
  while (got < (1u << 20)) {
    ssize_t n = ::read(fds[0], buf.data(), buf.size());
    ASSERT_GT(n, 0);
    got += static_cast<size_t>(n);
  }
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  // Wait until the signal was delivered (no longer pending), then drain.
  for (;;) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    bool pending = false;
    while (std::getline(status, line)) {
      if (line.rfind("ShdPnd:", 0) == 0 || line.rfind("SigPnd:", 0) == 0) {
        pending |= std::stoull(line.substr(7), nullptr, 16) != 0;
      }
    }
    if (!pending) break;
  }
  while (::read(fds[0], buf.data(), buf.size()) > 0) {
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::string err = ReadFileOrDie(dir_ / "err");
  EXPECT_THAT(err, HasSubstr("interrupted by SIGTERM"));
  EXPECT_THAT(err, HasSubstr(item_));
}

}  // namespace
}  // namespace dr::test
