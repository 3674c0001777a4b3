// The registered sources: each registration is complete, and the manager's
// choices and messages come from the list in its order.
#include "backup/source_list.h"

#include <algorithm>

#include <gmock/gmock.h>

#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::backup {
namespace {

using ::testing::HasSubstr;

TEST(SourceListTest, EveryComponentRegistersOnceInTheDefaultOrder) {
  EXPECT_EQ(KnownSourceNames(), "files, postgresql, s3, kafka");
  for (const auto& s : Sources()) {
    EXPECT_EQ(FindSource(s.name), &s);
    EXPECT_FALSE(s.setting.empty()) << s.name;
    EXPECT_TRUE(s.configured && s.check && s.make && s.mode_for && s.restore) << s.name;
    ASSERT_FALSE(s.modes.empty()) << s.name;
    for (const auto& o : s.options) {
      for (const auto& m : o.modes) {
        bool own = std::any_of(s.modes.begin(), s.modes.end(), [&](const auto& x) { return x.id == m; });
        EXPECT_TRUE(own) << s.name << " option " << o.flag << " names mode " << m << " it does not declare";
      }
    }
  }
  EXPECT_EQ(FindSource("ftp"), nullptr);
}

TEST(SourceListTest, AnEmptyRequestGivesNoOptionOfAnySource) {
  for (const auto& s : Sources()) {
    for (const auto& o : s.options) EXPECT_FALSE(o.given(RestoreRequest{})) << s.name << " " << o.flag;
  }
}

TEST(SourceListTest, ChoicesAndMessagesFollowTheList) {
  config::Config config;
  BackupManager manager(config, {.backend = storage::NewMemoryBackend()});
  auto nothing = manager.CreateFullBackup("x");
  EXPECT_EQ(nothing.error.message(),
            "nothing to back up: give --files or --stdin, or configure files.paths, postgresql, s3.buckets or kafka");
  auto unknown = manager.CreateFullBackup("x", {.components = {"ftp"}});
  EXPECT_EQ(unknown.error.message(), "unknown component 'ftp' (known: files, postgresql, s3, kafka)");
  auto s3 = manager.CreateFullBackup("x", {.components = {"s3"}});
  EXPECT_EQ(s3.error.code(), Code::kConfig);
  EXPECT_THAT(s3.error.message(), HasSubstr("component 's3' needs s3.buckets"));
  auto kafka = manager.CreateFullBackup("x", {.components = {"kafka"}});
  EXPECT_THAT(kafka.error.message(), HasSubstr("component 'kafka' needs kafka.bootstrap_servers"));
  auto pg = manager.CreateFullBackup("x", {.components = {"postgresql"}});
  EXPECT_THAT(pg.error.message(), HasSubstr("component 'postgresql' needs the postgresql section"));
  auto files = manager.CreateFullBackup("x", {.components = {"files"}});
  EXPECT_EQ(files.error.code(), Code::kInvalidArgument);
  EXPECT_THAT(files.error.message(), HasSubstr("nothing to back up for component 'files'"));
}

// `except` leaves components out of the default choice (a region failover's
// first backup, whose brokers are lost): the configured Kafka is not tried;
// an unknown name is refused, and leaving everything out is nothing to back up.
TEST(SourceListTest, ExceptLeavesAConfiguredComponentOut) {
  test::TempDir dir;
  test::WriteFile(dir / "data/a.txt", "a");
  config::Config config;
  config.files.paths = {dir / "data"};
  config.kafka_configured = true;
  config.kafka.bootstrap_servers = "127.0.0.1:1";  // nothing listens: a backup that tried it would fail
  config.encryption.enabled = false;  // (no key in a unit test: not what is tested)
  BackupManager manager(config, {.backend = storage::NewMemoryBackend()});
  auto unknown = manager.CreateFullBackup("x", {.except = {"ftp"}});
  EXPECT_EQ(unknown.error.message(), "unknown component 'ftp' to leave out (known: files, postgresql, s3, kafka)");
  auto r = manager.CreateFullBackup("without-kafka", {.except = {"kafka"}, .init_repository = true});
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].name, "files");
  auto none = manager.CreateFullBackup("y", {.except = {"files", "kafka"}});
  EXPECT_THAT(none.error.message(), HasSubstr("nothing to back up"));
}

}  // namespace
}  // namespace dr::backup
