#include "config/config.h"

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "base/fs.h"
#include "config/options_table.h"
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

namespace dr::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Validation and reading are one path: what is accepted as an integer is read
// as that integer ("1e1" used to validate as 10 and be read as 1).
TEST(ConfigTest, NumbersAreReadAsTheyAreValidated) {
  for (const char* bad : {"1e1", "10.0", "0x10", "10abc", "", "++3", ".inf"}) {
    auto c = LoadConfigString(std::string("backup_manager:\n  compression_level: \"") + bad + "\"\n", "x.yaml");
    EXPECT_THAT(c, test::StatusIs(Code::kConfig)) << bad;
    EXPECT_EQ(c.status().message(),
              std::string("x.yaml:2:22: backup_manager.compression_level: expected an integer, got '") + bad + "'");
  }
  auto plain = LoadConfigString("backup_manager:\n  compression_level: 1e1\n", "x.yaml");
  EXPECT_EQ(plain.status().message(), "x.yaml:2:22: backup_manager.compression_level: expected an integer, got '1e1'");
  auto signed_int = LoadConfigString("backup_manager:\n  compression_level: +7\n", "x.yaml");
  ASSERT_OK(signed_int);
  EXPECT_EQ(signed_int->backup_manager.compression_level, 7);
  auto huge = LoadConfigString("postgresql:\n  port: 99999999999999999999999\n", "x.yaml");
  EXPECT_THAT(huge.status().message(), HasSubstr("postgresql.port: expected a value between 1 and 65535"));
  // A number may have a fraction or an exponent, and is read as written.
  auto number = LoadConfigString("alerting:\n  rules:\n    max_backup_age_hours: 1e1\n"
                                 "    max_backup_size_gb: 0.5\n",
                                 "x.yaml");
  ASSERT_OK(number);
  EXPECT_EQ(number->alerting.rules.max_backup_age_hours, 10);
  EXPECT_EQ(number->alerting.rules.max_backup_size_gb, 0.5);
  for (const char* bad : {".inf", "nan", "1e999", "ten", "0x1p3"}) {
    auto c = LoadConfigString(std::string("alerting:\n  rules:\n    max_backup_age_hours: ") + bad + "\n", "x.yaml");
    EXPECT_THAT(c.status().message(), HasSubstr("max_backup_age_hours: expected a number, got '")) << bad;
  }
  auto fraction_bound = LoadConfigString("dr_coordinator:\n  check_interval_seconds: 0.05\n", "x.yaml");
  EXPECT_THAT(fraction_bound.status().message(), HasSubstr("expected a value between 0.1 and 3600, got '0.05'"));
}

// A value for every key of a record, different from its default, as JSON
// (which is YAML): what the file says and what `config check --json` must print.
void SampleValues(const RecordType& keys, json& out) {
  auto defaults = keys.make_default();
  for (const auto& o : keys.options) {
    if (o.path == "alerting.notifications.email.smtp_port") continue;  // the older name of port: one of the two
    std::string pointer = "/" + std::string(o.path);
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    json& v = out[json::json_pointer(pointer)];
    json def = o.type == OptionType::kSection ? json() : OptionToJson(o, defaults.get(), false);
    std::string text = "v-" + std::string(o.path);
    // Keys with a form, or that exclude another: a value the loader accepts.
    if (o.path == "alerting.repeat_interval") text = "90m";
    if (o.path == "alerting.rules.access_denial_window") text = "15m";
    const OptionDetails& d = o.details;
    switch (o.type) {
      case OptionType::kSection:
        v = json::object();
        break;
      case OptionType::kString:
        v = d.allowed.empty() ? text : std::string(d.allowed.substr(d.allowed.rfind('|') + 1));
        break;
      case OptionType::kInt: {
        int n = d.max > d.min ? static_cast<int>(d.max) : static_cast<int>(d.min) + 7;
        v = n == def.get<int>() ? static_cast<int>(d.min) : n;
        break;
      }
      case OptionType::kNumber:
        v = d.max > d.min ? (d.min + d.max) / 2 : d.min + 7.25;
        break;
      case OptionType::kBool:
        v = !def.get<bool>();
        break;
      case OptionType::kStringList:
        v = {text + "=1", text + "=2"};
        break;
      case OptionType::kStringListMap:
        v = {{"alice", {"backup.create", "backup.list"}}, {"bob", {"*"}}};
        break;
      case OptionType::kRecord:
        SampleValues(*o.record, v);
        break;
      case OptionType::kRecordList:
        v = json::array({json::object()});
        SampleValues(*o.record, v[0]);
        break;
    }
  }
}

// Every key the table declares is read into its member and printed back by
// ToJson: the file that sets all of them comes back whole, and secrets redacted.
TEST(ConfigTest, EveryDeclaredKeyIsReadAndPrinted) {
  json file = json::object();
  SampleValues(ConfigKeys(), file);
  // Keys whose values have a form of their own get valid ones: durations, a
  // time zone, and one schedule per job.
  file["automation"]["timezone"] = "Europe/Berlin";
  file["automation"]["starting_deadline"] = "2h";
  file["automation"]["shutdown_timeout"] = "90s";
  file["automation"]["retry_delay"] = "2m";
  json& job = file["automation"]["jobs"][0];
  job["daily"] = job["weekly"] = job["monthly"] = "";
  job["cron"] = "*/5 * * * *";
  auto c = LoadConfigString(file.dump(2), "all.yaml");
  ASSERT_OK(c);
  json& email = file["alerting"]["notifications"]["email"];
  email["smtp_port"] = email["port"];  // printed in step with port
  EXPECT_EQ(c->ToJson(/*redact=*/false), file) << c->ToJson(false).dump(2);

  // The members the issue found missing from the output are read, not just printed.
  EXPECT_EQ(c->coordinator.services.at(0).type, "command");
  EXPECT_EQ(c->s3.mirror_target, "v-s3.mirror.target");
  EXPECT_EQ(c->backup_manager.retention_policies.within, "v-backup_manager.retention_policies.within");
  EXPECT_EQ(c->postgresql.archive_push_jobs, 64);
  EXPECT_EQ(c->replicas.at(0).secret_access_key, "v-secret_access_key");

  json shown = c->ToJson(/*redact=*/true);
  std::string dumped = shown.dump();
  for (const char* secret : {"v-postgresql.password", "v-alerting.notifications.email.password",
                             "v-alerting.notifications.slack.webhook_url", "v-alerting.notifications.webhook.url",
                             "v-s3.secret_access_key", "v-secret_access_key", "v-kafka.security.sasl_password",
                             "v-kafka.security.ssl_key_password"}) {
    EXPECT_EQ(dumped.find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(shown["repository"]["secret_access_key"], "***");
  EXPECT_EQ(shown["replicas"][0]["secret_access_key"], "***");
  EXPECT_EQ(shown["alerting"]["notifications"]["slack"]["webhook_url"], "***");
}

// Without a value in the file, a key is still printed, with its default.
TEST(ConfigTest, CheckPrintsEverySectionWithDefaults) {
  auto c = LoadConfigString("backup_manager:\n  backup_dir: /b\n", "x.yaml");
  ASSERT_OK(c);
  json j = c->ToJson();
  std::function<void(const RecordType&, const std::string&)> every_key = [&](const RecordType& keys,
                                                                             const std::string& prefix) {
    for (const auto& o : keys.options) {
      std::string pointer = prefix + "/" + std::string(o.path);
      std::replace(pointer.begin(), pointer.end(), '.', '/');
      EXPECT_TRUE(j.contains(json::json_pointer(pointer))) << pointer << " missing from " << j.dump(2);
      if (o.type == OptionType::kRecord) every_key(*o.record, pointer);
    }
  };
  every_key(ConfigKeys(), "");
  EXPECT_EQ(j["backup_manager"]["retention_policies"]["last"], 0);
  EXPECT_EQ(j["backup_manager"]["retention_policies"]["within"], "");
  EXPECT_EQ(j["postgresql"]["wal_compression_level"], 1);
  EXPECT_EQ(j["postgresql"]["archive_async"], false);
  EXPECT_EQ(j["postgresql"]["archive_push_jobs"], 4);
  EXPECT_EQ(j["postgresql"]["spool_dir"], "/tmp/ecap-dr-spool");
  EXPECT_EQ(j["s3"]["mirror"]["interval_seconds"], 60);
  EXPECT_EQ(j["dr_coordinator"]["failure_threshold"], 3);
  EXPECT_EQ(j["dr_coordinator"]["services"], json::array());
  EXPECT_EQ(j["dr_coordinator"]["coordination"]["etcd"]["lease_seconds"], 10);
  // Defaults taken from other keys are the effective values.
  EXPECT_EQ(j["repository"]["path"], "/b");
  EXPECT_EQ(j["s3"]["region"], "us-east-1");
}

TEST(ConfigTest, ElementsOfListsAreValidatedWithTheirPath) {
  auto c = LoadConfigString(
      "replicas:\n  - {type: s3, bucket: b, colour: red}\n  - nope\n"
      "dr_coordinator:\n  services:\n    - {name: a, type: http, url: \"http://x\", expect_status: 1e2}\n",
      "x.yaml");
  EXPECT_THAT(c, test::StatusIs(Code::kConfig));
  EXPECT_EQ(c.status().message(),
            "3 errors in the configuration:\n"
            "  x.yaml:2:27: unknown key 'colour' in section 'replicas.0'\n"
            "  x.yaml:3:5: replicas.1: expected a mapping of keys\n"
            "  x.yaml:6:61: dr_coordinator.services.0.expect_status: expected an integer, got '1e2'");
}

// A scheduled drill that breaks the platform must be said so in the job and
// allowed by the platform's drill section; caught when the file is read.
TEST(ConfigTest, DrillJobsNameTheirScenarioAndDisruptiveOnesNeedADrillEnvironment) {
  const std::string head = "automation:\n  jobs:\n";
  auto bad = LoadConfigString(head + "    - {name: a, action: drill, weekly: \"sun 05:00\"}\n"
                                     "    - {name: b, action: drill, scenario: database, weekly: \"sun 05:00\"}\n"
                                     "    - {name: c, action: drill, scenario: storage, disruptive: true, daily: \"03:00\"}\n"
                                     "    - {name: d, action: backup, scenario: all, daily: \"03:00\"}\n",
                              "x.yaml");
  EXPECT_THAT(bad, test::StatusIs(Code::kConfig));
  EXPECT_EQ(bad.status().message(),
            "4 errors in the configuration:\n"
            "  x.yaml:3: automation.jobs[0] ('a'): a drill job needs a scenario (restore-test, database, storage, "
            "corruption, breach, region, all)\n"
            "  x.yaml:4: automation.jobs[1] ('b'): scenario 'database' is disruptive: set disruptive: true\n"
            "  x.yaml:5: automation.jobs[2] ('c'): disruptive drills need drill.environment: true (never on "
            "production)\n"
            "  x.yaml:6: automation.jobs[3] ('d'): scenario and disruptive are for drill jobs only");
  auto good = LoadConfigString(head + "    - {name: weekly, action: drill, scenario: all, disruptive: true, "
                                      "weekly: \"sun 05:00\"}\ndrill:\n  environment: true\n",
                               "x.yaml");
  ASSERT_OK(good);
  EXPECT_EQ(good->automation.jobs.at(0).scenario, "all");
  EXPECT_TRUE(good->automation.jobs.at(0).disruptive);
}

// Issue 13's alerting block: the guide's keys plus repeat_interval, port,
// starttls, hmac_secret and alertmanager.
TEST(ConfigTest, AlertingBlockOfTheAutomationIssue) {
  auto c = LoadConfigString(
      "alerting:\n"
      "  rules: {max_backup_duration_minutes: 60, max_backup_size_gb: 100, max_backup_age_hours: 25}\n"
      "  repeat_interval: 4h\n"
      "  notifications:\n"
      "    email: {enabled: true, smtp_server: \"smtp.company.com\", port: 587, starttls: true,\n"
      "            username: alerts, password: \"pw\",\n"
      "            from_address: \"ecap-alerts@company.com\", to_addresses: [\"ops-team@company.com\"]}\n"
      "    slack: {enabled: true, webhook_url: \"https://hooks.slack.test/x\"}\n"
      "    webhook: {enabled: true, url: \"https://hooks.example.com/ecap\", hmac_secret: \"hs\"}\n"
      "    alertmanager: {enabled: true, url: \"http://alertmanager:9093\"}\n",
      "x.yaml");
  ASSERT_OK(c);
  EXPECT_EQ(c->alerting.RepeatInterval(), std::chrono::hours(4));
  EXPECT_EQ(c->alerting.email.port, 587);
  EXPECT_EQ(c->alerting.email.smtp_port, 587);
  EXPECT_TRUE(c->alerting.email.starttls);
  EXPECT_EQ(c->alerting.webhook.hmac_secret, "hs");
  EXPECT_TRUE(c->alerting.alertmanager.enabled);
  EXPECT_EQ(c->alerting.alertmanager.url, "http://alertmanager:9093");
  std::string shown = c->ToJson(/*redact=*/true).dump();
  EXPECT_EQ(shown.find("\"hs\""), std::string::npos);
  EXPECT_THAT(shown, HasSubstr("\"hmac_secret\":\"***\""));
}

TEST(ConfigTest, SmtpPortIsTheOlderNameOfPort) {
  auto old = LoadConfigString("alerting:\n  notifications:\n    email:\n      smtp_port: 2525\n", "x.yaml");
  ASSERT_OK(old);
  EXPECT_EQ(old->alerting.email.port, 2525);
  auto both = LoadConfigString("alerting:\n  notifications:\n    email:\n      port: 587\n      smtp_port: 25\n",
                               "x.yaml");
  EXPECT_THAT(both, StatusIs(Code::kConfig));
  EXPECT_EQ(both.status().message(),
            "x.yaml:5: alerting.notifications.email: give either port or smtp_port (its older name), not both");
  auto none = LoadConfigString("alerting:\n  rules: {max_backup_age_hours: 25}\n", "x.yaml");
  ASSERT_OK(none);
  EXPECT_EQ(none->alerting.email.port, 25);
  EXPECT_EQ(none->alerting.RepeatInterval(), std::chrono::hours(4));
}

TEST(ConfigTest, RepeatIntervalIsADuration) {
  EXPECT_EQ(*ParseConfigDuration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseConfigDuration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(*ParseConfigDuration("2w"), std::chrono::hours(24 * 14));
  for (const char* bad : {"", "4", "h", "4x", "0h", "-1h", "1.5h", "4h "}) {
    EXPECT_THAT(ParseConfigDuration(bad), StatusIs(Code::kConfig)) << bad;
  }
  auto c = LoadConfigString("alerting:\n  repeat_interval: soon\n", "x.yaml");
  EXPECT_THAT(c, StatusIs(Code::kConfig));
  EXPECT_EQ(c.status().message(),
            "x.yaml:2: alerting.repeat_interval: invalid duration 'soon' (use 90s, 30m, 4h, 1d, 2w or 1h30m)");
}

// The rules of the second half of issue 13: defaults, and a bad value of each
// new key named with its file and line.
TEST(ConfigTest, NewAlertRuleKeysHaveDefaultsAndBadValuesAreNamed) {
  auto defaults = LoadConfigString("alerting:\n  rules: {}\n", "x.yaml");
  ASSERT_OK(defaults);
  const AlertRules& r = defaults->alerting.rules;
  EXPECT_EQ(r.min_free_space_gb, 10);
  EXPECT_EQ(r.max_access_denials, 10);
  EXPECT_EQ(r.AccessDenialWindow(), std::chrono::hours(1));
  EXPECT_EQ(r.key_rotation_days, 90);
  auto set = LoadConfigString("alerting:\n  rules:\n    min_free_space_gb: 0.5\n    max_access_denials: 3\n"
                              "    access_denial_window: 15m\n    key_rotation_days: 30\n",
                              "x.yaml");
  ASSERT_OK(set);
  EXPECT_EQ(set->alerting.rules.min_free_space_gb, 0.5);
  EXPECT_EQ(set->alerting.rules.max_access_denials, 3);
  EXPECT_EQ(set->alerting.rules.AccessDenialWindow(), std::chrono::minutes(15));
  EXPECT_EQ(set->alerting.rules.key_rotation_days, 30);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"min_free_space_gb: -1", "x.yaml:4:24: alerting.rules.min_free_space_gb: expected a value >= 0, got '-1'"},
      {"min_free_space_gb: lots", "x.yaml:4:24: alerting.rules.min_free_space_gb: expected a number, got 'lots'"},
      {"max_access_denials: 2.5",
       "x.yaml:4:25: alerting.rules.max_access_denials: expected an integer, got '2.5'"},
      {"max_access_denials: -3",
       "x.yaml:4:25: alerting.rules.max_access_denials: expected a value between 0 and 2147483647, got '-3'"},
      {"access_denial_window: soon",
       "x.yaml:4: alerting.rules.access_denial_window: invalid duration 'soon' (use 90s, 30m, 4h, 1d, 2w or 1h30m)"},
      {"access_denial_window: 0m",
       "x.yaml:4: alerting.rules.access_denial_window: invalid duration '0m': it must be longer than zero"},
      {"key_rotation_days: 0", "x.yaml:4:24: alerting.rules.key_rotation_days: expected a value >= 1, got '0'"},
      {"key_rotation_days: quarterly",
       "x.yaml:4:24: alerting.rules.key_rotation_days: expected a number, got 'quarterly'"},
  };
  for (const auto& [line, message] : bad) {
    auto c = LoadConfigString("# rules\nalerting:\n  rules:\n    " + line + "\n", "x.yaml");
    EXPECT_THAT(c, StatusIs(Code::kConfig)) << line;
    EXPECT_EQ(c.status().message(), message) << line;
  }
}

}  // namespace
}  // namespace dr::config
