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
#pragma once

#include <chrono>
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
};

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
