// A repository written by format version 1 (test/fixtures/repo-v1.tar.gz, master
// key = 32 bytes of 'f') must restore byte for byte with every later version.
// Never regenerate the fixture to make this pass: that would hide a format break.
#include <nlohmann/json.hpp>

#include "test/integration/cli/cli_harness.h"

namespace dr::test {
namespace {

TEST(FormatFixture, Version1RepositoryStillRestores) {
  TempDir dir;
  std::string tarball = std::string(DR_SOURCE_DIR) + "/test/fixtures/repo-v1.tar.gz";
  ASSERT_EQ(std::system(("tar -xzf " + tarball + " -C " + dir.path()).c_str()), 0);
  WriteFile(dir / "c.yaml", "backup_manager:\n  backup_dir: \"" + dir / "repo" + "\"\n");
  std::string key = "ECAP_BACKUP_ENCRYPTION_KEY=ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=";
  auto verify = RunDr("-c " + dir / "c.yaml" + " --json verify fixture_v1 --full", key);
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(nlohmann::json::parse(verify.out)["verification_results"]["overall_status"], "passed");
  auto restore = RunDr("-c " + dir / "c.yaml" + " restore fixture_v1 --item orders.csv --stdout", key);
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(restore.out.size(), 564482u);
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    char line[96];
    std::snprintf(line, sizeof line, "%d,customer%d,%d.%02d,EUR\n", i, i * 7919 % 1000, (i * 31) % 997, i % 100);
    expected += line;
  }
  EXPECT_EQ(restore.out, expected);
  EXPECT_EQ(RunDr("-c " + dir / "c.yaml" + " repo check --read-data", key).exit_code, 0);

  // Until it is upgraded, a backup written into it is format 1 (no item list)...
  WriteFile(dir / "new.csv", expected);
  auto v1 = RunDr("-c " + dir / "c.yaml" + " --json backup create --id new_v1 --files " + dir / "new.csv", key);
  ASSERT_EQ(v1.exit_code, 0) << v1.err;
  EXPECT_EQ(nlohmann::json::parse(v1.out)["metadata_bytes"], 0) << "format 1: the items are in the manifest";
  // ... and after `repo upgrade`, format 2; every backup reads, and the data is shared.
  auto upgrade = RunDr("-c " + dir / "c.yaml" + " --json repo upgrade", key);
  ASSERT_EQ(upgrade.exit_code, 0) << upgrade.err;
  EXPECT_EQ(nlohmann::json::parse(upgrade.out)["from_version"], 1);
  EXPECT_EQ(nlohmann::json::parse(upgrade.out)["version"], 2);
  auto again_up = RunDr("-c " + dir / "c.yaml" + " repo upgrade", key);
  EXPECT_EQ(again_up.exit_code, 0) << again_up.err;
  EXPECT_NE(again_up.out.find("nothing to do"), std::string::npos) << again_up.out;
  auto backup = RunDr("-c " + dir / "c.yaml" + " --json backup create --id new_v2 --files " + dir / "new.csv", key);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_EQ(nlohmann::json::parse(backup.out)["new_bytes"], 0) << "the same bytes as the v1 backup's orders.csv";
  EXPECT_GT(nlohmann::json::parse(backup.out)["metadata_bytes"].get<int>(), 0) << "format 2: an item list";
  auto listed = RunDr("-c " + dir / "c.yaml" + " --json backup list", key);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("fixture_v1"), std::string::npos);
  EXPECT_NE(listed.out.find("new_v1"), std::string::npos);
  EXPECT_NE(listed.out.find("new_v2"), std::string::npos);
  auto again = RunDr("-c " + dir / "c.yaml" + " restore fixture_v1 --item orders.csv --stdout", key);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, expected);
  for (const char* id : {"new_v1", "new_v2"}) {
    std::string out = dir / (std::string("out-") + id);
    ASSERT_EQ(RunDr("-c " + dir / "c.yaml" + " restore " + id + " --target " + out, key).exit_code, 0) << id;
    EXPECT_EQ(ReadFileOrDie(out + dir.path() + "/new.csv"), expected) << id;
  }
  EXPECT_EQ(RunDr("-c " + dir / "c.yaml" + " repo check --read-data", key).exit_code, 0);
}

}  // namespace
}  // namespace dr::test
