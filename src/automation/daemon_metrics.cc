#include "automation/daemon_metrics.h"

#include <cmath>
#include <limits>
#include <set>

#include "base/time_util.h"

namespace dr::automation {
namespace {

using nlohmann::json;
using Type = MetricRegistry::Type;

// A job's runs take from a minute to hours: buckets 1 min .. 4 h.
const std::vector<double> kDurationBuckets = {30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400};
const char* const kOutcomes[] = {"succeeded", "failed", "cancelled", "skipped", "interrupted"};
const char* const kEventOutcomes[] = {"succeeded", "failed"};  // restores, verifications
const char* const kHealthStates[] = {"healthy", "degraded", "failed"};

// A counter that follows a count kept elsewhere (the event history): it only
// grows, so a history that was cleared does not make it go back.
void RaiseTo(MetricRegistry& r, const std::string& name, const Labels& l, double count) {
  double now = r.Get(name, l);
  if (count > now) r.Add(name, l, count - now);
}

double UnixSeconds(TimePoint t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

}  // namespace

std::vector<std::string> BackedUpComponents(const config::Config& c, const std::vector<Job>& jobs) {
  std::set<std::string> names;
  for (const auto& j : jobs) {
    if (j.config.action != "backup") continue;
    names.insert(j.config.components.begin(), j.config.components.end());
    if (!j.config.components.empty()) continue;
    if (!c.files.paths.empty()) names.insert("files");
    if (c.postgresql_configured) names.insert("postgresql");
    if (!c.s3.buckets.empty()) names.insert("s3");
    if (c.kafka_configured) names.insert("kafka");
  }
  return {names.begin(), names.end()};
}

DaemonMetrics::DaemonMetrics(const std::vector<Job>& jobs, std::vector<std::string> components, Clock& clock)
    : clock_(clock), components_(components.begin(), components.end()) {
  auto& r = registry_;
  // The guide's names.
  r.Declare("backups_total", Type::kCounter, "Backups by type and status (completed or failed).");
  r.Declare("backup_duration_seconds", Type::kHistogram, "Duration of scheduled backups, per job.", kDurationBuckets);
  r.Declare("backup_size_bytes", Type::kGauge, "Size of the newest completed backup of each component (input bytes).");
  r.Declare("backup_age_hours", Type::kGauge,
            "Hours since the newest completed backup of each component (+Inf: never backed up).");
  // The conventional set.
  r.Declare("ecap_dr_build_info", Type::kGauge, "Build of the running daemon (always 1).");
  r.Declare("ecap_dr_start_time_seconds", Type::kGauge, "When the daemon started (unix time).");
  r.Declare("ecap_dr_job_last_success_timestamp_seconds", Type::kGauge,
            "When each job last succeeded (unix time; 0: never).");
  r.Declare("ecap_dr_job_last_completion_timestamp_seconds", Type::kGauge,
            "When each job's last run ended, whatever its outcome (unix time; 0: never).");
  r.Declare("ecap_dr_job_expected_interval_seconds", Type::kGauge,
            "The longest gap between two due times of each job (missed: no success within two).");
  r.Declare("ecap_dr_job_runs_total", Type::kCounter, "Runs of each job by outcome.");
  r.Declare("ecap_dr_job_attempts_total", Type::kCounter, "Attempts of each job, retries included.");
  r.Declare("ecap_dr_job_info", Type::kGauge, "Each configured job and its action (always 1).");
  r.Declare("ecap_dr_job_running", Type::kGauge, "1 while a run of the job is going.");
  r.Declare("ecap_dr_job_last_duration_seconds", Type::kGauge, "How long each job's last run took (0: none yet).");
  r.Declare("ecap_dr_job_duration_seconds", Type::kHistogram, "Duration of each job's runs.", kDurationBuckets);
  r.Declare("ecap_dr_backup_last_success_timestamp_seconds", Type::kGauge,
            "When the newest completed backup of each component ended (unix time; 0: never).");
  r.Declare("ecap_dr_repository_backups", Type::kGauge, "Backups in the repository.");
  r.Declare("ecap_dr_repository_free_bytes", Type::kGauge,
            "Free space where the repository is stored (-1: unknown, e.g. object storage).");

  r.Declare("ecap_dr_service_health", Type::kGauge,
            "Each dr_coordinator service's last check: 1 for its state (healthy, degraded, failed), 0 for the others.");
  r.Declare("ecap_dr_rto_target_seconds", Type::kGauge, "The recovery time objective (dr_coordinator.rto_target_minutes).");
  r.Declare("ecap_dr_rpo_target_seconds", Type::kGauge, "The recovery point objective (dr_coordinator.rpo_target_minutes).");
  r.Declare("ecap_dr_last_failover_timestamp_seconds", Type::kGauge, "When the last failover completed (unix time; 0: never).");
  r.Declare("ecap_dr_last_failover_rto_seconds", Type::kGauge, "How long the last failover took (-1: unknown).");
  r.Declare("ecap_dr_last_failover_rpo_seconds", Type::kGauge,
            "Changes the last failover lost, in seconds: the database's or the mirror's, the larger (-1: unknown).");
  r.Declare("ecap_dr_last_drill_timestamp_seconds", Type::kGauge, "When the last drill of a scenario ended (unix time; 0: never).");
  r.Declare("ecap_dr_drill_passed", Type::kGauge, "Whether the last drill of a scenario passed (1) or failed (0).");
  r.Declare("ecap_dr_drill_rto_seconds", Type::kGauge,
            "The recovery time the last drill of a scenario measured (-1: unknown).");
  r.Declare("ecap_dr_drill_rpo_seconds", Type::kGauge,
            "The recovery point the last drill of a scenario measured, in seconds (-1: unknown).");
  r.Declare("ecap_dr_wal_archive_lag_seconds", Type::kGauge,
            "Age of the oldest PostgreSQL change not yet archived (-1: unknown or no WAL archive).");
  r.Declare("ecap_dr_s3_mirror_lag_seconds", Type::kGauge,
            "Age of the oldest data-lake change not yet mirrored (-1: unknown or no mirror).");
  r.Declare("ecap_dr_master_key_age_seconds", Type::kGauge, "Age of the master key (-1: unknown or unencrypted).");
  r.Declare("ecap_dr_access_denials_total", Type::kCounter, "Operations denied by access control (the event history).");
  r.Declare("ecap_dr_restores_total", Type::kCounter, "Restores by outcome (the event history).");
  r.Declare("ecap_dr_verifications_total", Type::kCounter, "Backup verifications by outcome (the event history).");

  r.Set("ecap_dr_build_info", {{"version", DR_VERSION}}, 1);
  r.Set("ecap_dr_rto_target_seconds", {}, 15 * 60);
  r.Set("ecap_dr_rpo_target_seconds", {}, 5 * 60);
  r.Set("ecap_dr_last_failover_timestamp_seconds", {}, 0);
  // The one scenario there is so far, from start: "no drill" reads 0 (alert on its age).
  r.Set("ecap_dr_last_drill_timestamp_seconds", {{"scenario", "restore-test"}}, 0);
  r.Set("ecap_dr_drill_passed", {{"scenario", "restore-test"}}, 0);
  r.Set("ecap_dr_drill_rto_seconds", {{"scenario", "restore-test"}}, -1);
  r.Set("ecap_dr_drill_rpo_seconds", {{"scenario", "restore-test"}}, -1);
  for (const char* gauge : {"ecap_dr_last_failover_rto_seconds", "ecap_dr_last_failover_rpo_seconds",
                            "ecap_dr_wal_archive_lag_seconds", "ecap_dr_s3_mirror_lag_seconds",
                            "ecap_dr_master_key_age_seconds"}) {
    r.Set(gauge, {}, -1);
  }
  r.Add("ecap_dr_access_denials_total", {}, 0);
  for (const char* outcome : kEventOutcomes) {
    r.Add("ecap_dr_restores_total", {{"outcome", outcome}}, 0);
    r.Add("ecap_dr_verifications_total", {{"outcome", outcome}}, 0);
  }
  r.Set("ecap_dr_start_time_seconds", {}, UnixSeconds(clock_.Now()));
  r.Set("ecap_dr_repository_backups", {}, 0);
  r.Set("ecap_dr_repository_free_bytes", {}, -1);
  for (const char* status : {"completed", "failed"}) r.Add("backups_total", {{"type", "full"}, {"status", status}}, 0);
  for (const auto& job : jobs) {
    Labels l{{"job", job.name()}};
    r.Set("ecap_dr_job_last_success_timestamp_seconds", l, 0);
    r.Set("ecap_dr_job_last_completion_timestamp_seconds", l, 0);
    r.Set("ecap_dr_job_expected_interval_seconds", l, static_cast<double>(job.schedule.expected_interval().count()));
    for (const char* outcome : kOutcomes) r.Add("ecap_dr_job_runs_total", {{"job", job.name()}, {"outcome", outcome}}, 0);
    r.Add("ecap_dr_job_attempts_total", l, 0);
    r.Set("ecap_dr_job_info", {{"job", job.name()}, {"action", job.config.action}}, 1);
    r.Set("ecap_dr_job_running", l, 0);
    r.Set("ecap_dr_job_last_duration_seconds", l, 0);
    r.Observe("ecap_dr_job_duration_seconds", l, std::nan(""));
    if (job.config.action == "backup") r.Observe("backup_duration_seconds", l, std::nan(""));
  }
  for (const auto& c : components_) {
    r.Set("ecap_dr_backup_last_success_timestamp_seconds", {{"component", c}}, 0);
    r.Set("backup_size_bytes", {{"component", c}}, 0);
  }
}

Status DaemonMetrics::Restore(RunStore& store) {
  DR_ASSIGN_OR_RETURN(auto counts, store.Counts());
  for (const auto& c : counts) {
    registry_.Add("ecap_dr_job_runs_total", {{"job", c.job}, {"outcome", c.outcome}}, static_cast<double>(c.runs));
    registry_.Add("ecap_dr_job_attempts_total", {{"job", c.job}}, static_cast<double>(c.attempts));
    if (c.last_finished) {
      Labels l{{"job", c.job}};
      double t = UnixSeconds(*c.last_finished);
      if (registry_.Get("ecap_dr_job_last_completion_timestamp_seconds", l) < t) {
        registry_.Set("ecap_dr_job_last_completion_timestamp_seconds", l, t);
      }
      if (c.outcome == "succeeded") registry_.Set("ecap_dr_job_last_success_timestamp_seconds", l, t);
    }
  }
  return Status::Ok();
}

void DaemonMetrics::ObserveStatuses(const std::vector<JobStatus>& jobs) {
  for (const auto& j : jobs) {
    if (j.last_run && j.last_run->finished && j.last_run->outcome != "skipped") {
      registry_.Set("ecap_dr_job_last_duration_seconds", {{"job", j.name}}, j.last_run->duration_seconds());
    }
  }
}

std::map<std::string, AlertInputs::Component> DaemonMetrics::Components() {
  std::lock_guard lock(mu_);
  std::map<std::string, AlertInputs::Component> out;
  for (const auto& c : components_) {
    AlertInputs::Component& comp = out[c];
    if (auto it = last_backup_end_.find(c); it != last_backup_end_.end()) {
      comp.last_backup = TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(it->second)));
    }
    comp.size_bytes = registry_.Get("backup_size_bytes", {{"component", c}});
  }
  return out;
}

void DaemonMetrics::ObserveBackupResult(const json& backup) {
  if (backup.value("status", "") != "completed") return;
  auto end = ParseUtc(backup.value("end_time", ""));
  if (!end) return;
  double t = UnixSeconds(*end);
  const json components = backup.value("components", json::object());
  for (const auto& [component, summary] : components.items()) {
    if (last_backup_end_.count(component) && last_backup_end_[component] >= t) continue;
    last_backup_end_[component] = t;
    components_.insert(component);
    registry_.Set("ecap_dr_backup_last_success_timestamp_seconds", {{"component", component}}, t);
    registry_.Set("backup_size_bytes", {{"component", component}}, summary.value("size_bytes", 0.0));
  }
}

void DaemonMetrics::ObserveListing(const json& listing) {
  std::lock_guard lock(mu_);
  double count = 0;
  std::map<std::string, double> by_type;
  for (const auto& b : listing.value("backups", json::array())) {
    ++count;
    ObserveBackupResult(b);
    if (b.value("status", "") == "completed") by_type[b.value("backup_type", "full")] += 1;
  }
  registry_.Set("ecap_dr_repository_backups", {}, count);
  // At start the counter begins at what the repository holds (failed backups leave nothing there).
  for (const auto& [type, n] : by_type) {
    RaiseTo(registry_, "backups_total", {{"type", type}, {"status", "completed"}}, n);
  }
}

void DaemonMetrics::SetRepositoryFreeBytes(double bytes) { registry_.Set("ecap_dr_repository_free_bytes", {}, bytes); }

void DaemonMetrics::ObserveConfig(const config::Config& config) {
  registry_.Set("ecap_dr_rto_target_seconds", {}, config.coordinator.rto_target_minutes * 60);
  registry_.Set("ecap_dr_rpo_target_seconds", {}, config.coordinator.rpo_target_minutes * 60);
  if (!config.coordinator_configured) return;
  for (const auto& s : config.coordinator.services) {
    for (const char* state : kHealthStates) registry_.Set("ecap_dr_service_health", {{"service", s.name}, {"state", state}}, 0);
  }
}

void DaemonMetrics::ObserveInputs(const AlertInputs& in) {
  auto& r = registry_;
  for (const auto& [service, health] : in.service_health) {
    for (const char* state : kHealthStates) {
      r.Set("ecap_dr_service_health", {{"service", service}, {"state", state}}, health == state ? 1 : 0);
    }
  }
  auto known = [](const std::optional<double>& v) { return v.value_or(-1); };
  if (in.last_failover) {
    r.Set("ecap_dr_last_failover_timestamp_seconds", {}, UnixSeconds(in.last_failover->at));
    r.Set("ecap_dr_last_failover_rto_seconds", {}, known(in.last_failover->rto_seconds));
    r.Set("ecap_dr_last_failover_rpo_seconds", {}, known(in.last_failover->rpo_seconds));
  }
  for (const auto& [scenario, d] : in.last_drills) {
    r.Set("ecap_dr_last_drill_timestamp_seconds", {{"scenario", scenario}}, UnixSeconds(d.at));
    r.Set("ecap_dr_drill_passed", {{"scenario", scenario}}, d.passed ? 1 : 0);
    r.Set("ecap_dr_drill_rto_seconds", {{"scenario", scenario}}, known(d.rto_seconds));
    r.Set("ecap_dr_drill_rpo_seconds", {{"scenario", scenario}}, known(d.rpo_seconds));
  }
  r.Set("ecap_dr_wal_archive_lag_seconds", {}, known(in.wal_archive_lag_seconds));
  r.Set("ecap_dr_s3_mirror_lag_seconds", {}, known(in.s3_mirror_lag_seconds));
  r.Set("ecap_dr_master_key_age_seconds", {}, known(in.master_key_age_seconds));
  if (in.access_denials_total) RaiseTo(r, "ecap_dr_access_denials_total", {}, static_cast<double>(*in.access_denials_total));
  for (const auto& [outcome, n] : in.restores) RaiseTo(r, "ecap_dr_restores_total", {{"outcome", outcome}}, static_cast<double>(n));
  for (const auto& [outcome, n] : in.verifications) {
    RaiseTo(r, "ecap_dr_verifications_total", {{"outcome", outcome}}, static_cast<double>(n));
  }
}

void DaemonMetrics::RunStarted(const Job& job, const JobRun&) {
  registry_.Set("ecap_dr_job_running", {{"job", job.name()}}, 1);
}

void DaemonMetrics::RunFinished(const Job& job, const JobRun& run) {
  std::lock_guard lock(mu_);
  Labels l{{"job", job.name()}};
  registry_.Add("ecap_dr_job_runs_total", {{"job", job.name()}, {"outcome", run.outcome}});
  if (run.outcome == "skipped") return;  // never ran: its attempts and times are the running run's
  registry_.Set("ecap_dr_job_running", l, 0);
  registry_.Add("ecap_dr_job_attempts_total", l, run.attempts);
  double finished = UnixSeconds(run.finished.value_or(clock_.Now()));
  registry_.Set("ecap_dr_job_last_completion_timestamp_seconds", l, finished);
  registry_.Observe("ecap_dr_job_duration_seconds", l, run.duration_seconds());
  registry_.Set("ecap_dr_job_last_duration_seconds", l, run.duration_seconds());
  if (run.outcome == "succeeded") registry_.Set("ecap_dr_job_last_success_timestamp_seconds", l, finished);
  if (job.config.action != "backup") return;
  registry_.Observe("backup_duration_seconds", l, run.duration_seconds());
  // The backup's own result: {"backup": ..., "retention": ...} when retention ran after it.
  const json& backup = run.result.is_object() && run.result.contains("backup") ? run.result["backup"] : run.result;
  if (run.outcome == "succeeded" || run.outcome == "failed") {
    std::string type = backup.is_object() ? backup.value("backup_type", "full") : "full";
    registry_.Add("backups_total", {{"type", type}, {"status", run.outcome == "succeeded" ? "completed" : "failed"}});
  }
  if (backup.is_object()) ObserveBackupResult(backup);
  // The repository's backup count comes from the next listing (ObserveListing):
  // retention after the backup may have forgotten others.
}

std::string DaemonMetrics::Render() {
  {
    std::lock_guard lock(mu_);
    double now = UnixSeconds(clock_.Now());
    for (const auto& c : components_) {
      auto it = last_backup_end_.find(c);
      double age = it == last_backup_end_.end() ? std::numeric_limits<double>::infinity() : (now - it->second) / 3600;
      registry_.Set("backup_age_hours", {{"component", c}}, age);
    }
  }
  return registry_.Render();
}

}  // namespace dr::automation
