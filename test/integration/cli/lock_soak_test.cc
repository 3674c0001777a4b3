// Backups and `retention apply` (with prune) from separate processes, at the
// same time, for many rounds: whatever interleaving the scheduler picks, every
// backup that says it completed restores, and the repository checks clean.
// A process that finds the other side's lock steps back (exit 1, naming the holder).
#include <future>

#include <nlohmann/json.hpp>

#include "test/integration/cli/cli_harness.h"

namespace dr::test {
namespace {

class LockSoakTest : public CliFixture {};

TEST_F(LockSoakTest, BackupsAndPrunesRacingForManyRoundsLeaveEveryBackupWhole) {
  InitRepo();
  std::string src = dir_ / "src";
  for (int f = 0; f < 4; ++f) WriteFile(src + "/f" + std::to_string(f), RandomData(1 << 20, 100 + f));
  int backups_ok = 0, prunes_ok = 0, locked = 0;
  constexpr int kRounds = 15;
  for (int round = 0; round < kRounds; ++round) {
    // Each round changes one file: new data for the backups, old data for prune to free.
    WriteFile(src + "/f" + std::to_string(round % 4), RandomData(1 << 20, 1000 + round));
    auto backup = [&](int n) {
      return Dr("backup create --id r" + std::to_string(round) + "_" + std::to_string(n) + " --files " + src);
    };
    auto a = std::async(std::launch::async, backup, 1);
    auto prune = std::async(std::launch::async, [&] { return Dr("retention apply --keep-last 2"); });
    auto b = std::async(std::launch::async, backup, 2);
    for (auto* f : {&a, &b, &prune}) {
      RunResult r = f->get();
      bool is_prune = f == &prune;
      if (r.exit_code == 0) {
        (is_prune ? prunes_ok : backups_ok)++;
      } else {
        ASSERT_EQ(r.exit_code, 1) << r.err;
        ASSERT_TRUE(r.err.find("is locked by") != std::string::npos || r.err.find("is in use by") != std::string::npos)
            << r.err;
        ++locked;
      }
    }
  }
  // How the races went is up to the scheduler (printed below); what must hold
  // is not: alone, each side goes through, and then everything checks clean.
  auto last = Dr("backup create --id last --files " + src);
  ASSERT_EQ(last.exit_code, 0) << last.err;
  auto retention = Dr("retention apply --keep-last 2");
  ASSERT_EQ(retention.exit_code, 0) << retention.err;
  auto check = Dr("repo check --read-data");
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  auto list = Dr("backup list --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto backups = nlohmann::json::parse(list.out).at("backups");
  ASSERT_FALSE(backups.empty());
  for (const auto& b : backups) {
    std::string id = b.at("backup_id");
    auto verify = Dr("verify " + id + " --full");
    EXPECT_EQ(verify.exit_code, 0) << id << ": " << verify.out << verify.err;
  }
  std::cerr << "rounds " << kRounds << ": " << backups_ok << " backups and " << prunes_ok
            << " prunes completed, " << locked << " stepped back\n";
}

}  // namespace
}  // namespace dr::test
