// What `ecap-dr serve` exports at /metrics. Two sets:
//
// - the guide's four names, as the guide writes them: backups_total{type,status},
//   backup_duration_seconds (a histogram per backup job), backup_size_bytes and
//   backup_age_hours (per component, from the newest completed backup);
// - the conventional ecap_dr_ set (Prometheus naming: base units, _total only
//   on counters, timestamps in _timestamp_seconds): per job the last success and
//   last completion times, the expected interval, runs by outcome, attempts,
//   whether it runs now and a duration histogram (1 min .. 4 h buckets); per
//   component the last successful backup's time; the repository's backup count
//   and free space; build info and start time;
// - what ops::GatherAlertInputs finds (at most once a minute; ObserveInputs):
//   each dr_coordinator service's health as a state set
//   (ecap_dr_service_health{service,state} 1 for its state, 0 for the others;
//   all 0 until checked), the last failover's time, RTO and RPO beside the
//   targets, the WAL archive's and the data-lake mirror's lag, the master key's
//   age (each -1 while unknown), and counters of access denials, restores and
//   verifications by outcome (the event history's counts, so they survive a
//   restart).
//
// Labels are job, component, service, state, outcome, type and status: never a backup id.
// Every series exists from start (a component never backed up has a last
// success of 0, so "too old" alerts fire for it) and is rebuilt after a
// restart from the job state and the repository's listing. A scrape renders
// what is in memory; it never reads the repository.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automation/alert_rules.h"
#include "automation/prometheus.h"
#include "automation/run_store.h"
#include "automation/scheduler.h"
#include "dr/clock.h"

namespace dr::automation {

// Every component the scheduled backups cover (a backup job without
// components backs up every configured one): series for each from start.
std::vector<std::string> BackedUpComponents(const config::Config& config, const std::vector<Job>& jobs);

class DaemonMetrics : public SchedulerObserver {
 public:
  // `components`: every component the configuration backs up (series for each from start).
  DaemonMetrics(const std::vector<Job>& jobs, std::vector<std::string> components, Clock& clock);

  // Start-up: counters and last runs from the job state.
  Status Restore(RunStore& store);
  // The repository's listing ({"backups": [...]} as ops::ListBackups returns
  // it): the newest completed backup of each component and the count.
  void ObserveListing(const nlohmann::json& listing);
  // Free space where the repository lives (bytes); negative: unknown.
  void SetRepositoryFreeBytes(double bytes);
  // The series the configuration decides: each dr_coordinator service's
  // health states and the RTO/RPO targets. Once, at start.
  void ObserveConfig(const config::Config& config);
  // What ops::GatherAlertInputs found; an unknown input leaves its gauge at -1
  // and its counter where it was. (Free space comes from SetRepositoryFreeBytes,
  // after every run: fresher than a gathering.)
  void ObserveInputs(const AlertInputs& in);

  void RunStarted(const Job& job, const JobRun& run) override;
  void RunFinished(const Job& job, const JobRun& run) override;

  // Start-up: each job's last run duration (from Scheduler::Statuses).
  void ObserveStatuses(const std::vector<JobStatus>& jobs);
  // The newest completed backup of each component (the alert rules' input).
  std::map<std::string, AlertInputs::Component> Components();

  // The exposition text, with the ages computed for now.
  std::string Render();
  MetricRegistry& registry() { return registry_; }

 private:
  void ObserveBackupResult(const nlohmann::json& backup);

  Clock& clock_;
  MetricRegistry registry_;
  std::mutex mu_;
  std::map<std::string, double> last_backup_end_;  // component -> unix seconds of its newest completed backup
  std::set<std::string> components_;
};

}  // namespace dr::automation
