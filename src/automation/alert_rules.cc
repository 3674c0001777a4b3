#include "automation/alert_rules.h"

#include <algorithm>
#include <cmath>

#include "automation/prometheus.h"
#include "base/time_util.h"

namespace dr::automation {
namespace {

using nlohmann::json;
using notify::Alert;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

Alert Make(const std::string& name, const std::string& severity, std::map<std::string, std::string> labels,
           const std::string& summary, TimePoint now) {
  Alert a;
  a.name = name;
  a.severity = severity;
  a.labels = std::move(labels);
  a.annotations["summary"] = summary;
  a.starts_at = now;
  return a;
}

std::string OneDecimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

bool IsVerification(const std::string& action) { return action == "verify" || action == "repo_check"; }

std::string Minutes(double seconds) { return OneDecimal(seconds / 60) + " min"; }

// The rules over ops::GatherAlertInputs' findings (alert_rules.h); unknown inputs are skipped.
void EvaluateStateRules(const config::AlertRules& rules, const AlertInputs& in, std::vector<Alert>& out) {
  for (const auto& [service, health] : in.service_health) {
    if (health == "degraded") {
      out.push_back(Make("ServiceDegraded", "warning", {{"service", service}}, "service " + service + " is degraded", in.now));
    } else if (health == "failed") {
      out.push_back(Make("ServiceFailed", "critical", {{"service", service}}, "service " + service + " has failed", in.now));
    }
  }
  if (const auto& f = in.last_failover; f && in.now - f->at < kFailoverAlertPeriod) {
    std::string when = "the failover of " + FormatUtc(f->at);
    if (f->rto_seconds && *f->rto_seconds > in.rto_target_seconds) {
      out.push_back(Make("FailoverRtoViolated", "warning", {},
                         when + " took " + Minutes(*f->rto_seconds) + " (RTO target " + Minutes(in.rto_target_seconds) + ")",
                         in.now));
    }
    if (f->rpo_seconds && *f->rpo_seconds > in.rpo_target_seconds) {
      out.push_back(Make("FailoverRpoViolated", "warning", {},
                         when + " lost up to " + Minutes(*f->rpo_seconds) + " of changes (RPO target " +
                             Minutes(in.rpo_target_seconds) + ")",
                         in.now));
    }
  }
  auto lag = [&](const char* name, const std::optional<double>& seconds, const std::string& what) {
    if (seconds && *seconds > in.rpo_target_seconds) {
      out.push_back(Make(name, "critical", {},
                         what + " is " + Minutes(*seconds) + " behind (RPO target " + Minutes(in.rpo_target_seconds) + ")",
                         in.now));
    }
  };
  lag("WalArchiveLagTooHigh", in.wal_archive_lag_seconds, "the WAL archive");
  lag("S3MirrorLagTooHigh", in.s3_mirror_lag_seconds, "the data-lake mirror");
  if (in.repository_free_bytes && *in.repository_free_bytes < rules.min_free_space_gb * kGiB) {
    out.push_back(Make("RepositorySpaceLow", "critical", {},
                       "the repository's file system has " + OneDecimal(*in.repository_free_bytes / kGiB) +
                           " GiB free (minimum " + FormatValue(rules.min_free_space_gb) + ")",
                       in.now));
  }
  if (in.access_denials_in_window && *in.access_denials_in_window > rules.max_access_denials) {
    out.push_back(Make("AccessDenialsHigh", "warning", {},
                       std::to_string(*in.access_denials_in_window) + " operations were denied within " +
                           rules.access_denial_window + " (limit " + std::to_string(rules.max_access_denials) + ")",
                       in.now));
  }
  if (in.master_key_age_seconds && *in.master_key_age_seconds > rules.key_rotation_days * 86400) {
    out.push_back(Make("MasterKeyTooOld", "warning", {},
                       "the master key is " + OneDecimal(*in.master_key_age_seconds / 86400) +
                           " days old (rotate every " + FormatValue(rules.key_rotation_days) + ")",
                       in.now));
  }
  for (const auto& [scenario, d] : in.last_drills) {
    std::map<std::string, std::string> labels{{"scenario", scenario}};
    if (!d.passed) {
      out.push_back(Make("DrillFailed", "critical", labels,
                         "the last " + scenario + " drill (" + FormatUtc(d.at) + ") failed", in.now));
    }
    double age_days = std::chrono::duration<double>(in.now - d.at).count() / 86400;
    if (rules.max_drill_age_days > 0 && age_days > rules.max_drill_age_days) {
      out.push_back(Make("DrillOverdue", "warning", labels,
                         "the last " + scenario + " drill is " + OneDecimal(age_days) + " days old (drill every " +
                             FormatValue(rules.max_drill_age_days) + " days)",
                         in.now));
    }
  }
}

}  // namespace

std::vector<Alert> EvaluateRules(const config::AlertRules& rules, const AlertInputs& in) {
  std::vector<Alert> out;
  for (const auto& job : in.jobs) {
    const auto& last = job.last_run;
    std::map<std::string, std::string> labels{{"job", job.name}};
    // The last finished run (a skipped due time is no run) did not succeed.
    if (last && last->finished && last->outcome != "succeeded" && last->outcome != "skipped") {
      std::string why = "job " + job.name + " " + last->outcome + (last->message.empty() ? "" : ": " + last->message);
      if (job.action == "backup") out.push_back(Make("BackupFailed", "critical", labels, why, in.now));
      else if (IsVerification(job.action)) out.push_back(Make("VerificationFailed", "critical", labels, why, in.now));
      else out.push_back(Make("JobFailed", "warning", labels, why, in.now));
    }
    if (job.last_success && job.last_success->finished &&
        in.now - *job.last_success->finished > 2 * job.expected_interval) {
      out.push_back(Make("JobMissed", "warning", labels,
                         "job " + job.name + " has not succeeded since " + FormatUtc(*job.last_success->finished) +
                             " (expected every " + FormatDuration(job.expected_interval) + ")",
                         in.now));
    }
    if (job.action == "backup" && last && last->finished && last->outcome != "skipped" &&
        last->duration_seconds() > rules.max_backup_duration_minutes * 60) {
      out.push_back(Make("BackupTooLong", "warning", labels,
                         "job " + job.name + "'s last backup took " + OneDecimal(last->duration_seconds() / 60) +
                             " min (limit " + FormatValue(rules.max_backup_duration_minutes) + ")",
                         in.now));
    }
  }
  for (const auto& [name, c] : in.components) {
    std::map<std::string, std::string> labels{{"component", name}};
    double age_hours = c.last_backup ? std::chrono::duration<double>(in.now - *c.last_backup).count() / 3600
                                     : std::numeric_limits<double>::infinity();
    if (age_hours > rules.max_backup_age_hours) {
      out.push_back(Make("BackupTooOld", "critical", labels,
                         c.last_backup ? "the newest " + name + " backup is " + OneDecimal(age_hours) + " h old (limit " +
                                             FormatValue(rules.max_backup_age_hours) + " h)"
                                       : "there is no completed backup of " + name,
                         in.now));
    }
    if (c.size_bytes > rules.max_backup_size_gb * kGiB) {
      out.push_back(Make("BackupTooLarge", "warning", labels,
                         "the newest " + name + " backup holds " + OneDecimal(c.size_bytes / kGiB) + " GiB (limit " +
                             FormatValue(rules.max_backup_size_gb) + ")",
                         in.now));
    }
  }
  EvaluateStateRules(rules, in, out);
  return out;
}

std::vector<Alert> AlertTracker::Update(std::vector<Alert> firing, TimePoint now) {
  std::map<std::string, Alert> next;
  for (auto& a : firing) {
    std::string fp = a.Fingerprint();
    if (auto it = firing_.find(fp); it != firing_.end()) a.starts_at = it->second.starts_at;
    next[fp] = std::move(a);
  }
  std::vector<Alert> out;
  for (const auto& [fp, a] : next) out.push_back(a);
  for (auto& [fp, a] : firing_) {
    if (next.count(fp)) continue;
    Alert resolved = a;
    resolved.state = notify::AlertState::kResolved;
    resolved.ends_at = now;
    out.push_back(std::move(resolved));
  }
  firing_ = std::move(next);
  return out;
}

std::vector<Alert> AlertTracker::Firing() const {
  std::vector<Alert> out;
  for (const auto& [fp, a] : firing_) out.push_back(a);
  std::sort(out.begin(), out.end(), [](const Alert& x, const Alert& y) {
    return std::tie(x.name, x.labels) < std::tie(y.name, y.labels);
  });
  return out;
}

json AlertsJson(const std::vector<Alert>& alerts) {
  json list = json::array();
  for (const auto& a : alerts) {
    list.push_back({{"name", a.name},
                    {"labels", a.labels},
                    {"annotations", a.annotations},
                    {"severity", a.severity},
                    {"state", notify::StateName(a.state)},
                    {"starts_at", FormatUtc(a.starts_at)},
                    {"fingerprint", a.Fingerprint()}});
  }
  return {{"alerts", list}};
}

std::string PrometheusRules(const config::AlertRules& rules) {
  struct Rule {
    const char* name;
    const char* severity;
    std::string expr;
    const char* summary;
  };
  const std::string failed =
      "(ecap_dr_job_last_completion_timestamp_seconds > ecap_dr_job_last_success_timestamp_seconds)"
      " * on(job) group_left() ";
  // A violation is news for kFailoverAlertPeriod after the failover.
  const std::string recent =
      " and time() - ecap_dr_last_failover_timestamp_seconds < " +
      FormatValue(std::chrono::duration<double>(kFailoverAlertPeriod).count());
  const std::vector<Rule> list = {
      {"BackupFailed", "critical", failed + "ecap_dr_job_info{action=\"backup\"}",
       "The last run of backup job {{ $labels.job }} did not succeed."},
      {"VerificationFailed", "critical", failed + "ecap_dr_job_info{action=~\"verify|repo_check\"}",
       "The last run of verification job {{ $labels.job }} did not succeed."},
      {"JobFailed", "warning", failed + "ecap_dr_job_info{action!~\"backup|verify|repo_check\"}",
       "The last run of job {{ $labels.job }} did not succeed."},
      {"JobMissed", "warning",
       "ecap_dr_job_last_success_timestamp_seconds > 0 and time() - ecap_dr_job_last_success_timestamp_seconds"
       " > 2 * ecap_dr_job_expected_interval_seconds",
       "Job {{ $labels.job }} has not succeeded within two expected intervals."},
      {"BackupTooOld", "critical", "backup_age_hours > " + FormatValue(rules.max_backup_age_hours),
       "The newest {{ $labels.component }} backup is older than the limit."},
      {"BackupTooLong", "warning",
       "ecap_dr_job_last_duration_seconds * on(job) group_left() ecap_dr_job_info{action=\"backup\"} > " +
           FormatValue(rules.max_backup_duration_minutes * 60),
       "The last backup of job {{ $labels.job }} took longer than the limit."},
      {"BackupTooLarge", "warning", "backup_size_bytes > " + FormatValue(rules.max_backup_size_gb * kGiB),
       "The newest {{ $labels.component }} backup is larger than the limit."},
      {"ServiceDegraded", "warning", "ecap_dr_service_health{state=\"degraded\"} == 1",
       "Service {{ $labels.service }} is degraded."},
      {"ServiceFailed", "critical", "ecap_dr_service_health{state=\"failed\"} == 1",
       "Service {{ $labels.service }} has failed."},
      {"FailoverRtoViolated", "warning", "ecap_dr_last_failover_rto_seconds > ecap_dr_rto_target_seconds" + recent,
       "The last failover took longer than the RTO target."},
      {"FailoverRpoViolated", "warning", "ecap_dr_last_failover_rpo_seconds > ecap_dr_rpo_target_seconds" + recent,
       "The last failover lost more than the RPO target."},
      {"WalArchiveLagTooHigh", "critical", "ecap_dr_wal_archive_lag_seconds > ecap_dr_rpo_target_seconds",
       "The WAL archive is further behind than the RPO target."},
      {"S3MirrorLagTooHigh", "critical", "ecap_dr_s3_mirror_lag_seconds > ecap_dr_rpo_target_seconds",
       "The data-lake mirror is further behind than the RPO target."},
      {"RepositorySpaceLow", "critical",
       "ecap_dr_repository_free_bytes >= 0 and ecap_dr_repository_free_bytes < " +
           FormatValue(rules.min_free_space_gb * kGiB),
       "The file system of the repository is running out of space."},
      {"AccessDenialsHigh", "warning",
       "increase(ecap_dr_access_denials_total[" + rules.access_denial_window + "]) > " +
           std::to_string(rules.max_access_denials),
       "More operations than the limit were denied."},
      {"MasterKeyTooOld", "warning", "ecap_dr_master_key_age_seconds > " + FormatValue(rules.key_rotation_days * 86400),
       "The master key is older than the rotation period."},
      {"DrillFailed", "critical", "ecap_dr_last_drill_timestamp_seconds > 0 and ecap_dr_drill_passed == 0",
       "The last {{ $labels.scenario }} drill failed."},
  };
  std::vector<Rule> all = list;
  if (rules.max_drill_age_days > 0) {
    all.push_back({"DrillOverdue", "warning",
                   "ecap_dr_last_drill_timestamp_seconds > 0 and time() - ecap_dr_last_drill_timestamp_seconds > " +
                       FormatValue(rules.max_drill_age_days * 86400),
                   "The last {{ $labels.scenario }} drill is older than the drill period."});
  }
  std::string out =
      "# Generated by `ecap-dr alert rules --format prometheus` from alerting.rules: the rules\n"
      "# `ecap-dr serve` evaluates itself, over the metrics it exports.\n"
      "groups:\n  - name: ecap-dr\n    rules:\n";
  for (const auto& r : all) {
    out += "      - alert: " + std::string(r.name) + "\n";
    out += "        expr: '" + r.expr + "'\n";
    out += "        labels:\n          severity: " + std::string(r.severity) + "\n";
    out += "        annotations:\n          summary: '" + std::string(r.summary) + "'\n";
  }
  return out;
}

}  // namespace dr::automation
