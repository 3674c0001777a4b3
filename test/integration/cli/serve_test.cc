// `ecap-dr serve`, `schedule list` and `schedule run` through the real binary:
// a job run now and recorded, then the daemon's /healthz, /readyz, /metrics
// (checked by promtool) and /api/v1/schedules, and a graceful SIGTERM.
#include <sys/socket.h>
#include <sys/un.h>

#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test/integration/cli/serve_harness.h"

namespace dr::test {
namespace {

using nlohmann::json;

TEST_F(ServeTest, ARunRecordedByScheduleRunShowsInTheDaemonsMetricsAndApiAndSigtermStopsIt) {
  InitRepo();
  auto run = Dr("--json schedule run nightly");
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  json r = json::parse(run.out);
  EXPECT_EQ(r["outcome"], "succeeded");
  EXPECT_EQ(r["trigger"], "manual");
  EXPECT_EQ(r["result"]["status"], "completed");
  std::string backup_id = r["result"]["backup_id"];
  auto listed = Dr("--json backup list");
  EXPECT_NE(listed.out.find(backup_id), std::string::npos);
  EXPECT_NE(listed.out.find("job:nightly"), std::string::npos);  // the job's tag

  // A verification before the daemon starts: its counter starts from the event history.
  ASSERT_EQ(Dr("verify " + backup_id).exit_code, 0);

  auto list = Dr("schedule list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("time zone: Europe/Berlin"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("nightly            backup      daily 02:00"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("succeeded"), std::string::npos) << list.out;

  int port = Start();
  ASSERT_GT(port, 0);
  EXPECT_EQ(Get(port, "/healthz").status, 200);
  auto ready = Get(port, "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  auto metrics = Get(port, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string& text = metrics.body;
  for (const char* line : {"ecap_dr_job_runs_total{job=\"nightly\",outcome=\"succeeded\"} 1",
                           "ecap_dr_job_runs_total{job=\"weekly-check\",outcome=\"failed\"} 0",
                           "ecap_dr_job_attempts_total{job=\"nightly\"} 1",
                           "backups_total{type=\"full\",status=\"completed\"} 1", "ecap_dr_repository_backups 1",
                           "ecap_dr_job_expected_interval_seconds{job=\"weekly-check\"} 604800",
                           "backup_size_bytes{component=\"files\"} 31"}) {
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << text;
  }
  // The gathered series exist from the first scrape, whether or not the first gathering is done.
  for (const char* series : {"ecap_dr_access_denials_total ", "ecap_dr_restores_total{outcome=\"failed\"} ",
                             "ecap_dr_rto_target_seconds 900", "ecap_dr_rpo_target_seconds 300",
                             "ecap_dr_last_failover_rto_seconds -1", "ecap_dr_wal_archive_lag_seconds -1",
                             "ecap_dr_s3_mirror_lag_seconds -1", "ecap_dr_master_key_age_seconds "}) {
    EXPECT_NE(text.find(std::string("\n") + series), std::string::npos) << series << "\n" << text;
  }
  // The verification comes from the event history once the daemon gathered (right after it started).
  std::string gathered = text;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       gathered.find("\necap_dr_verifications_total{outcome=\"succeeded\"} 1\n") == std::string::npos &&
       std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(50))) {
    gathered = Get(port, "/metrics").body;
  }
  EXPECT_NE(gathered.find("\necap_dr_verifications_total{outcome=\"succeeded\"} 1\n"), std::string::npos) << gathered;
  std::smatch key_age;
  ASSERT_TRUE(std::regex_search(gathered, key_age, std::regex("\necap_dr_master_key_age_seconds ([^\n]+)\n")));
  EXPECT_GE(std::stod(key_age[1]), 0) << "the repository's key was created moments ago";
  EXPECT_LT(std::stod(key_age[1]), 3600);

  std::smatch age;
  ASSERT_TRUE(std::regex_search(text, age, std::regex("\nbackup_age_hours\\{component=\"files\"\\} ([^\n]+)\n")))
      << text;
  EXPECT_LT(std::stod(age[1]), 1.0) << age[1];  // the backup ended moments ago

  // promtool lints the real scrape: only the guide's backup_age_hours (an hours unit) is questioned.
  WriteFile(dir_ / "scrape.txt", text);
  std::string lint = dir_ / "lint.txt";
  int rc = std::system(("promtool check metrics < " + dir_ / "scrape.txt" + " > " + lint + " 2>&1").c_str());
  std::string problems = ReadFileOrDie(lint);
  ASSERT_NE(WEXITSTATUS(rc), 127) << "promtool is not installed (scripts/install-deps.sh installs prometheus)";
  std::istringstream lines(problems);
  for (std::string l; std::getline(lines, l);) {
    EXPECT_EQ(l.rfind("backup_age_hours ", 0), 0u) << "promtool: " << l;
  }

  EXPECT_EQ(Get(port, "/api/v1/schedules").status, 401);  // the API needs a token
  auto api = Call(port, "GET", "/api/v1/schedules", kBotToken);
  ASSERT_EQ(api.status, 200) << api.body;
  json schedules = json::parse(api.body);
  EXPECT_EQ(schedules["timezone"], "Europe/Berlin");
  ASSERT_EQ(schedules["jobs"].size(), 2u);
  EXPECT_EQ(schedules["jobs"][0]["name"], "nightly");
  EXPECT_EQ(schedules["jobs"][0]["last_success"]["result"]["backup_id"], backup_id);
  EXPECT_NE(schedules["jobs"][0]["next_runs"][0]["local"].get<std::string>().find(" 02:00:00 CE"), std::string::npos);
  auto missing = Call(port, "GET", "/api/v1/nothing", kBotToken);
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("no such endpoint: /api/v1/nothing"), std::string::npos);

  EXPECT_EQ(Stop(), 0);
  std::string err = ReadLog();
  EXPECT_NE(err.find("stopping"), std::string::npos) << err;
  EXPECT_NE(err.find("stopped"), std::string::npos) << err;
}

TEST_F(ServeTest, MistakesAreNamedWithTheirExitCodes) {
  // Not ready while the repository does not exist; alive all the same.
  int port = Start();
  ASSERT_GT(port, 0);
  EXPECT_EQ(Get(port, "/healthz").status, 200);
  auto ready = Get(port, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("not_ready"), std::string::npos) << ready.body;
  EXPECT_EQ(Stop(), 0);

  InitRepo();
  auto unknown = Dr("schedule run weekly");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no job named 'weekly' in automation.jobs"), std::string::npos) << unknown.err;

  WriteFile(config_, ReadFileOrDie(config_) + "    - {name: twice, action: backup, daily: \"02:00\", cron: \"0 * * * *\"}\n"
                                              "    - {name: bad, action: backup, cron: \"61 * * * *\"}\n");
  auto bad = Dr("schedule list");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("('twice'): needs exactly one schedule"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("('bad'): cron schedule '61 * * * *': minute field: '61' is outside 0-59"), std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("ecap-dr.yaml:"), std::string::npos) << bad.err;

  // No state directory for the job state: serve refuses to start, naming the keys.
  WriteConfig();
  WriteFile(config_, ReadFileOrDie(config_) + "automation:\n  listen: \"127.0.0.1:0\"\n");
  auto stateless = Dr("serve");
  EXPECT_EQ(stateless.exit_code, 2);
  EXPECT_NE(stateless.err.find("set dr_coordinator.state_dir or audit.log_file"), std::string::npos) << stateless.err;
}

// systemd's side of Type=notify and WatchdogSec: a datagram socket in
// NOTIFY_SOCKET receives READY=1 once serve listens, WATCHDOG=1 while its
// /healthz answers, and STOPPING=1 on SIGTERM.
TEST_F(ServeTest, TellsSystemdItIsReadyAlivesAndStopping) {
  InitRepo();
  std::string path = dir_ / "notify.sock";
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << std::strerror(errno);
  timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  auto next = [&] {
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("(nothing within 30 s)");
  };
  ASSERT_GT(Start("NOTIFY_SOCKET=" + path + " WATCHDOG_USEC=200000"), 0);
  EXPECT_EQ(next(), "READY=1");
  EXPECT_EQ(next(), "WATCHDOG=1");
  EXPECT_EQ(next(), "WATCHDOG=1");
  ::kill(pid_, SIGTERM);
  std::string message;
  do {
    message = next();
  } while (message == "WATCHDOG=1");
  EXPECT_EQ(message, "STOPPING=1");
  EXPECT_EQ(Stop(), 0);
  ::close(fd);
}

// The rules the daemon evaluates: `alert list` finds a failed backup job, and
// the same rules rendered for Prometheus pass promtool's check and unit test.
TEST_F(ServeTest, AlertRulesFindAFailedJobAndRenderForPrometheus) {
  InitRepo();
  WriteFile(config_, ReadFileOrDie(config_) +
                         "    - {name: broken, action: backup, components: [files], paths: [\"" + dir_ / "missing" +
                         "\"], cron: \"0 * * * *\", max_attempts: 1}\n");
  auto run = Dr("schedule run broken");
  EXPECT_NE(run.exit_code, 0) << run.out;
  auto list = Dr("--json alert list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json alerts = json::parse(list.out)["alerts"];
  std::set<std::string> names;
  for (const auto& a : alerts) names.insert(a["name"].get<std::string>() + "/" + a["labels"].begin().value().get<std::string>());
  EXPECT_TRUE(names.count("BackupFailed/broken")) << list.out;
  EXPECT_TRUE(names.count("BackupTooOld/files")) << list.out;  // no completed backup of files yet
  auto human = Dr("alert list");
  EXPECT_NE(human.out.find("BackupFailed         critical job=broken"), std::string::npos) << human.out;

  auto rules = Dr("alert rules --format prometheus");
  ASSERT_EQ(rules.exit_code, 0) << rules.err;
  WriteFile(dir_ / "rules.yml", rules.out);
  WriteFile(dir_ / "rules_test.yml", R"(rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - {series: 'backup_age_hours{component="files"}', values: '30x5'}
      - {series: 'backup_age_hours{component="kafka"}', values: '2x5'}
      - {series: 'ecap_dr_job_last_completion_timestamp_seconds{job="nightly"}', values: '200x5'}
      - {series: 'ecap_dr_job_last_success_timestamp_seconds{job="nightly"}', values: '100x5'}
      - {series: 'ecap_dr_job_info{job="nightly",action="backup"}', values: '1x5'}
      - {series: 'ecap_dr_job_last_duration_seconds{job="nightly"}', values: '4000x5'}
      - {series: 'ecap_dr_repository_free_bytes', values: '1000000x10'}
      - {series: 'ecap_dr_last_failover_rto_seconds', values: '1200x10'}
      - {series: 'ecap_dr_rto_target_seconds', values: '900x10'}
      - {series: 'ecap_dr_last_failover_timestamp_seconds', values: '60x10'}
      - {series: 'ecap_dr_access_denials_total', values: '0+5x10'}
      - {series: 'ecap_dr_last_drill_timestamp_seconds{scenario="restore-test"}', values: '0x5 60x5'}
      - {series: 'ecap_dr_drill_passed{scenario="restore-test"}', values: '0x5 1x5'}
      - {series: 'ecap_dr_last_drill_timestamp_seconds{scenario="database"}', values: '60x10'}
      - {series: 'ecap_dr_drill_passed{scenario="database"}', values: '0x10'}
    alert_rule_test:
      - eval_time: 2m
        alertname: BackupTooOld
        exp_alerts:
          - exp_labels: {severity: critical, component: files}
            exp_annotations: {summary: 'The newest files backup is older than the limit.'}
      - eval_time: 2m
        alertname: BackupFailed
        exp_alerts:
          - exp_labels: {severity: critical, job: nightly}
            exp_annotations: {summary: 'The last run of backup job nightly did not succeed.'}
      - eval_time: 2m
        alertname: BackupTooLong
        exp_alerts:
          - exp_labels: {severity: warning, job: nightly}
            exp_annotations: {summary: 'The last backup of job nightly took longer than the limit.'}
      - eval_time: 2m
        alertname: VerificationFailed
        exp_alerts: []
      - eval_time: 2m
        alertname: RepositorySpaceLow
        exp_alerts:
          - exp_labels: {severity: critical}
            exp_annotations: {summary: 'The file system of the repository is running out of space.'}
      - eval_time: 2m
        alertname: FailoverRtoViolated
        exp_alerts:
          - exp_labels: {severity: warning}
            exp_annotations: {summary: 'The last failover took longer than the RTO target.'}
      - eval_time: 8m
        alertname: DrillFailed
        exp_alerts:
          - exp_labels: {severity: critical, scenario: database}
            exp_annotations: {summary: 'The last database drill failed.'}
      - eval_time: 8m
        alertname: DrillOverdue
        exp_alerts: []
      - eval_time: 1m
        alertname: AccessDenialsHigh
        exp_alerts: []
      - eval_time: 10m
        alertname: AccessDenialsHigh
        exp_alerts:
          - exp_labels: {severity: warning}
            exp_annotations: {summary: 'More operations than the limit were denied.'}
)");
  std::string out = dir_ / "promtool.txt";
  int check = std::system(("cd " + dir_.path() + " && promtool check rules rules.yml > " + out + " 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(check), 0) << ReadFileOrDie(out);
  int test = std::system(("cd " + dir_.path() + " && promtool test rules rules_test.yml > " + out + " 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(test), 0) << ReadFileOrDie(out) << rules.out;
}

// The unit file systemd would load: `systemd-analyze verify` accepts every line of it.
TEST(PackagingTest, TheSystemdUnitVerifies) {
  TempDir dir;
  std::string unit = ReadFileOrDie(std::string(DR_SOURCE_DIR) + "/packaging/ecap-dr.service");
  // verify checks that ExecStart's binary exists: the one just built stands in for /usr/bin/ecap-dr.
  unit = std::regex_replace(unit, std::regex("ExecStart=/usr/bin/ecap-dr"), "ExecStart=" + DrBinary());
  WriteFile(dir / "ecap-dr.service", unit);
  std::string out = dir / "verify.txt";
  int rc = std::system(("systemd-analyze verify " + dir / "ecap-dr.service" + " > " + out + " 2>&1").c_str());
  std::string said = ReadFileOrDie(out);
  EXPECT_EQ(WEXITSTATUS(rc), 0) << said;
  EXPECT_EQ(said.find("ecap-dr.service:"), std::string::npos) << said;  // an unknown or bad key is named so
  for (const char* hardening : {"Type=notify", "WatchdogSec=", "NoNewPrivileges=yes", "ProtectSystem=strict",
                                "User=ecap-dr", "TimeoutStopSec="}) {
    EXPECT_NE(unit.find(hardening), std::string::npos) << hardening;
  }
}

}  // namespace
}  // namespace dr::test
