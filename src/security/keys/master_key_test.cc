#include "security/keys/master_key.h"

#include <sys/stat.h>

#include <cstdlib>

#include "base/encoding.h"
#include "test/support/test_support.h"

namespace dr::security {
namespace {

using test::StatusIs;
using ::testing::HasSubstr;

class MasterKeyTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv(kKeyEnvVar); }
  void TearDown() override { ::unsetenv(kKeyEnvVar); }
  test::TempDir dir_;
};

TEST_F(MasterKeyTest, FromEnvironment) {
  std::string key(32, '\x07');
  ::setenv(kKeyEnvVar, Base64Encode(key).c_str(), 1);
  auto k = LoadMasterKey({}, false);
  ASSERT_OK(k);
  EXPECT_EQ(k->bytes, key);
}

TEST_F(MasterKeyTest, EnvironmentKeyOfTheWrongLength) {
  ::setenv(kKeyEnvVar, Base64Encode(std::string(16, 'a')).c_str(), 1);
  auto k = LoadMasterKey({}, false);
  EXPECT_THAT(k, StatusIs(Code::kConfig));
  EXPECT_EQ(k.status().message(), "environment variable ECAP_BACKUP_ENCRYPTION_KEY must be base64 of 32 bytes, got 16 bytes");
  ::setenv(kKeyEnvVar, "not base64!", 1);
  EXPECT_THAT(LoadMasterKey({}, false).status().message(), HasSubstr("is not valid base64"));
}

TEST_F(MasterKeyTest, GeneratedWithMode0600AndNeverOverwritten) {
  std::string path = dir_ / "keys/sub/backup.key";
  auto k = LoadMasterKey({.enabled = true, .auto_generate_key = true, .key_file = path}, /*allow_generate=*/true);
  ASSERT_OK(k);
  EXPECT_TRUE(k->generated);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = LoadMasterKey({.enabled = true, .auto_generate_key = true, .key_file = path}, true);
  ASSERT_OK(again);
  EXPECT_FALSE(again->generated);
  EXPECT_EQ(again->bytes, k->bytes);
  auto overwrite = GenerateKeyFile(path);
  EXPECT_THAT(overwrite, StatusIs(Code::kAlreadyExists));
  EXPECT_EQ(overwrite.status().message(), "key file '" + path + "' already exists; refusing to overwrite it");
}

TEST_F(MasterKeyTest, MissingKeyFileIsNotGeneratedOutsideInit) {
  std::string path = dir_ / "missing.key";
  auto k = LoadMasterKey({.enabled = true, .auto_generate_key = true, .key_file = path}, /*allow_generate=*/false);
  EXPECT_THAT(k, StatusIs(Code::kConfig));
  EXPECT_THAT(k.status().message(), HasSubstr("does not exist"));
}

TEST_F(MasterKeyTest, KeyFileOfTheWrongLength) {
  std::string path = dir_ / "short.key";
  test::WriteFile(path, Base64Encode(std::string(31, 'x')) + "\n");
  auto k = LoadMasterKey({.enabled = true, .auto_generate_key = false, .key_file = path}, false);
  EXPECT_THAT(k, StatusIs(Code::kConfig));
  EXPECT_EQ(k.status().message(), "key file '" + path + "' must be base64 of 32 bytes, got 31 bytes");
}

TEST_F(MasterKeyTest, UnreadableKeyFile) {
  std::string path = dir_ / "a-directory.key";
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  auto k = LoadMasterKey({.enabled = true, .auto_generate_key = false, .key_file = path}, false);
  EXPECT_THAT(k, StatusIs(Code::kConfig));
  EXPECT_THAT(k.status().message(), HasSubstr("unable to read key file"));
  EXPECT_THAT(k.status().message(), HasSubstr(path));
}

TEST_F(MasterKeyTest, NoKeyAtAll) {
  auto k = LoadMasterKey({}, false);
  EXPECT_THAT(k, StatusIs(Code::kConfig));
  EXPECT_THAT(k.status().message(), HasSubstr("no encryption key"));
}

}  // namespace
}  // namespace dr::security
