// Runs the real ecap-dr binary (DrBinary()) as a user would, in a fresh
// directory with its own configuration, repository and key file.
#pragma once

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test/support/dr_binary.h"
#include "test/support/test_support.h"

namespace dr::test {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `ecap-dr ARGS` through /bin/sh, so ARGS may redirect; env is prefixed ("VAR=x").
inline RunResult RunDr(const std::string& args, const std::string& env = "") {
  TempDir io;
  std::string cmd = env + " " + DrBinary() + " " + args + " >" + io / "out" + " 2>" + io / "err";
  int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFileOrDie(io / "out");
  r.err = ReadFileOrDie(io / "err");
  return r;
}

// Starts `ecap-dr ARGS` in the background; returns the pid of ecap-dr itself.
// The command is built before fork: the child of a threaded process may only
// call async-signal-safe functions (a malloc there can deadlock on a lock
// another thread held at the fork).
inline pid_t Spawn(const std::string& args) {
  std::string cmd = "exec " + DrBinary() + " " + args + " >/dev/null 2>&1";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// "id:state" of each step of a runbook's execution_log, in order.
inline std::vector<std::string> StepStates(const nlohmann::json& execution_log) {
  std::vector<std::string> out;
  for (const auto& s : execution_log["steps"]) out.push_back(s["id"].get<std::string>() + ":" + s["state"].get<std::string>());
  return out;
}

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY");
    ::unsetenv("ECAP_DR_CONFIG");
    repo_ = dir_ / "repo";
    key_ = dir_ / "keys/backup.key";
    config_ = dir_ / "ecap-dr.yaml";
    WriteConfig();
  }
  void WriteConfig() {
    WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  enabled: true\n"
                       "  auto_generate_key: true\n  key_file: \"" + key_ + "\"\n");
  }
  RunResult Dr(const std::string& args, const std::string& env = "") { return RunDr("-c " + config_ + " " + args, env); }
  // `repo init`, unless the repository exists: every test calls it before its first backup.
  void InitRepo() {
    if (std::filesystem::exists(repo_ + "/config")) return;
    auto init = Dr("repo init");
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }

  // Every file under root with its size: to prove that nothing was written.
  static std::set<std::string> ListTree(const std::string& root) {
    std::set<std::string> out;
    for (auto& e : std::filesystem::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) out.insert(e.path().string() + ":" + std::to_string(e.file_size()));
    }
    return out;
  }
  // The path of the repository's only pack (fails the test if there is not exactly one).
  // The one pack of a small backup's data. Its item lists (snapshot format 2)
  // are in a pack of their own, a few KiB: the data pack is the larger.
  std::string DataPack() const {
    std::vector<std::pair<uintmax_t, std::string>> packs;
    for (auto& e : std::filesystem::recursive_directory_iterator(repo_ + "/data")) {
      if (e.is_regular_file()) packs.emplace_back(e.file_size(), e.path().string());
    }
    EXPECT_EQ(packs.size(), 2u) << "one pack of data, one of item lists";
    std::sort(packs.begin(), packs.end());
    return packs.empty() ? "" : packs.back().second;
  }
  static void FlipByte(const std::string& path, uint64_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x40));
  }

  TempDir dir_;
  std::string repo_, key_, config_;
};

}  // namespace dr::test
