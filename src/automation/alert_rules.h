// The daemon's alert rules: the guide's three (alerting.rules) and the
// failures and misses of scheduled jobs, evaluated on what the daemon knows
// (its jobs' runs and the newest backup of each component), and the same
// rules as a Prometheus rules file over the exported metrics, for users who
// alert from Prometheus (`ecap-dr alert rules --format prometheus`).
//
//   BackupFailed        critical  a backup job's last run did not succeed      {job}
//   VerificationFailed  critical  a verify or repo_check job's last run did not {job}
//   JobFailed           warning   any other job's last run did not succeed      {job}
//   JobMissed           warning   no success within two expected intervals      {job}
//                                 (after a first success: Prometheus's batch-job rule)
//   BackupTooOld        critical  newest backup older than max_backup_age_hours {component}
//                                 (a component never backed up is too old)
//   BackupTooLong       warning   last backup run took over max_backup_duration_minutes {job}
//   BackupTooLarge      warning   newest backup over max_backup_size_gb (GiB)   {component}
//
// and the coordinator's and the repository's state, which ops::GatherAlertInputs
// collects (at most once a minute in serve; never per scrape):
//
//   ServiceDegraded     warning   a dr_coordinator service's check is degraded  {service}
//   ServiceFailed       critical  a dr_coordinator service's check failed       {service}
//   FailoverRtoViolated warning   the last failover took longer than the RTO target
//   FailoverRpoViolated warning   the last failover lost more than the RPO target (the
//                                 database's, or the mirror's when storage failed over)
//                                 (both: for 7 days after that failover, or until a newer one)
//   WalArchiveLagTooHigh critical PostgreSQL's WAL archive is further behind than the RPO target
//   S3MirrorLagTooHigh  critical  the data-lake mirror is further behind than the RPO target
//   RepositorySpaceLow  critical  a local repository's file system has less free space
//                                 than min_free_space_gb (GiB; 0: never)
//   AccessDenialsHigh   warning   more than max_access_denials denied operations within
//                                 access_denial_window
//   MasterKeyTooOld     warning   the master key is older than key_rotation_days
//   DrillFailed         critical  the last drill of a scenario failed          {scenario}
//   DrillOverdue        warning   the last drill of a scenario is older than    {scenario}
//                                 max_drill_age_days (after a first drill, like JobMissed;
//                                 a scheduled restore_test job that never ran is JobMissed's)
//
// An input that could not be gathered (or does not apply: no coordinator, no
// WAL archive, no mirror, an S3 repository, no event history, no encryption)
// is unknown, and an unknown input never fires its rule. The one rule where a
// missing thing counts is BackupTooOld (a component never backed up).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "automation/notify/alert.h"
#include "automation/scheduler.h"
#include "config/config.h"

namespace dr::automation {

// What the rules look at.
struct AlertInputs {
  TimePoint now{};
  std::vector<JobStatus> jobs;  // Scheduler::Statuses
  struct Component {
    std::optional<TimePoint> last_backup;  // end of its newest completed backup
    double size_bytes = 0;
  };
  std::map<std::string, Component> components;

  // What ops::GatherAlertInputs finds; nullopt (an absent service): unknown.
  // The targets the failover and lag rules compare with (dr_coordinator.*_target_minutes).
  double rto_target_seconds = 15 * 60;
  double rpo_target_seconds = 5 * 60;
  // Each dr_coordinator service's last check: "healthy", "degraded" or "failed".
  std::map<std::string, std::string> service_health;
  // The newest failover_completed event of the history.
  struct Failover {
    TimePoint at{};
    std::optional<double> rto_seconds;
    std::optional<double> rpo_seconds;  // the database's, or the mirror's lag when storage failed over (the larger)
  };
  std::optional<Failover> last_failover;
  // The newest drill of each scenario (drill_completed / drill_failed events).
  struct Drill {
    TimePoint at{};
    bool passed = false;
    std::optional<double> rto_seconds;
    std::optional<double> rpo_seconds;
  };
  std::map<std::string, Drill> last_drills;  // by scenario
  std::optional<double> wal_archive_lag_seconds;
  std::optional<double> s3_mirror_lag_seconds;
  std::optional<double> repository_free_bytes;
  std::optional<int64_t> access_denials_in_window;  // within alerting.rules.access_denial_window
  std::optional<double> master_key_age_seconds;
  // For the metrics only (counters since the history began): events by outcome,
  // "succeeded" and "failed"; empty: no history.
  std::optional<int64_t> access_denials_total;
  std::map<std::string, int64_t> restores;
  std::map<std::string, int64_t> verifications;
};

// How long a failover's RTO or RPO violation keeps its alert firing.
inline constexpr std::chrono::hours kFailoverAlertPeriod{24 * 7};

// The alerts firing for `in` (state firing, starts_at = in.now).
std::vector<notify::Alert> EvaluateRules(const config::AlertRules& rules, const AlertInputs& in);

// Follows alerts across evaluations: an alert keeps the time it started
// firing, and one that stops firing is returned once as resolved.
class AlertTracker {
 public:
  // The alerts to hand to the notifier for this evaluation: the firing ones
  // (with their first starts_at) and the ones that just resolved.
  std::vector<notify::Alert> Update(std::vector<notify::Alert> firing, TimePoint now);
  // Firing now, in name and fingerprint order.
  std::vector<notify::Alert> Firing() const;

 private:
  std::map<std::string, notify::Alert> firing_;  // by fingerprint
};

// The same rules as a Prometheus rules file (YAML), over the metrics of
// daemon_metrics.h.
std::string PrometheusRules(const config::AlertRules& rules);

// {"alerts": [{"name", "labels", "annotations", "severity", "state", "starts_at", "fingerprint"}]}
nlohmann::json AlertsJson(const std::vector<notify::Alert>& alerts);

}  // namespace dr::automation
