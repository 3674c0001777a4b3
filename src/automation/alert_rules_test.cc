#include "automation/alert_rules.h"

#include <gtest/gtest.h>

#include "base/time_util.h"

namespace dr::automation {
namespace {

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
  for (const auto& a : alerts) out.push_back(a.name + "/" + (a.labels.count("job") ? a.labels.at("job") : a.labels.at("component")));
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

}  // namespace
}  // namespace dr::automation
