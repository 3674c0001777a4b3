#include "config/reference.h"

#include <sstream>

#include "base/fs.h"
#include "config/options_table.h"
#include "test/support/test_support.h"

namespace dr::config {
namespace {

// docs/configuration.md is generated; this fails when the table changed and the
// file was not regenerated (or the file was edited by hand).
TEST(ConfigReferenceTest, DocsConfigurationMdIsUpToDate) {
  std::string path = std::string(DR_SOURCE_DIR) + "/docs/configuration.md";
  auto committed = ReadFile(path);
  ASSERT_OK(committed) << path;
  std::string generated = ConfigurationReferenceMarkdown();
  if (*committed == generated) return;
  // Name the first line that differs, so the failure says what drifted.
  std::istringstream a(*committed), b(generated);
  std::string la, lb;
  int line = 1;
  while (std::getline(a, la) && std::getline(b, lb) && la == lb) ++line;
  ADD_FAILURE() << "docs/configuration.md is out of date; run: ecap-dr config reference > docs/configuration.md\n"
                << "first difference at line " << line << ":\n  file:      " << la << "\n  generated: " << lb;
}

TEST(ConfigReferenceTest, NamesEveryKeyWithItsTypeAndSecrecy) {
  std::string text = ConfigurationReferenceMarkdown();
  for (const auto& o : ConfigKeys().options) {
    EXPECT_NE(text.find(std::string(o.path)), std::string::npos) << o.path;
  }
  EXPECT_NE(text.find("| `postgresql.password` | string |  |  | yes |"), std::string::npos);
  EXPECT_NE(text.find("| `postgresql.port` | integer | `5432` | 1 to 65535 |  |"), std::string::npos);
  EXPECT_NE(text.find("| `dr_coordinator.services[].type` | string |  | `postgresql`, `s3`"), std::string::npos);
  EXPECT_NE(text.find("| `replicas[].secret_access_key` | string |"), std::string::npos);
  EXPECT_NE(text.find("| `backup_manager.compression_level` | integer | `3` | 0 to 19 |"), std::string::npos);
  EXPECT_TRUE(text.ends_with("|\n")) << "one newline at the end";
}

}  // namespace
}  // namespace dr::config
