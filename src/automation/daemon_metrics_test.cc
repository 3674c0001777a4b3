#include "automation/daemon_metrics.h"

#include <gtest/gtest.h>

#include "base/fake_clock.h"
#include "base/time_util.h"
#include "test/support/test_support.h"

namespace dr::automation {
namespace daemon_metrics_test {

Job BackupJob(const std::string& name) {
  config::JobConfig c;
  c.name = name;
  c.action = "backup";
  return {c, *Schedule::Parse("daily", "02:00")};
}

bool Has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(PrometheusTest, RendersTheExpositionFormat) {
  MetricRegistry r;
  r.Declare("x_total", MetricRegistry::Type::kCounter, "Things \\ counted.\nTwo lines.");
  r.Declare("d_seconds", MetricRegistry::Type::kHistogram, "Durations.", {1, 10});
  r.Add("x_total", {{"job", "a\"b"}}, 2);
  r.Observe("d_seconds", {}, 0.5);
  r.Observe("d_seconds", {}, 5);
  r.Observe("d_seconds", {}, 50);
  std::string text = r.Render();
  EXPECT_TRUE(Has(text, "# HELP x_total Things \\\\ counted.\\nTwo lines.")) << text;
  EXPECT_TRUE(Has(text, "# TYPE x_total counter"));
  EXPECT_TRUE(Has(text, "x_total{job=\"a\\\"b\"} 2")) << text;
  EXPECT_TRUE(Has(text, "d_seconds_bucket{le=\"1\"} 1")) << text;
  EXPECT_TRUE(Has(text, "d_seconds_bucket{le=\"10\"} 2"));
  EXPECT_TRUE(Has(text, "d_seconds_bucket{le=\"+Inf\"} 3"));
  EXPECT_TRUE(Has(text, "d_seconds_sum 55.5"));
  EXPECT_TRUE(Has(text, "d_seconds_count 3"));
  EXPECT_EQ(FormatValue(1e20), "1e+20");
  // The shortest text that reads back as the same value.
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(13.073743782), "13.073743782");
  EXPECT_EQ(std::stod(FormatValue(2.0 / 3.0)), 2.0 / 3.0);
}

TEST(DaemonMetricsTest, SeriesExistFromStartAndFollowRunsAndRestarts) {
  FakeClock clock(*ParseUtc("2026-03-01T12:00:00Z"));
  test::TempDir dir;
  auto store = RunStore::Open(dir / "events.db");
  ASSERT_TRUE(store.ok());
  std::vector<Job> jobs = {BackupJob("nightly")};
  {
    DaemonMetrics m(jobs, {"postgresql", "files"}, clock);
    ASSERT_TRUE(m.Restore(**store).ok());
    std::string text = m.Render();
    EXPECT_TRUE(Has(text, "ecap_dr_job_runs_total{job=\"nightly\",outcome=\"failed\"} 0")) << text;
    EXPECT_TRUE(Has(text, "ecap_dr_job_last_success_timestamp_seconds{job=\"nightly\"} 0"));
    EXPECT_TRUE(Has(text, "ecap_dr_job_expected_interval_seconds{job=\"nightly\"} 86400"));
    EXPECT_TRUE(Has(text, "backup_age_hours{component=\"postgresql\"} +Inf"));
    EXPECT_TRUE(Has(text, "backups_total{status=\"failed\",type=\"full\"} 0") ||
                Has(text, "backups_total{type=\"full\",status=\"failed\"} 0"))
        << text;
    EXPECT_TRUE(Has(text, "backup_duration_seconds_count{job=\"nightly\"} 0"));

    // A listing at start: the newest completed backup of each component.
    m.ObserveListing(nlohmann::json::parse(R"({"backups": [{"backup_id": "a", "status": "completed",
        "backup_type": "full", "end_time": "2026-03-01T09:00:00Z",
        "components": {"postgresql": {"items": 1, "size_bytes": 4096}}}]})"));
    text = m.Render();
    EXPECT_TRUE(Has(text, "backup_age_hours{component=\"postgresql\"} 3")) << text;
    EXPECT_TRUE(Has(text, "backup_size_bytes{component=\"postgresql\"} 4096"));
    EXPECT_TRUE(Has(text, "ecap_dr_repository_backups 1"));

    // A run that succeeds, recorded in the store as the scheduler would.
    JobRun run;
    run.job = "nightly";
    run.started = clock.Now();
    ASSERT_TRUE((*store)->Begin(run).ok());
    m.RunStarted(jobs[0], run);
    EXPECT_TRUE(Has(m.Render(), "ecap_dr_job_running{job=\"nightly\"} 1"));
    clock.Advance(std::chrono::minutes(2));
    run.finished = clock.Now();
    run.outcome = "succeeded";
    run.attempts = 2;
    run.result = {{"backup_id", "b"}, {"status", "completed"}, {"backup_type", "full"},
                  {"end_time", FormatUtc(clock.Now())}, {"components", {{"files", {{"items", 3}, {"size_bytes", 10}}}}}};
    ASSERT_TRUE((*store)->Finish(run).ok());
    m.RunFinished(jobs[0], run);
    text = m.Render();
    EXPECT_TRUE(Has(text, "ecap_dr_job_running{job=\"nightly\"} 0"));
    EXPECT_TRUE(Has(text, "ecap_dr_job_runs_total{job=\"nightly\",outcome=\"succeeded\"} 1"));
    EXPECT_TRUE(Has(text, "ecap_dr_job_attempts_total{job=\"nightly\"} 2"));
    EXPECT_TRUE(Has(text, "backup_age_hours{component=\"files\"} 0"));
    EXPECT_TRUE(Has(text, "backup_duration_seconds_bucket{job=\"nightly\",le=\"120\"} 1")) << text;
    EXPECT_TRUE(Has(text, "ecap_dr_job_last_success_timestamp_seconds{job=\"nightly\"} 1772366520")) << text;
  }
  // Restarted: the counters and times come back from the job state.
  DaemonMetrics again(jobs, {"postgresql", "files"}, clock);
  ASSERT_TRUE(again.Restore(**store).ok());
  std::string text = again.Render();
  EXPECT_TRUE(Has(text, "ecap_dr_job_runs_total{job=\"nightly\",outcome=\"succeeded\"} 1")) << text;
  EXPECT_TRUE(Has(text, "ecap_dr_job_attempts_total{job=\"nightly\"} 2"));
  EXPECT_TRUE(Has(text, "ecap_dr_job_last_success_timestamp_seconds{job=\"nightly\"} 1772366520"));
}

// The gathered series: there from start (unknown is -1, counters 0), then
// what ObserveInputs is given; counters follow the history's counts upwards only.
TEST(DaemonMetricsTest, GatheredSeriesExistFromStartAndFollowTheInputs) {
  FakeClock clock(*ParseUtc("2026-03-01T12:00:00Z"));
  DaemonMetrics m({BackupJob("nightly")}, {"files"}, clock);
  config::Config config;
  config.coordinator_configured = true;
  config.coordinator.rto_target_minutes = 20;
  config.coordinator.services = {{.name = "db", .type = "postgresql"}, {.name = "lake", .type = "s3"}};
  m.ObserveConfig(config);
  std::string text = m.Render();
  for (const char* line : {"ecap_dr_service_health{service=\"db\",state=\"healthy\"} 0",
                           "ecap_dr_service_health{service=\"lake\",state=\"failed\"} 0",
                           "ecap_dr_rto_target_seconds 1200", "ecap_dr_rpo_target_seconds 300",
                           "ecap_dr_last_failover_timestamp_seconds 0", "ecap_dr_last_failover_rto_seconds -1",
                           "ecap_dr_last_failover_rpo_seconds -1", "ecap_dr_wal_archive_lag_seconds -1",
                           "ecap_dr_s3_mirror_lag_seconds -1", "ecap_dr_master_key_age_seconds -1",
                           "ecap_dr_last_drill_timestamp_seconds{scenario=\"restore-test\"} 0",
                           "ecap_dr_drill_rto_seconds{scenario=\"restore-test\"} -1",
                           "ecap_dr_access_denials_total 0", "ecap_dr_restores_total{outcome=\"succeeded\"} 0",
                           "ecap_dr_restores_total{outcome=\"failed\"} 0",
                           "ecap_dr_verifications_total{outcome=\"failed\"} 0", "# TYPE ecap_dr_access_denials_total counter",
                           "# TYPE ecap_dr_service_health gauge"}) {
    EXPECT_TRUE(Has(text, line)) << line << "\n" << text;
  }
  EXPECT_NE(text.find("ecap_dr_build_info{version=\""), std::string::npos);

  AlertInputs in;
  in.service_health = {{"db", "degraded"}, {"lake", "healthy"}};
  in.last_failover = AlertInputs::Failover{.at = *ParseUtc("2026-03-01T11:00:00Z"), .rto_seconds = 95.5};
  in.last_drills["restore-test"] = {.at = *ParseUtc("2026-03-01T11:00:00Z"), .passed = true, .rto_seconds = 12.5,
                                    .rpo_seconds = 30};
  in.wal_archive_lag_seconds = 42;
  in.master_key_age_seconds = 86400;
  in.access_denials_total = 7;
  in.restores = {{"succeeded", 2}, {"failed", 1}};
  in.verifications = {{"succeeded", 5}, {"failed", 0}};
  m.ObserveInputs(in);
  text = m.Render();
  for (const char* line : {"ecap_dr_service_health{service=\"db\",state=\"degraded\"} 1",
                           "ecap_dr_service_health{service=\"db\",state=\"healthy\"} 0",
                           "ecap_dr_service_health{service=\"lake\",state=\"healthy\"} 1",
                           "ecap_dr_last_failover_timestamp_seconds 1772362800", "ecap_dr_last_failover_rto_seconds 95.5",
                           "ecap_dr_last_drill_timestamp_seconds{scenario=\"restore-test\"} 1772362800",
                           "ecap_dr_drill_passed{scenario=\"restore-test\"} 1",
                           "ecap_dr_drill_rto_seconds{scenario=\"restore-test\"} 12.5",
                           "ecap_dr_drill_rpo_seconds{scenario=\"restore-test\"} 30",
                           "ecap_dr_last_failover_rpo_seconds -1", "ecap_dr_wal_archive_lag_seconds 42",
                           "ecap_dr_s3_mirror_lag_seconds -1", "ecap_dr_master_key_age_seconds 86400",
                           "ecap_dr_access_denials_total 7", "ecap_dr_restores_total{outcome=\"succeeded\"} 2",
                           "ecap_dr_restores_total{outcome=\"failed\"} 1",
                           "ecap_dr_verifications_total{outcome=\"succeeded\"} 5"}) {
    EXPECT_TRUE(Has(text, line)) << line << "\n" << text;
  }
  // Lags that became unknown read -1 again; a history with fewer events leaves the counters.
  in.wal_archive_lag_seconds.reset();
  in.access_denials_total = 3;
  m.ObserveInputs(in);
  text = m.Render();
  EXPECT_TRUE(Has(text, "ecap_dr_wal_archive_lag_seconds -1")) << text;
  EXPECT_TRUE(Has(text, "ecap_dr_access_denials_total 7")) << text;
}

}  // namespace daemon_metrics_test
}  // namespace dr::automation
