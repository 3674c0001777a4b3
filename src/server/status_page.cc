#include "server/status_page.h"

#include <cmath>
#include <sstream>

#include "base/encoding.h"

namespace dr::server {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key, const std::string& fallback = "") {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// "3h 12m", "45s", "2d 4h": an age or duration a person reads at a glance.
std::string Span(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "—";
  auto s = static_cast<int64_t>(seconds);
  // The two largest units: enough to judge, short enough for a phone.
  const std::pair<int64_t, const char*> units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  std::string out;
  int shown = 0;
  for (auto [size, name] : units) {
    if (shown == 2 || (shown == 1 && s / size == 0)) break;
    if (s >= size || (size == 1 && shown == 0)) {
      out += (out.empty() ? "" : " ") + std::to_string(s / size) + name;
      s %= size;
      ++shown;
    }
  }
  return out;
}

// A coloured word: ok (green), warn (amber), bad (red), idle (grey).
std::string Badge(const std::string& kind, const std::string& text) {
  return "<span class=\"badge " + kind + "\">" + HtmlEscape(text) + "</span>";
}

std::string HealthKind(const std::string& status) {
  if (status == "healthy") return "ok";
  if (status == "degraded") return "warn";
  if (status == "unknown") return "idle";
  return "bad";
}

std::string OutcomeKind(const std::string& outcome) {
  if (outcome == "succeeded") return "ok";
  if (outcome == "running" || outcome == "skipped") return "idle";
  return "bad";
}

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:0 1rem 2rem;color:#1d2329;background:#f6f7f9}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:baseline;padding:1rem 0}
h1{font-size:1.3rem;margin:0}h2{font-size:1.05rem;margin:1.6rem 0 .5rem}
.meta{color:#5b6670;font-size:.85rem}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:.25rem .75rem .75rem;margin-bottom:1rem;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eef0f3;vertical-align:top}
th{color:#5b6670;font-weight:600;font-size:.8rem;text-transform:uppercase;letter-spacing:.02em}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:999px;font-size:.8rem;font-weight:600}
.ok{background:#dcf5e3;color:#12602b}.warn{background:#fff1cc;color:#7a5200}.bad{background:#fde0de;color:#9b1c13}.idle{background:#eceff2;color:#4b5560}
.empty{color:#5b6670;font-style:italic;padding:.5rem 0}
code{font-size:.85rem}
@media (max-width:600px){th:nth-child(n+4),td:nth-child(n+4){display:none}body{padding:0 .5rem 1rem}}
)";

void Services(std::ostringstream& out, const json& view) {
  out << "<section id=\"services\"><h2>Services</h2>";
  const json& services = view.value("services", json::array());
  if (services.empty()) {
    out << "<p class=\"empty\">No services are watched: the configuration has no dr_coordinator section.</p>";
  } else {
    out << "<table><tr><th>Service</th><th>Health</th><th>Since</th><th>Last error</th></tr>";
    for (const auto& s : services) {
      std::string status = Str(s, "status", "unknown");
      out << "<tr><td>" << HtmlEscape(Str(s, "name")) << "</td><td>" << Badge(HealthKind(status), status)
          << "</td><td>" << HtmlEscape(Str(s, "since", "—")) << "</td><td>" << HtmlEscape(Str(s, "error")) << "</td></tr>";
    }
    out << "</table>";
  }
  out << "</section>";
}

void Components(std::ostringstream& out, const json& view) {
  double rpo = view.value("rpo_target_seconds", 0.0);
  double max_age = view.value("max_backup_age_seconds", 0.0);
  out << "<section id=\"backups\"><h2>Backups</h2>";
  const json& components = view.value("components", json::array());
  if (components.empty()) {
    out << "<p class=\"empty\">No scheduled backup covers any component.</p></section>";
    return;
  }
  out << "<table><tr><th>Component</th><th>Newest backup</th><th>Age</th><th>Size</th><th>Scheduled by</th></tr>";
  for (const auto& c : components) {
    const json& age = c.value("age_seconds", json());
    std::string age_cell;
    if (age.is_number()) {
      double a = age.get<double>();
      // Within the RPO target: green; within the backup-age limit: amber; beyond: red.
      std::string kind = (rpo > 0 && a <= rpo) ? "ok" : (max_age <= 0 || a <= max_age) ? "warn" : "bad";
      age_cell = Badge(kind, Span(a));
    } else {
      age_cell = Badge("bad", "never");
    }
    std::string jobs;
    for (const auto& j : c.value("jobs", json::array())) jobs += (jobs.empty() ? "" : ", ") + j.get<std::string>();
    out << "<tr data-component=\"" << HtmlEscape(Str(c, "name")) << "\"><td>" << HtmlEscape(Str(c, "name"))
        << "</td><td>" << HtmlEscape(Str(c, "last_backup", "—")) << "</td><td>" << age_cell << "</td><td>"
        << HtmlEscape(HumanBytes(static_cast<uint64_t>(c.value("size_bytes", 0.0)))) << "</td><td>" << HtmlEscape(jobs) << "</td></tr>";
  }
  out << "</table><p class=\"meta\">RPO target " << HtmlEscape(Span(rpo)) << "; a backup older than "
      << HtmlEscape(Span(max_age)) << " raises BackupTooOld.</p></section>";
}

void Jobs(std::ostringstream& out, const json& view) {
  out << "<section id=\"schedules\"><h2>Schedules</h2>";
  const json& jobs = view.value("jobs", json::array());
  if (jobs.empty()) {
    out << "<p class=\"empty\">No job is scheduled (automation.jobs is empty).</p></section>";
    return;
  }
  out << "<table><tr><th>Job</th><th>Last run</th><th>Next run</th><th>Schedule</th><th>Last success</th></tr>";
  for (const auto& j : jobs) {
    std::string last = "<span class=\"badge idle\">never run</span>";
    if (j.value("running", false)) {
      last = Badge("idle", "running");
    } else if (const json& run = j.value("last_run", json()); run.is_object()) {
      std::string outcome = Str(run, "outcome");
      last = Badge(OutcomeKind(outcome), outcome) + " " + HtmlEscape(Str(run, "started"));
    }
    std::string next = "—";
    if (const json& runs = j.value("next_runs", json::array()); !runs.empty()) next = Str(runs[0], "local");
    std::string success = "—";
    if (const json& s = j.value("last_success", json()); s.is_object()) success = Str(s, "finished", Str(s, "started"));
    out << "<tr data-job=\"" << HtmlEscape(Str(j, "name")) << "\"><td>" << HtmlEscape(Str(j, "name")) << " <span class=\"meta\">"
        << HtmlEscape(Str(j, "action")) << "</span></td><td>" << last << "</td><td>" << HtmlEscape(next) << "</td><td><code>"
        << HtmlEscape(Str(j, "schedule")) << "</code></td><td>" << HtmlEscape(success) << "</td></tr>";
  }
  out << "</table></section>";
}

void Alerts(std::ostringstream& out, const json& view) {
  const json& alerts = view.value("alerts", json::array());
  out << "<section id=\"alerts\"><h2>Alerts firing</h2>";
  if (alerts.empty()) {
    out << "<p class=\"empty\">Nothing is firing.</p></section>";
    return;
  }
  out << "<table><tr><th>Alert</th><th>Severity</th><th>Since</th><th>Summary</th></tr>";
  for (const auto& a : alerts) {
    std::string labels;
    const json label_set = a.value("labels", json::object());
    for (const auto& [k, v] : label_set.items()) {
      labels += (labels.empty() ? "" : ", ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    std::string severity = Str(a, "severity");
    const json& annotations = a.value("annotations", json::object());
    out << "<tr><td>" << HtmlEscape(Str(a, "name")) << " <span class=\"meta\">" << HtmlEscape(labels) << "</span></td><td>"
        << Badge(severity == "critical" ? "bad" : "warn", severity) << "</td><td>" << HtmlEscape(Str(a, "starts_at"))
        << "</td><td>" << HtmlEscape(Str(annotations, "summary")) << "</td></tr>";
  }
  out << "</table></section>";
}

void Failover(std::ostringstream& out, const json& view) {
  out << "<section id=\"failover\"><h2>Last failover</h2>";
  const json& f = view.value("last_failover", json());
  if (!f.is_object()) {
    out << "<p class=\"empty\">No failover is on record.</p></section>";
    return;
  }
  double rto = f.value("rto_seconds", -1.0), rpo = f.value("rpo_seconds", -1.0);
  out << "<table><tr><th>When</th><th>RTO</th><th>RPO</th><th>Reason</th></tr><tr><td>" << HtmlEscape(Str(f, "timestamp"))
      << " " << Badge(Str(f, "event_type") == "failover_completed" ? "ok" : "bad", Str(f, "event_type")) << "</td><td>"
      << Badge(f.value("rto_met", false) ? "ok" : "bad", Span(rto)) << " of " << HtmlEscape(Span(view.value("rto_target_seconds", 0.0)))
      << "</td><td>" << Badge(f.value("rpo_met", false) ? "ok" : "bad", Span(rpo)) << " of "
      << HtmlEscape(Span(view.value("rpo_target_seconds", 0.0))) << "</td><td>" << HtmlEscape(Str(f, "reason"))
      << "</td></tr></table></section>";
}

void Drill(std::ostringstream& out, const json& view) {
  out << "<section id=\"drill\"><h2>Last drill</h2>";
  const json& d = view.value("last_drill", json());
  if (!d.is_object()) {
    out << "<p class=\"empty\">No drill is on record: run <code>ecap-dr drill</code>, or schedule a job with "
           "<code>action: restore_test</code>.</p></section>";
    return;
  }
  bool passed = Str(d, "event_type") == "drill_completed";
  double rto = d.value("rto_seconds", -1.0), rpo = d.value("rpo_seconds", -1.0);
  out << "<table><tr><th>When</th><th>Scenario</th><th>RTO now</th><th>RPO now</th><th>Backup</th></tr><tr><td>"
      << HtmlEscape(Str(d, "timestamp")) << " " << Badge(passed ? "ok" : "bad", passed ? "passed" : "failed")
      << "</td><td>" << HtmlEscape(Str(d, "scenario")) << "</td><td>" << Badge(d.value("rto_met", false) ? "ok" : "bad", Span(rto))
      << " of " << HtmlEscape(Span(view.value("rto_target_seconds", 0.0))) << "</td><td>"
      << Badge(d.value("rpo_met", false) ? "ok" : "bad", Span(rpo)) << " of "
      << HtmlEscape(Span(view.value("rpo_target_seconds", 0.0))) << "</td><td>" << HtmlEscape(Str(d, "backup_id"))
      << (d.contains("error") ? " " + HtmlEscape(Str(d, "error")) : std::string()) << "</td></tr></table></section>";
}

void Events(std::ostringstream& out, const json& view) {
  const json& events = view.value("events", json::array());
  out << "<section id=\"events\"><h2>Recent events</h2>";
  if (events.empty()) {
    out << "<p class=\"empty\">The event history is empty.</p></section>";
    return;
  }
  out << "<table><tr><th>Time</th><th>Event</th><th>By</th><th>Details</th></tr>";
  for (const auto& e : events) {
    const json& d = e.value("data", json::object());
    std::string detail = Str(d, "backup_id", Str(d, "target", Str(d, "service", Str(d, "reason"))));
    if (d.contains("error")) detail += (detail.empty() ? "" : ": ") + Str(d["error"], "message");
    std::string type = Str(e, "event_type");
    bool bad = type.find("failed") != std::string::npos || type == "access_denied";
    out << "<tr><td>" << HtmlEscape(Str(e, "timestamp")) << "</td><td>" << Badge(bad ? "bad" : "idle", type) << "</td><td>"
        << HtmlEscape(Str(d, "user")) << "</td><td>" << HtmlEscape(detail) << "</td></tr>";
  }
  out << "</table></section>";
}

}  // namespace

std::string RenderStatusPage(const json& view) {
  size_t firing = view.value("alerts", json::array()).size();
  size_t unhealthy = 0;
  for (const auto& s : view.value("services", json::array())) unhealthy += Str(s, "status") != "healthy";
  std::string problems;
  if (firing > 0) problems = std::to_string(firing) + " alert" + (firing == 1 ? "" : "s") + " firing";
  if (unhealthy > 0) {
    problems += (problems.empty() ? "" : ", ") + std::to_string(unhealthy) + " service" + (unhealthy == 1 ? "" : "s") +
                " not healthy";
  }
  std::string overall = problems.empty() ? Badge("ok", "all good") : Badge("bad", problems);
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      << "<meta http-equiv=\"refresh\" content=\"60\">"
      << "<title>ecap-dr status</title><style>" << kStyle << "</style></head><body>"
      << "<header><h1>ecap-dr on " << HtmlEscape(Str(view, "host")) << "</h1><span id=\"overall\">" << overall
      << "</span><span class=\"meta\">as of " << HtmlEscape(Str(view, "generated_at")) << " · refreshes every minute</span></header>";
  Services(out, view);
  Components(out, view);
  Alerts(out, view);
  Jobs(out, view);
  Failover(out, view);
  Drill(out, view);
  Events(out, view);
  out << "</body></html>\n";
  return out.str();
}

}  // namespace dr::server
