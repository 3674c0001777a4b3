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

// An empty file is more likely truncated or the wrong file than a wish for
// every default (which would back up to /opt/ecap/backups).
TEST(ConfigTest, EmptyFileIsRejected) {
  for (const char* text : {"", "\n\n", "# only a comment\n"}) {
    auto c = LoadConfigString(text, "x.yaml");
    EXPECT_THAT(c, StatusIs(Code::kConfig)) << "text: '" << text << "'";
    EXPECT_THAT(c.status().message(), HasSubstr("x.yaml: the configuration is empty"));
  }
}

// yaml-cpp 0.7 takes an unclosed quote as running to the end of the file: the
// path became "/opt/ecap/backups encryption: enabled: true ...".
TEST(ConfigTest, UnterminatedQuoteIsRejectedNamingItsLine) {
  auto c = LoadConfigString("backup_manager:\n  backup_dir: \"/opt/ecap/backups\nencryption:\n  enabled: true\n",
                            "x.yaml");
  EXPECT_THAT(c, StatusIs(Code::kConfig));
  EXPECT_THAT(c.status().message(), HasSubstr("x.yaml:2:15: invalid YAML: while scanning a quoted scalar"));
  auto single = LoadConfigString("audit:\n  log_file: '/var/log/a.log\n", "y.yaml");
  EXPECT_THAT(single.status().message(), HasSubstr("y.yaml:2:13: invalid YAML"));
  // Other errors a conforming parser finds are still named with their line.
  auto tab = LoadConfigString("aws:\n\tregion: x\n", "z.yaml");
  EXPECT_THAT(tab, StatusIs(Code::kConfig));
  EXPECT_THAT(tab.status().message(), HasSubstr("z.yaml:2:"));
}

TEST(ConfigTest, DuplicateKeysAreRejectedWithBothLines) {
  auto c = LoadConfigString("backup_manager:\n  backup_dir: /a\n  compression_level: 3\n  backup_dir: /b\n", "x.yaml");
  EXPECT_THAT(c, StatusIs(Code::kConfig));
  EXPECT_EQ(c.status().message(), "x.yaml:4:3: duplicate key 'backup_dir' (first at line 2)");
  // The same key in two different mappings is not a duplicate; a repeated section is.
  EXPECT_OK(LoadConfigString("aws:\n  region: a\ns3:\n  region: b\n", "x.yaml"));
  auto section = LoadConfigString("aws:\n  region: a\naws:\n  backup_region: b\n", "x.yaml");
  EXPECT_EQ(section.status().message(), "x.yaml:3:1: duplicate key 'aws' (first at line 1)");
  // In flow mappings too.
  auto flow = LoadConfigString("kafka:\n  security: {protocol: SSL, protocol: PLAINTEXT}\n", "x.yaml");
  EXPECT_THAT(flow.status().message(), HasSubstr("x.yaml:2:29: duplicate key 'protocol' (first at line 2)"));
}

TEST(ConfigTest, EveryErrorIsShownNotOnlyTheFirst) {
  auto c = LoadConfigString(
      "backup_manager:\n  backup_dir: /b\n  compression_level: 42\n  retention_policy: {}\n"
      "postgresql:\n  port: x\n  host: a\n  host: b\nencryption:\n  enabled: maybe\n",
      "x.yaml");
  EXPECT_THAT(c, StatusIs(Code::kConfig));
  EXPECT_EQ(c.status().message(),
            "5 errors in the configuration:\n"
            "  x.yaml:3:22: backup_manager.compression_level: expected a value between 0 and 19, got '42'\n"
            "  x.yaml:4:3: unknown key 'retention_policy' in section 'backup_manager'\n"
            "  x.yaml:6:9: postgresql.port: expected an integer, got 'x'\n"
            "  x.yaml:8:3: duplicate key 'host' (first at line 7)\n"
            "  x.yaml:10:12: encryption.enabled: expected true or false, got 'maybe'");
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
