#include "automation/alert_rules.h"

#include <functional>

#include <gtest/gtest.h>

#include "base/time_util.h"

namespace dr::automation {
namespace alert_rules_test {

using std::chrono::hours;
using std::chrono::minutes;

TimePoint T(const std::string& s) { return *ParseUtc(s); }

JobStatus Status(const std::string& name, const std::string& action, std::optional<JobRun> last,
                 std::optional<JobRun> success) {
  JobStatus s;
  s.name = name;
  s.action = action;
  s.expected_interval = hours(24);
  s.last_run = std::move(last);
  s.last_success = std::move(success);
  return s;
}

JobRun MakeRun(const std::string& outcome, TimePoint started, std::chrono::seconds took, const std::string& message = "") {
  JobRun r;
  r.outcome = outcome;
  r.started = started;
  r.finished = started + took;
  r.message = message;
  return r;
}

std::vector<std::string> Names(const std::vector<notify::Alert>& alerts) {
  std::vector<std::string> out;
  for (const auto& a : alerts) out.push_back(a.labels.empty() ? a.name : a.name + "/" + a.labels.begin()->second);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AlertRulesTest, TheGuidesThreeAndTheJobsFailuresAndMisses) {
  config::AlertRules rules;  // 60 min, 100 GB, 25 h
  AlertInputs in;
  in.now = T("2026-03-10T12:00:00Z");
  JobRun ok = MakeRun("succeeded", T("2026-03-10T02:00:00Z"), minutes(5));
  in.jobs.push_back(Status("nightly", "backup", ok, ok));
  in.components["files"] = {.last_backup = T("2026-03-10T02:05:00Z"), .size_bytes = 1e6};
  EXPECT_TRUE(EvaluateRules(rules, in).empty());

  JobRun failed = MakeRun("failed", T("2026-03-10T02:00:00Z"), minutes(1), "postgresql at db:5432 does not answer");
  JobRun slow = MakeRun("succeeded", T("2026-03-07T01:00:00Z"), minutes(90));
  in.jobs = {Status("nightly", "backup", failed, ok), Status("weekly-verify", "verify", MakeRun("failed", in.now - hours(1), minutes(1)), std::nullopt),
             Status("replicate", "replicate", MakeRun("cancelled", in.now - hours(1), minutes(1)), std::nullopt),
             Status("old", "backup", slow, slow), Status("skipper", "backup", MakeRun("skipped", in.now, minutes(0)), ok)};
  in.components["files"] = {.last_backup = T("2026-03-09T10:00:00Z"), .size_bytes = 200.0 * 1024 * 1024 * 1024};
  in.components["kafka"] = {};
  auto alerts = EvaluateRules(rules, in);
  EXPECT_EQ(Names(alerts), (std::vector<std::string>{"BackupFailed/nightly", "BackupTooLarge/files", "BackupTooLong/old",
                                                     "BackupTooOld/files", "BackupTooOld/kafka", "JobFailed/replicate",
                                                     "JobMissed/old", "VerificationFailed/weekly-verify"}));
  for (const auto& a : alerts) {
    if (a.name == "BackupFailed") {
      EXPECT_EQ(a.severity, "critical");
      EXPECT_NE(a.annotations.at("summary").find("does not answer"), std::string::npos);
    }
    if (a.name == "BackupTooOld" && a.labels.at("component") == "kafka") {
      EXPECT_EQ(a.annotations.at("summary"), "there is no completed backup of kafka");
    }
  }
}

TEST(AlertRulesTest, TheTrackerKeepsTheStartAndResolvesOnce) {
  AlertTracker tracker;
  notify::Alert a;
  a.name = "BackupFailed";
  a.labels = {{"job", "nightly"}};
  a.starts_at = T("2026-03-10T02:01:00Z");
  auto first = tracker.Update({a}, a.starts_at);
  ASSERT_EQ(first.size(), 1u);
  a.starts_at = T("2026-03-10T02:02:00Z");
  auto second = tracker.Update({a}, a.starts_at);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(FormatUtc(second[0].starts_at), "2026-03-10T02:01:00Z");  // firing since the first evaluation
  EXPECT_EQ(tracker.Firing().size(), 1u);
  auto resolved = tracker.Update({}, T("2026-03-10T03:00:00Z"));
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_FALSE(resolved[0].firing());
  EXPECT_EQ(FormatUtc(*resolved[0].ends_at), "2026-03-10T03:00:00Z");
  EXPECT_TRUE(tracker.Update({}, T("2026-03-10T03:01:00Z")).empty());  // resolved once
  EXPECT_TRUE(tracker.Firing().empty());
}

// The rules over gathered inputs: each quiet at its threshold, firing past it,
// with the same fingerprint whatever the value, and resolved once back.
TEST(AlertRulesTest, EachGatheredRuleFiresPastItsThresholdAndResolves) {
  config::AlertRules rules;  // 10 GiB free, 10 denials per 1h, 90 days; the targets: 15 and 5 min
  const double gib = 1024.0 * 1024 * 1024;
  struct Case {
    std::string alert;
    std::string severity;
    std::function<void(AlertInputs&, double)> set;
    double quiet;   // at the threshold: no alert
    double firing;  // past it
    double further;
  };
  TimePoint now = T("2026-03-10T12:00:00Z");
  auto failover = [&](AlertInputs& in) -> AlertInputs::Failover& {
    if (!in.last_failover) in.last_failover = AlertInputs::Failover{.at = now - hours(2)};
    return *in.last_failover;
  };
  const std::vector<Case> cases = {
      {"FailoverRtoViolated", "warning", [&](AlertInputs& in, double v) { failover(in).rto_seconds = v; }, 900, 901, 5000},
      {"FailoverRpoViolated", "warning", [&](AlertInputs& in, double v) { failover(in).rpo_seconds = v; }, 300, 301, 5000},
      {"WalArchiveLagTooHigh", "critical", [](AlertInputs& in, double v) { in.wal_archive_lag_seconds = v; }, 300, 301, 9e4},
      {"S3MirrorLagTooHigh", "critical", [](AlertInputs& in, double v) { in.s3_mirror_lag_seconds = v; }, 300, 301, 9e4},
      {"RepositorySpaceLow", "critical", [](AlertInputs& in, double v) { in.repository_free_bytes = v; }, 10 * gib,
       10 * gib - 1, 0},
      {"AccessDenialsHigh", "warning",
       [](AlertInputs& in, double v) { in.access_denials_in_window = static_cast<int64_t>(v); }, 10, 11, 500},
      {"MasterKeyTooOld", "warning", [](AlertInputs& in, double v) { in.master_key_age_seconds = v; }, 90 * 86400.0,
       90 * 86400.0 + 1, 400 * 86400.0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.alert);
    AlertInputs in;
    in.now = now;
    EXPECT_TRUE(EvaluateRules(rules, in).empty());  // unknown
    c.set(in, c.quiet);
    EXPECT_TRUE(EvaluateRules(rules, in).empty());
    c.set(in, c.firing);
    auto fired = EvaluateRules(rules, in);
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0].name, c.alert);
    EXPECT_EQ(fired[0].severity, c.severity);
    EXPECT_FALSE(fired[0].annotations.at("summary").empty());
    std::string fingerprint = fired[0].Fingerprint();
    AlertTracker tracker;
    ASSERT_EQ(tracker.Update(fired, now).size(), 1u);
    c.set(in, c.further);
    auto worse = EvaluateRules(rules, in);
    ASSERT_EQ(worse.size(), 1u);
    EXPECT_EQ(worse[0].Fingerprint(), fingerprint);  // the value is no label: still the same alert
    EXPECT_EQ(tracker.Update(worse, now + minutes(1)).size(), 1u);
    c.set(in, c.quiet);
    auto resolved = tracker.Update(EvaluateRules(rules, in), now + minutes(2));
    ASSERT_EQ(resolved.size(), 1u);
    EXPECT_FALSE(resolved[0].firing());
    EXPECT_EQ(resolved[0].Fingerprint(), fingerprint);
    EXPECT_EQ(FormatUtc(resolved[0].starts_at), FormatUtc(now));
  }
}

TEST(AlertRulesTest, ServicesByTheirHealthAndFailoversForAWeek) {
  config::AlertRules rules;
  AlertInputs in;
  in.now = T("2026-03-10T12:00:00Z");
  in.service_health = {{"db", "healthy"}, {"lake", "degraded"}, {"api", "failed"}};
  auto alerts = EvaluateRules(rules, in);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].name, "ServiceFailed");  // in the services' order
  EXPECT_EQ(alerts[0].severity, "critical");
  EXPECT_EQ(alerts[0].annotations.at("summary"), "service api has failed");
  EXPECT_EQ(alerts[1].name, "ServiceDegraded");
  EXPECT_EQ(alerts[1].labels, (std::map<std::string, std::string>{{"service", "lake"}}));
  std::string api = alerts[0].Fingerprint();
  in.service_health["api"] = "degraded";  // another alert now: ServiceFailed resolves, ServiceDegraded fires
  auto after = EvaluateRules(rules, in);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_NE(after[0].Fingerprint(), api);
  EXPECT_NE(after[1].Fingerprint(), api);

  // A failover over its targets is news for a week; one whose figures are unknown is none.
  AlertInputs f;
  f.rto_target_seconds = 60;
  f.rpo_target_seconds = 10;
  f.last_failover = AlertInputs::Failover{.at = T("2026-03-10T12:00:00Z"), .rto_seconds = 78, .rpo_seconds = 12};
  f.now = T("2026-03-17T11:59:00Z");
  EXPECT_EQ(Names(EvaluateRules(rules, f)), (std::vector<std::string>{"FailoverRpoViolated", "FailoverRtoViolated"}));
  EXPECT_EQ(EvaluateRules(rules, f)[0].annotations.at("summary"),
            "the failover of 2026-03-10T12:00:00Z took 1.3 min (RTO target 1.0 min)");
  f.now = T("2026-03-17T12:00:00Z");
  EXPECT_TRUE(EvaluateRules(rules, f).empty());
  f.now = T("2026-03-10T13:00:00Z");
  f.last_failover->rto_seconds.reset();
  f.last_failover->rpo_seconds.reset();
  EXPECT_TRUE(EvaluateRules(rules, f).empty());
}

// Every input unknown, with thresholds any known value would break: nothing fires.
TEST(AlertRulesTest, UnknownInputsNeverFire) {
  config::AlertRules rules;
  rules.min_free_space_gb = 1e9;
  rules.max_access_denials = 0;
  rules.key_rotation_days = 1;
  AlertInputs in;
  in.now = T("2026-03-10T12:00:00Z");
  in.rto_target_seconds = in.rpo_target_seconds = 0;
  EXPECT_TRUE(EvaluateRules(rules, in).empty());
  in.service_health["db"] = "unknown";  // no verdict is no alert either
  EXPECT_TRUE(EvaluateRules(rules, in).empty());
}

// A failed drill fires at once; a drill older than the period is overdue, per
// scenario; a scenario never drilled is none of the two (JobMissed's, when scheduled).
TEST(AlertRulesTest, AFailedOrOverdueDrillFiresPerScenario) {
  config::AlertRules rules;  // 8 days
  AlertInputs in;
  in.now = T("2026-03-10T12:00:00Z");
  EXPECT_TRUE(EvaluateRules(rules, in).empty());
  in.last_drills["restore-test"] = {.at = in.now - hours(8 * 24), .passed = true};
  in.last_drills["database"] = {.at = in.now - hours(1), .passed = false};
  auto alerts = EvaluateRules(rules, in);
  ASSERT_EQ(Names(alerts), (std::vector<std::string>{"DrillFailed/database"}));
  EXPECT_EQ(alerts[0].severity, "critical");
  EXPECT_EQ(alerts[0].annotations.at("summary"), "the last database drill (2026-03-10T11:00:00Z) failed");
  in.now += minutes(1);
  alerts = EvaluateRules(rules, in);
  ASSERT_EQ(Names(alerts), (std::vector<std::string>{"DrillFailed/database", "DrillOverdue/restore-test"}));
  EXPECT_EQ(alerts[1].severity, "warning");
  EXPECT_EQ(alerts[1].annotations.at("summary"), "the last restore-test drill is 8.0 days old (drill every 8 days)");
  rules.max_drill_age_days = 0;  // never overdue
  EXPECT_EQ(Names(EvaluateRules(rules, in)), (std::vector<std::string>{"DrillFailed/database"}));
  EXPECT_EQ(PrometheusRules(rules).find("DrillOverdue"), std::string::npos);
}

TEST(AlertRulesTest, PrometheusRulesCarryTheNewAlertsOverTheExportedSeries) {
  config::AlertRules rules;
  rules.min_free_space_gb = 2;
  rules.max_access_denials = 3;
  rules.access_denial_window = "15m";
  rules.key_rotation_days = 30;
  std::string text = PrometheusRules(rules);
  for (const char* line :
       {"      - alert: ServiceDegraded\n        expr: 'ecap_dr_service_health{state=\"degraded\"} == 1'\n",
        "      - alert: ServiceFailed\n        expr: 'ecap_dr_service_health{state=\"failed\"} == 1'\n",
        "      - alert: FailoverRtoViolated\n        expr: 'ecap_dr_last_failover_rto_seconds > ecap_dr_rto_target_seconds "
        "and time() - ecap_dr_last_failover_timestamp_seconds < 604800'\n",
        "      - alert: FailoverRpoViolated\n        expr: 'ecap_dr_last_failover_rpo_seconds > ecap_dr_rpo_target_seconds "
        "and time() - ecap_dr_last_failover_timestamp_seconds < 604800'\n",
        "      - alert: WalArchiveLagTooHigh\n        expr: 'ecap_dr_wal_archive_lag_seconds > ecap_dr_rpo_target_seconds'\n",
        "      - alert: S3MirrorLagTooHigh\n        expr: 'ecap_dr_s3_mirror_lag_seconds > ecap_dr_rpo_target_seconds'\n",
        "      - alert: RepositorySpaceLow\n        expr: 'ecap_dr_repository_free_bytes >= 0 and "
        "ecap_dr_repository_free_bytes < 2147483648'\n",
        "      - alert: AccessDenialsHigh\n        expr: 'increase(ecap_dr_access_denials_total[15m]) > 3'\n",
        "      - alert: MasterKeyTooOld\n        expr: 'ecap_dr_master_key_age_seconds > 2592000'\n",
        "      - alert: DrillFailed\n        expr: 'ecap_dr_last_drill_timestamp_seconds > 0 and ecap_dr_drill_passed == 0'\n",
        "      - alert: DrillOverdue\n        expr: 'ecap_dr_last_drill_timestamp_seconds > 0 and "
        "time() - ecap_dr_last_drill_timestamp_seconds > 691200'\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
}

}  // namespace alert_rules_test
}  // namespace dr::automation
