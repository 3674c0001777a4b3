#include "test/conformance/source_suite.h"

#include <cstdlib>

#include "base/encoding.h"
#include "storage/memory/memory_backend.h"

namespace dr::test {

void SourceConformance::SetUp() {
  ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'S')).c_str(), 1);
  harness_ = GetParam().make();
  ASSERT_TRUE(harness_ != nullptr);
  repository_ = storage::NewMemoryBackend();
  harness_->Prepare(config_, dir_.path());
  if (HasFatalFailure()) return;
  auto init = Manager()->InitRepository();
  ASSERT_TRUE(init.ok()) << init.status().ToString();
}

void SourceConformance::TearDown() { ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY"); }

std::unique_ptr<backup::BackupManager> SourceConformance::Manager() {
  backup::ManagerOptions options;
  options.backend = BorrowBackend(*repository_);
  harness_->Configure(options);
  return std::make_unique<backup::BackupManager>(config_, std::move(options));
}

SourceHarness::Counts SourceConformance::Backup(const std::string& id) {
  const std::string component = harness_->component();
  auto manager = Manager();
  auto backup = manager->CreateFullBackup(id, {.components = {component}});
  EXPECT_EQ(backup.status, "completed") << backup.error.ToString();
  EXPECT_EQ(backup.components.size(), 1u);
  if (backup.components.size() != 1) return {};
  EXPECT_EQ(backup.components[0].name, component);
  EXPECT_GT(backup.components[0].items, 0u);
  auto snap = manager->GetBackup(id);
  EXPECT_TRUE(snap.ok()) << snap.status().ToString();
  if (!snap.ok() || snap->components.size() != 1) return {};
  return harness_->Expected(snap->components[0]);
}

// The contract's core: what was backed up comes back, byte for byte, and the
// result counts it as the source says.
TEST_P(SourceConformance, BackupRestoreCompare) {
  auto original = harness_->Original();
  ASSERT_FALSE(original.empty()) << "the harness prepared no data";
  auto expected = Backup("c1");
  ASSERT_FALSE(HasFailure());

  auto manager = Manager();
  auto request = harness_->RestoreTo(1);
  request.components = {harness_->component()};
  auto restored = manager->RestoreBackup("c1", request);
  ASSERT_EQ(restored.status, "completed") << restored.error.ToString();
  EXPECT_EQ(harness_->Restored(1), original);
  EXPECT_EQ(restored.items_restored, expected.items);
  EXPECT_EQ(restored.bytes_restored, expected.bytes);
  auto json = restored.ToJson();
  EXPECT_EQ(json["status"], "completed");
  EXPECT_EQ(json["items_restored"], restored.items_restored);
  EXPECT_EQ(json["bytes_restored"], restored.bytes_restored);
  EXPECT_TRUE(manager->VerifyBackupIntegrity("c1", /*full=*/true).verification.ok());
}

// With no --component, a backup holding only this source restores it.
TEST_P(SourceConformance, TheOnlyComponentIsRestoredWithoutNamingIt) {
  Backup("c1");
  ASSERT_FALSE(HasFailure());
  auto restored = Manager()->RestoreBackup("c1", harness_->RestoreTo(1));
  ASSERT_EQ(restored.status, "completed") << restored.error.ToString();
  EXPECT_EQ(harness_->Restored(1), harness_->Original());
}

// A second backup after a change (incremental for the sources that are)
// restores the new state, and the first backup still restores the old one.
TEST_P(SourceConformance, EachBackupRestoresItsOwnState) {
  const std::string component = harness_->component();
  auto before = harness_->Original();
  auto expected1 = Backup("c1");
  ASSERT_FALSE(HasFailure());
  harness_->Change();
  ASSERT_FALSE(HasFailure());
  auto after = harness_->Original();
  ASSERT_NE(after, before) << "Change() changed nothing";
  auto expected2 = Backup("c2");
  ASSERT_FALSE(HasFailure());

  auto request = harness_->RestoreTo(1);
  request.components = {component};
  auto r2 = Manager()->RestoreBackup("c2", request);
  ASSERT_EQ(r2.status, "completed") << r2.error.ToString();
  EXPECT_EQ(harness_->Restored(1), after);
  EXPECT_EQ(r2.items_restored, expected2.items);
  EXPECT_EQ(r2.bytes_restored, expected2.bytes);

  request = harness_->RestoreTo(2);
  request.components = {component};
  auto r1 = Manager()->RestoreBackup("c1", request);
  ASSERT_EQ(r1.status, "completed") << r1.error.ToString();
  EXPECT_EQ(harness_->Restored(2), before);
  EXPECT_EQ(r1.items_restored, expected1.items);
  EXPECT_EQ(r1.bytes_restored, expected1.bytes);
}

// A component the backup lacks is named in the error, and nothing is restored.
TEST_P(SourceConformance, AComponentTheBackupLacksIsNotFound) {
  Backup("c1");
  ASSERT_FALSE(HasFailure());
  auto manager = Manager();
  std::string other = harness_->component() == "files" ? "kafka" : "files";
  auto restored = manager->RestoreBackup("c1", {.components = {other}});
  EXPECT_EQ(restored.status, "failed");
  EXPECT_EQ(restored.error.code(), Code::kNotFound);
  EXPECT_NE(restored.error.message().find("has no component '" + other + "'"), std::string::npos)
      << restored.error.message();
}

}  // namespace dr::test
