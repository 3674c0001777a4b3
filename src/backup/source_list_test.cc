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

}  // namespace
}  // namespace dr::backup
