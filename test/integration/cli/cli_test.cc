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
