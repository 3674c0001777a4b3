#include "backup/compliance.h"

#include <ctime>
#include <map>
#include <set>
#include <sstream>

#include "base/encoding.h"
#include "base/time_util.h"

namespace dr::backup {

using nlohmann::json;

namespace {


json Check(const std::string& name, bool passed, const std::string& detail) {
  return json{{"check", name}, {"status", passed ? "passed" : "failed"}, {"detail", detail}};
}

// Slots the policy asks for: the last n days / ISO weeks / months up to now.
json Slots(const std::set<std::string>& filled, std::chrono::system_clock::time_point now, int n,
           std::chrono::hours step, const char* format) {
  json slots = json::array();
  std::set<std::string> seen;
  for (auto t = now; static_cast<int>(seen.size()) < n; t -= step) {
    std::string b = FormatUtcPattern(t, format);
    if (!seen.insert(b).second) continue;
    slots.push_back({{"slot", b}, {"filled", filled.count(b) > 0}});
  }
  return slots;
}

}  // namespace

json BuildComplianceReport(const ComplianceInputs& in) {
  const auto& cfg = *in.config;
  const auto& policy = cfg.backup_manager.retention_policies;
  std::set<std::string> days, weeks, months;
  std::optional<std::chrono::system_clock::time_point> newest;
  for (const auto& b : in.backups) {
    auto t = ParseUtc(b.start_time);
    if (!t) continue;
    days.insert(FormatUtcPattern(*t, "%Y-%m-%d"));
    weeks.insert(FormatUtcPattern(*t, "%G-W%V"));
    months.insert(FormatUtcPattern(*t, "%Y-%m"));
    if (!newest || *t > *newest) newest = t;
  }

  // Retention: every slot the policy keeps should hold a backup.
  json daily = Slots(days, in.now, policy.daily, std::chrono::hours(24), "%Y-%m-%d");
  json weekly = Slots(weeks, in.now, policy.weekly, std::chrono::hours(24), "%G-W%V");
  json monthly = Slots(months, in.now, policy.monthly, std::chrono::hours(24), "%Y-%m");
  auto missing = [](const json& slots) {
    json m = json::array();
    for (const auto& s : slots) {
      if (!s["filled"].get<bool>()) m.push_back(s["slot"]);
    }
    return m;
  };
  json retention_checks = json::array();
  retention_checks.push_back(Check("daily slots", missing(daily).empty(),
                                   std::to_string(policy.daily - missing(daily).size()) + " of " +
                                       std::to_string(policy.daily) + " filled; missing: " + missing(daily).dump()));
  retention_checks.push_back(Check("weekly slots", missing(weekly).empty(),
                                   std::to_string(policy.weekly - missing(weekly).size()) + " of " +
                                       std::to_string(policy.weekly) + " filled; missing: " + missing(weekly).dump()));
  retention_checks.push_back(Check("monthly slots", missing(monthly).empty(),
                                   std::to_string(policy.monthly - missing(monthly).size()) + " of " +
                                       std::to_string(policy.monthly) + " filled; missing: " + missing(monthly).dump()));

  // Security.
  json security_checks = json::array();
  security_checks.push_back(Check("encryption", cfg.encryption.enabled,
                                  cfg.encryption.enabled ? "AES-256-GCM" : "backups are NOT encrypted"));
  const json& kc = in.key_check;
  if (cfg.encryption.enabled) {
    bool available = kc.value("key_available", false);
    security_checks.push_back(Check("key available", available, kc.value("key_source", kc.value("error", ""))));
    if (kc.contains("key_age_days")) {
      double age = kc["key_age_days"].get<double>();
      security_checks.push_back(Check("key age", age <= 92, std::to_string(static_cast<int>(age)) +
                                                                 " days (the guide: rotate quarterly, 92 days)"));
    }
    if (kc.contains("key_file_mode")) {
      security_checks.push_back(Check("key file permissions", kc.value("key_file_private", false),
                                      "mode " + kc.value("key_file_mode", "")));
    }
  }
  security_checks.push_back(Check("access control", cfg.access_control.enabled,
                                  cfg.access_control.enabled ? std::to_string(cfg.access_control.users.size()) +
                                                                   " users, " +
                                                                   std::to_string(cfg.access_control.roles.size()) +
                                                                   " roles"
                                                             : "disabled: every user may do everything"));
  security_checks.push_back(Check("audit trail", in.audit_enabled && in.audit_intact,
                                  !in.audit_enabled ? "no audit.log_file configured"
                                  : in.audit_intact ? "hash chain intact"
                                                    : "chain broken: " + in.audit_problem));

  // Schedule.
  json schedule_checks = json::array();
  double max_age = cfg.alerting.rules.max_backup_age_hours;
  if (newest) {
    double age = std::chrono::duration<double>(in.now - *newest).count() / 3600.0;
    std::ostringstream detail;
    detail.precision(1);
    detail << std::fixed << age << " h (limit " << max_age << " h)";
    schedule_checks.push_back(Check("newest backup age", age <= max_age, detail.str()));
  } else {
    schedule_checks.push_back(Check("newest backup age", false, "no backup at all"));
  }
  json missed = json::array();
  std::string today = FormatUtcPattern(in.now, "%Y-%m-%d");
  for (int d = 1; d <= 31; ++d) {
    char day[16];
    std::snprintf(day, sizeof day, "%s-%02d", in.month.c_str(), d);
    auto t = ParseUtc(std::string(day) + "T12:00:00Z");
    if (!t || FormatUtcPattern(*t, "%Y-%m") != in.month || std::string(day) > today) continue;
    if (!days.count(day)) missed.push_back(day);
  }
  schedule_checks.push_back(Check("days without a backup in " + in.month, missed.empty(), missed.dump()));

  // Verification: when each backup was last verified.
  std::map<std::string, std::string> last_verified;
  for (const auto& r : in.verify_records) {
    std::string id = r.value("target", "");
    if (!id.empty() && r.value("time", "") > last_verified[id]) last_verified[id] = r.value("time", "");
  }
  json verification = json::array();
  int unverified = 0;
  for (const auto& b : in.backups) {
    std::string when = last_verified.count(b.backup_id) ? last_verified[b.backup_id] : "";
    unverified += when.empty();
    verification.push_back({{"backup_id", b.backup_id}, {"start_time", b.start_time}, {"last_verified", when}});
  }
  json verification_checks = json::array();
  verification_checks.push_back(Check("every backup verified", unverified == 0,
                                      std::to_string(unverified) + " of " + std::to_string(in.backups.size()) +
                                          " backups never verified (the guide: weekly integrity verification)"));

  json sections{{"retention", {{"checks", retention_checks},
                               {"policy", {{"daily", policy.daily}, {"weekly", policy.weekly}, {"monthly", policy.monthly}}},
                               {"daily_slots", daily},
                               {"weekly_slots", weekly},
                               {"monthly_slots", monthly}}},
                {"security", {{"checks", security_checks}}},
                {"schedule", {{"checks", schedule_checks}, {"missed_days", missed}}},
                {"verification", {{"checks", verification_checks}, {"backups", verification}}}};
  bool passed = true;
  json summary = json::object();
  for (auto& [name, section] : sections.items()) {
    bool ok = true;
    for (const auto& c : section["checks"]) ok = ok && c["status"] == "passed";
    section["status"] = ok ? "passed" : "failed";
    summary[name] = section["status"];
    passed = passed && ok;
  }
  return json{{"report", "compliance"},
              {"generated_at", FormatUtc(in.now)},
              {"month", in.month},
              {"repository", cfg.backup_manager.backup_dir},
              {"overall_status", passed ? "passed" : "failed"},
              {"summary", summary},
              {"sections", sections}};
}

std::string RenderMarkdown(const json& r) {
  std::ostringstream out;
  out << "# ecap-dr compliance report, " << r["month"].get<std::string>() << "\n\n";
  out << "Generated " << r["generated_at"].get<std::string>() << " for repository `"
      << r["repository"].get<std::string>() << "`.\n\n";
  out << "**Overall: " << (r["overall_status"] == "passed" ? "PASSED" : "FAILED") << "**\n\n";
  out << "| section | status |\n|---|---|\n";
  for (const auto& [name, status] : r["summary"].items()) out << "| " << name << " | " << status.get<std::string>() << " |\n";
  for (const auto& [name, section] : r["sections"].items()) {
    out << "\n## " << name << "\n\n| check | status | detail |\n|---|---|---|\n";
    for (const auto& c : section["checks"]) {
      out << "| " << c["check"].get<std::string>() << " | " << c["status"].get<std::string>() << " | "
          << c["detail"].get<std::string>() << " |\n";
    }
  }
  out << "\n## verification by backup\n\n| backup | started | last verified |\n|---|---|---|\n";
  for (const auto& b : r["sections"]["verification"]["backups"]) {
    std::string when = b["last_verified"].get<std::string>();
    out << "| " << b["backup_id"].get<std::string>() << " | " << b["start_time"].get<std::string>() << " | "
        << (when.empty() ? "never" : when) << " |\n";
  }
  return out.str();
}

std::string RenderHtml(const json& r) {
  bool ok = r["overall_status"] == "passed";
  std::ostringstream out;
  out << "<!doctype html><html><head><meta charset=\"utf-8\"><title>ecap-dr compliance report "
      << HtmlEscape(r["month"].get<std::string>()) << "</title><style>"
      << "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
      << "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.passed{color:#116611}"
      << ".failed{color:#aa1111;font-weight:bold}.banner{padding:1em;font-size:1.4em;border-radius:6px}"
      << ".banner.passed{background:#e3f6e3}.banner.failed{background:#fbe3e3}</style></head><body>";
  out << "<h1>ecap-dr compliance report, " << HtmlEscape(r["month"].get<std::string>()) << "</h1>";
  out << "<p>Generated " << HtmlEscape(r["generated_at"].get<std::string>()) << " for repository <code>"
      << HtmlEscape(r["repository"].get<std::string>()) << "</code>.</p>";
  out << "<div class=\"banner " << (ok ? "passed" : "failed") << "\">Overall: " << (ok ? "PASSED" : "FAILED")
      << "</div><table><tr><th>section</th><th>status</th></tr>";
  for (const auto& [name, status] : r["summary"].items()) {
    out << "<tr><td>" << HtmlEscape(name) << "</td><td class=\"" << status.get<std::string>() << "\">"
        << status.get<std::string>() << "</td></tr>";
  }
  out << "</table>";
  for (const auto& [name, section] : r["sections"].items()) {
    out << "<h2>" << HtmlEscape(name) << "</h2><table><tr><th>check</th><th>status</th><th>detail</th></tr>";
    for (const auto& c : section["checks"]) {
      out << "<tr><td>" << HtmlEscape(c["check"].get<std::string>()) << "</td><td class=\""
          << c["status"].get<std::string>() << "\">" << c["status"].get<std::string>() << "</td><td>"
          << HtmlEscape(c["detail"].get<std::string>()) << "</td></tr>";
    }
    out << "</table>";
  }
  out << "<h2>verification by backup</h2><table><tr><th>backup</th><th>started</th><th>last verified</th></tr>";
  for (const auto& b : r["sections"]["verification"]["backups"]) {
    std::string when = b["last_verified"].get<std::string>();
    out << "<tr><td>" << HtmlEscape(b["backup_id"].get<std::string>()) << "</td><td>"
        << HtmlEscape(b["start_time"].get<std::string>()) << "</td>";
    if (when.empty()) {
      out << "<td class=\"failed\">never</td></tr>";
    } else {
      out << "<td>" << HtmlEscape(when) << "</td></tr>";
    }
  }
  out << "</table></body></html>\n";
  return out.str();
}

}  // namespace dr::backup
