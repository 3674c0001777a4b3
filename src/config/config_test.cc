#include "config/config.h"

#include <cstdlib>

#include "base/fs.h"
#include "test/support/test_support.h"

namespace dr::config {
namespace {

using test::StatusIs;
using ::testing::HasSubstr;

// The guide's "Basic Configuration Example", copied verbatim into test/fixtures.
TEST(ConfigTest, TheGuidesExampleLoadsAsItStands) {
  ::setenv("DB_PASSWORD", "s3cret-db", 1);
  ::setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.test/T000/B000/XXXX", 1);
  auto c = LoadConfigFile(std::string(DR_SOURCE_DIR) + "/test/fixtures/guide-config.yaml");
  ASSERT_OK(c);
  EXPECT_EQ(c->backup_manager.backup_dir, "/opt/ecap/backups");
  EXPECT_EQ(c->backup_manager.retention_policies.daily, 7);
  EXPECT_EQ(c->backup_manager.retention_policies.weekly, 4);
  EXPECT_EQ(c->backup_manager.retention_policies.monthly, 12);
  EXPECT_EQ(c->aws.region, "us-west-2");
  EXPECT_EQ(c->aws.backup_region, "us-east-1");
  EXPECT_EQ(c->postgresql.port, 5432);
  EXPECT_EQ(c->postgresql.password, "s3cret-db");
  EXPECT_TRUE(c->encryption.enabled);
  EXPECT_TRUE(c->encryption.auto_generate_key);
  EXPECT_EQ(c->encryption.key_file, "/opt/ecap/keys/backup.key");
  EXPECT_EQ(c->access_control.users.at("backup_operator"),
            (std::vector<std::string>{"backup.create", "backup.list"}));
  EXPECT_EQ(c->access_control.roles.at("admin"), (std::vector<std::string>{"*"}));
  EXPECT_EQ(c->audit.log_file, "/var/log/ecap/backup-audit.log");
  EXPECT_EQ(c->alerting.rules.max_backup_age_hours, 25);
  EXPECT_EQ(c->alerting.email.to_addresses, (std::vector<std::string>{"ops-team@company.com"}));
  EXPECT_EQ(c->alerting.slack.url, "https://hooks.slack.test/T000/B000/XXXX");
  // Secrets never reach --json output.
  std::string dumped = c->ToJson(/*redact=*/true).dump();
  EXPECT_EQ(dumped.find("s3cret-db"), std::string::npos);
  EXPECT_EQ(dumped.find("hooks.slack.test"), std::string::npos);
  EXPECT_THAT(dumped, HasSubstr("\"password\":\"***\""));
}

TEST(ConfigTest, MissingEnvironmentVariableIsNamed) {
  ::unsetenv("ECAP_TEST_UNSET_VAR");
  auto c = LoadConfigString("postgresql:\n  host: db\n  password: \"${ECAP_TEST_UNSET_VAR}\"\n", "x.yaml");
  EXPECT_THAT(c, StatusIs(Code::kConfig));
  EXPECT_EQ(c.status().message(), "x.yaml:3:13: postgresql.password: environment variable ECAP_TEST_UNSET_VAR is not set");
}

TEST(ConfigTest, DefaultsInReferences) {
  ::unsetenv("ECAP_TEST_UNSET_VAR");
  auto c = LoadConfigString("backup_manager:\n  backup_dir: \"${ECAP_TEST_UNSET_VAR:-/srv/b}/repo\"\n", "x.yaml");
  ASSERT_OK(c);
  EXPECT_EQ(c->backup_manager.backup_dir, "/srv/b/repo");
}

TEST(ConfigTest, UnknownKeysAreNamedWithTheirLine) {
  auto c = LoadConfigString("backup_manager:\n  backup_dir: /b\n  retention_policy:\n    daily: 3\n", "x.yaml");
  EXPECT_THAT(c, StatusIs(Code::kConfig));
  EXPECT_EQ(c.status().message(), "x.yaml:3:3: unknown key 'retention_policy' in section 'backup_manager'");
  auto top = LoadConfigString("bakup_manager: {}\n", "y.yaml");
  EXPECT_EQ(top.status().message(), "y.yaml:1:1: unknown key 'bakup_manager'");
}

TEST(ConfigTest, WrongTypesAndBadValues) {
  EXPECT_EQ(LoadConfigString("backup_manager:\n  retention_policies:\n    daily: seven\n", "x.yaml").status().message(),
            "x.yaml:3:12: backup_manager.retention_policies.daily: expected an integer, got 'seven'");
  EXPECT_EQ(LoadConfigString("postgresql:\n  port: 70000\n", "x.yaml").status().message(),
            "x.yaml:2:9: postgresql.port: expected a value between 1 and 65535, got '70000'");
  EXPECT_EQ(LoadConfigString("encryption:\n  enabled: maybe\n", "x.yaml").status().message(),
            "x.yaml:2:12: encryption.enabled: expected true or false, got 'maybe'");
  EXPECT_EQ(LoadConfigString("access_control:\n  users:\n    bob: backup.create\n", "x.yaml").status().message(),
            "x.yaml:3:10: access_control.users.bob: expected a list of strings");
  EXPECT_EQ(LoadConfigString("aws: [1, 2]\n", "x.yaml").status().message(), "x.yaml:1:6: aws: expected a mapping of keys");
}

TEST(ConfigTest, InvalidYamlNamesTheLine) {
  auto c = LoadConfigString("backup_manager:\n  backup_dir: [unclosed\n", "x.yaml");
  EXPECT_THAT(c, StatusIs(Code::kConfig));
  EXPECT_THAT(c.status().message(), HasSubstr("x.yaml:"));
  EXPECT_THAT(c.status().message(), HasSubstr("invalid YAML"));
}

TEST(ConfigTest, EmptyFileMeansDefaults) {
  auto c = LoadConfigString("", "x.yaml");
  ASSERT_OK(c);
  EXPECT_EQ(c->backup_manager.backup_dir, "/opt/ecap/backups");
  EXPECT_TRUE(c->encryption.enabled);
}

TEST(ConfigTest, MissingFileIsAConfigError) {
  auto c = LoadConfigFile("/nonexistent/ecap-dr.yaml");
  EXPECT_THAT(c, StatusIs(Code::kConfig));
  EXPECT_THAT(c.status().message(), HasSubstr("/nonexistent/ecap-dr.yaml"));
}

}  // namespace
}  // namespace dr::config

namespace dr::config {
namespace {

TEST(ConfigTest, KafkaSectionPassesSecuritySettingsToTheClient) {
  auto c = LoadConfigString(
      "kafka:\n  bootstrap_servers: \"b1:9092,b2:9092\"\n  topics: [\"orders.*\", clickstream]\n"
      "  security: {protocol: SASL_SSL, sasl_mechanism: SCRAM-SHA-512, sasl_username: backup,\n"
      "             sasl_password: hunter2, ssl_ca_location: /etc/ca.pem}\n"
      "  properties: [\"socket.keepalive.enable=true\", \"ssl.keystore.password=p4ss\"]\n",
      "k.yaml");
  ASSERT_OK(c);
  EXPECT_TRUE(c->kafka_configured);
  EXPECT_TRUE(c->kafka.exclude_internal);
  EXPECT_EQ(c->kafka.topics, (std::vector<std::string>{"orders.*", "clickstream"}));
  auto p = c->kafka.ClientProperties();
  EXPECT_EQ(p["security.protocol"], "SASL_SSL");
  EXPECT_EQ(p["sasl.mechanism"], "SCRAM-SHA-512");
  EXPECT_EQ(p["sasl.password"], "hunter2");
  EXPECT_EQ(p["ssl.ca.location"], "/etc/ca.pem");
  EXPECT_EQ(p["socket.keepalive.enable"], "true");
  std::string shown = c->ToJson().dump();
  EXPECT_EQ(shown.find("hunter2"), std::string::npos);
  EXPECT_EQ(shown.find("p4ss"), std::string::npos);
  EXPECT_NE(shown.find("socket.keepalive.enable=true"), std::string::npos);

  auto bad = LoadConfigString("kafka:\n  bootstrap_servers: b:9092\n  properties: [\"linger.ms\"]\n", "k.yaml");
  EXPECT_THAT(bad, test::StatusIs(Code::kConfig));
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("k.yaml:3: kafka.properties: expected \"key=value\""));
  auto proto = LoadConfigString("kafka:\n  security: {protocol: TLS}\n", "k.yaml");
  EXPECT_THAT(proto.status().message(), ::testing::HasSubstr("expected one of PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL"));
}

}  // namespace
}  // namespace dr::config
