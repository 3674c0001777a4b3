#include "drill/report.h"

#include <algorithm>
#include <map>
#include <sstream>

#include <fmt/core.h>

#include "base/encoding.h"

namespace dr::drill {
namespace {

using nlohmann::json;

constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:2em;color:#222;max-width:60em}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}.passed{color:#116611}"
    ".failed{color:#aa1111;font-weight:bold}.not_tested{color:#886600}.banner{padding:1em;font-size:1.4em;"
    "border-radius:6px}.banner.passed{background:#e3f6e3}.banner.failed{background:#fbe3e3}"
    ".banner.no_drills{background:#f6f0dc}code{font-size:.9em}";

std::string Str(const json& j, const char* key, const std::string& fallback = "") {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}
double Num(const json& j, const char* key, double fallback = -1) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}
bool Flag(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
}
// "12.3 s", "4.1 min", "unknown" for a negative (unmeasured) figure.
std::string Duration(double seconds) {
  if (seconds < 0) return "unknown";
  if (seconds < 120) return fmt::format("{:.1f} s", seconds);
  return fmt::format("{:.1f} min", seconds / 60);
}
std::string Met(bool met) { return met ? "<span class=\"passed\">met</span>" : "<span class=\"failed\">NOT met</span>"; }

// The phases as bars on a time axis: one row each, from its start for its length.
std::string TimelineSvg(const json& phases, double total) {
  if (!phases.is_array() || phases.empty()) return "<p>No phases were recorded.</p>";
  for (const auto& p : phases) total = std::max(total, Num(p, "start_seconds", 0) + Num(p, "seconds", 0));
  total = std::max(total, 0.001);
  const int label = 230, width = 460, row = 24;
  int height = static_cast<int>(phases.size()) * row + 30;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"drill timeline\" width=\""
      << label + width + 80 << "\" height=\"" << height << "\" font-family=\"sans-serif\" font-size=\"12\">";
  int y = 0;
  for (const auto& p : phases) {
    double start = std::clamp(Num(p, "start_seconds", 0), 0.0, total);
    double seconds = std::clamp(Num(p, "seconds", 0), 0.0, total - start);
    int x = label + static_cast<int>(start / total * width);
    int w = std::max(2, static_cast<int>(seconds / total * width));
    std::string status = Str(p, "status", "passed");
    const char* fill = status == "failed" ? "#d9534f" : status == "not_tested" ? "#e0b040" : "#5cb85c";
    svg << "<text x=\"0\" y=\"" << y + 16 << "\">" << HtmlEscape(Str(p, "name")) << "</text>"
        << "<rect class=\"phase\" x=\"" << x << "\" y=\"" << y + 4 << "\" width=\"" << w << "\" height=\"16\" fill=\""
        << fill << "\"><title>" << HtmlEscape(Str(p, "name")) << ": " << Duration(seconds) << " from "
        << Duration(start) << "</title></rect>"
        << "<text x=\"" << x + w + 4 << "\" y=\"" << y + 16 << "\">" << Duration(seconds) << "</text>";
    y += row;
  }
  svg << "<line x1=\"" << label << "\" y1=\"" << y + 4 << "\" x2=\"" << label + width << "\" y2=\"" << y + 4
      << "\" stroke=\"#888\"/><text x=\"" << label << "\" y=\"" << y + 20 << "\">0 s</text><text x=\""
      << label + width - 40 << "\" y=\"" << y + 20 << "\">" << Duration(total) << "</text></svg>";
  return svg.str();
}

double Median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

json Spread(const std::vector<double>& v) {
  if (v.empty()) return {{"median", nullptr}, {"max", nullptr}};
  return {{"median", Median(v)}, {"max", *std::max_element(v.begin(), v.end())}};
}

std::string SpreadText(const json& s) {
  if (!s.is_object() || !s["median"].is_number()) return "—";
  return Duration(s["median"].get<double>()) + " (max " + Duration(s["max"].get<double>()) + ")";
}

}  // namespace

std::string DrillHtml(const json& d) {
  std::string status = Str(d, "status", "failed");
  std::string id = Str(d, "drill_id", "drill");
  std::ostringstream out;
  out << "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>ecap-dr drill "
      << HtmlEscape(id) << "</title><style>" << kStyle << "</style></head><body>";
  out << "<h1>Drill " << HtmlEscape(id) << "</h1>";
  out << "<div class=\"banner " << (status == "passed" ? "passed" : "failed") << "\" id=\"verdict\">"
      << HtmlEscape(Str(d, "scenario", "restore-test")) << ": " << (status == "passed" ? "PASSED" : "FAILED") << "</div>";
  out << "<table id=\"summary\"><tr><th>started</th><td>" << HtmlEscape(Str(d, "started_at", "?")) << "</td></tr>"
      << "<tr><th>backup</th><td><code>" << HtmlEscape(Str(d, "backup_id", "none")) << "</code> (ended "
      << HtmlEscape(Str(d, "backup_end_time", "?")) << ")</td></tr>"
      << "<tr><th>RTO now</th><td>" << Duration(Num(d, "rto_seconds")) << " against " << Duration(Num(d, "rto_target_seconds"))
      << ": " << Met(Flag(d, "rto_met")) << "</td></tr>"
      << "<tr><th>RPO now</th><td>" << Duration(Num(d, "rpo_seconds")) << " against " << Duration(Num(d, "rpo_target_seconds"))
      << ": " << Met(Flag(d, "rpo_met")) << "</td></tr>";
  const json point = d.value("recovery_point", json::object());
  out << "<tr><th>recovery point</th><td>backup age " << Duration(Num(point, "backup_age_seconds"))
      << ", WAL archive lag " << Duration(Num(point, "wal_archive_lag_seconds")) << ", lake mirror lag "
      << Duration(Num(point, "mirror_lag_seconds"));
  // Kafka's recovery point (and every other component's, as backed up): its newest backup's age.
  const json ages = point.value("backup_age_by_component", json::object());
  for (const auto& [component, age] : ages.items()) {
    out << ", newest " << HtmlEscape(component) << " backup " << Duration(age.is_number() ? age.get<double>() : -1.0);
  }
  out << "</td></tr>"
      << "<tr><th>drill took</th><td>" << Duration(Num(d, "duration_seconds")) << "</td></tr>";
  if (!Str(d, "address_before").empty()) {  // a disruptive scenario: where the service was, and is now
    out << "<tr><th>service</th><td id=\"moved\">" << HtmlEscape(Str(d, "service")) << ": "
        << HtmlEscape(Str(d, "address_before")) << " before the fault, " << HtmlEscape(Str(d, "address_after", "?"))
        << " after</td></tr>";
  }
  out << "</table>";
  if (d.contains("error")) {  // {"code", "message"}; a bare string in drills recorded before the whole result was
    std::string message = d["error"].is_string() ? d["error"].get<std::string>() : Str(d["error"], "message");
    out << "<p class=\"failed\" id=\"error\">" << HtmlEscape(message) << "</p>";
  }
  out << "<h2>Components</h2><table id=\"components\"><tr><th>component</th><th>status</th><th>restore</th>"
      << "<th>restored into</th><th>checked</th></tr>";
  for (const auto& c : d.value("components", json::array())) {
    std::string cs = Str(c, "status", "failed");
    std::string checked = c.contains("error") ? Str(c, "error") : c.value("verification", json::object()).dump();
    out << "<tr><td>" << HtmlEscape(Str(c, "component")) << "</td><td class=\"" << HtmlEscape(cs) << "\">"
        << HtmlEscape(cs) << "</td><td>" << Duration(Num(c, "restore_seconds", 0)) << "</td><td><code>"
        << HtmlEscape(Str(c, "scratch")) << "</code></td><td><code>" << HtmlEscape(checked) << "</code></td></tr>";
  }
  out << "</table>";
  // A disruptive scenario's load generators: the database's (or the lake's
  // alone, in the storage scenario) and, in the region scenario, the lake's.
  auto writes = [&](const char* key, const std::string& title, const std::string& id, const char* noun) {
    if (!d.contains(key) || !d[key].is_object()) return;
    const json& w = d[key];
    out << "<h2>" << title << "</h2><table id=\"" << id << "\"><tr><th>acknowledged</th><td>"
        << Num(w, "acknowledged", 0) << "</td></tr><tr><th>before the fault</th><td>"
        << Num(w, "acknowledged_before_fault", 0) << "</td></tr><tr><th>failed attempts</th><td>"
        << Num(w, "failed_attempts", 0) << "</td></tr><tr><th>lost</th><td>" << Num(w, "lost", 0)
        << "</td></tr></table><ul id=\"lost" << (id == "writes" ? "" : "-" + id) << "\">";
    for (const auto& l : w.value("lost_writes", json::array())) {
      out << "<li class=\"failed\">" << noun << Num(l, "seq", 0) << " acknowledged at "
          << HtmlEscape(Str(l, "acknowledged_at")) << (Str(l, "state") == "damaged" ? " is still damaged" : " is lost")
          << "</li>";
    }
    out << "</ul>";
  };
  const bool region = Str(d, "scenario") == "region";
  writes("writes", region ? "Writes to the database" : "Writes", "writes",
         Str(d, "scenario") == "storage" ? "object " : "commit ");
  writes("lake_writes", "Writes to the lake", "lake-writes", "object ");
  writes("kafka_writes", "Messages to Kafka", "kafka-writes", "message ");
  out << "<h2>Timeline</h2>" << TimelineSvg(d.value("phases", json::array()), Num(d, "duration_seconds", 0));
  out << "<h2>Scratch targets</h2><ul id=\"removed\">";
  auto list = [&](const char* key, const std::string& before, const char* cls) {
    const json items = d.is_object() && d.contains(key) && d[key].is_array() ? d[key] : json::array();
    for (const auto& r : items) {
      out << "<li" << cls << ">" << before << HtmlEscape(r.is_string() ? r.get<std::string>() : r.dump()) << "</li>";
    }
  };
  list("removed", "removed: ", "");
  list("stale_removed", "removed, left by an interrupted drill: ", "");
  list("cleanup_errors", "NOT removed: ", " class=\"failed\"");
  out << "</ul></body></html>\n";
  return out.str();
}

json MonthlyReport(const std::vector<json>& drills, const std::string& month, const std::string& generated_at) {
  struct Acc {
    int drills = 0, passed = 0, failed = 0, rto_met = 0, rpo_met = 0;
    std::vector<double> rto, rpo;
    std::string last_at, last_status;
  };
  std::map<std::string, Acc> by;
  json list = json::array();
  for (const auto& entry : drills) {
    const json d = entry.value("drill", json::object());
    std::string scenario = Str(d, "scenario", "restore-test");
    std::string status = Str(d, "status", "failed");
    Acc& a = by[scenario];
    ++a.drills;
    status == "passed" ? ++a.passed : ++a.failed;
    a.rto_met += Flag(d, "rto_met");
    a.rpo_met += Flag(d, "rpo_met");
    if (double v = Num(d, "rto_seconds"); v >= 0 && status == "passed") a.rto.push_back(v);
    if (double v = Num(d, "rpo_seconds"); v >= 0) a.rpo.push_back(v);
    std::string at = Str(entry, "at");
    if (at >= a.last_at) a.last_at = at, a.last_status = status;
    json row{{"at", at},
             {"drill_id", Str(d, "drill_id")},
             {"scenario", scenario},
             {"status", status},
             {"backup_id", Str(d, "backup_id")},
             {"rto_seconds", Num(d, "rto_seconds")},
             {"rpo_seconds", Num(d, "rpo_seconds")},
             {"rto_met", Flag(d, "rto_met")},
             {"rpo_met", Flag(d, "rpo_met")}};
    if (d.contains("error")) row["error"] = d["error"].is_string() ? d["error"] : json(d["error"].dump());
    list.push_back(std::move(row));
  }
  json scenarios = json::array();
  bool any_failed = false;
  for (const auto& [name, a] : by) {
    any_failed = any_failed || a.last_status != "passed";
    scenarios.push_back({{"scenario", name},
                         {"drills", a.drills},
                         {"passed", a.passed},
                         {"failed", a.failed},
                         {"rto_met", a.rto_met},
                         {"rpo_met", a.rpo_met},
                         {"rto_seconds", Spread(a.rto)},
                         {"rpo_seconds", Spread(a.rpo)},
                         {"last_at", a.last_at},
                         {"last_status", a.last_status}});
  }
  std::string overall = by.empty() ? "no_drills" : any_failed ? "failed" : "passed";
  return {{"month", month},
          {"generated_at", generated_at},
          {"overall_status", overall},
          {"scenarios", scenarios},
          {"drills", list}};
}

std::string MonthlyMarkdown(const json& r) {
  std::ostringstream out;
  out << "# ecap-dr drills, " << Str(r, "month") << "\n\nGenerated " << Str(r, "generated_at")
      << ". Overall: **" << Str(r, "overall_status") << "**.\n\n";
  out << "| scenario | drills | passed | failed | RTO met | RPO met | RTO median (max) | RPO median (max) | last |\n"
      << "|---|---:|---:|---:|---:|---:|---|---|---|\n";
  for (const auto& s : r.value("scenarios", json::array())) {
    out << "| " << Str(s, "scenario") << " | " << s.value("drills", 0) << " | " << s.value("passed", 0) << " | "
        << s.value("failed", 0) << " | " << s.value("rto_met", 0) << " | " << s.value("rpo_met", 0) << " | "
        << SpreadText(s["rto_seconds"]) << " | " << SpreadText(s["rpo_seconds"]) << " | " << Str(s, "last_status")
        << " (" << Str(s, "last_at") << ") |\n";
  }
  if (r.value("drills", json::array()).empty()) out << "\nNo drill ran this month.\n";
  out << "\n## Drills\n\n| when | drill | scenario | status | backup | RTO | RPO |\n|---|---|---|---|---|---|---|\n";
  for (const auto& d : r.value("drills", json::array())) {
    out << "| " << Str(d, "at") << " | " << Str(d, "drill_id") << " | " << Str(d, "scenario") << " | "
        << Str(d, "status") << " | " << Str(d, "backup_id") << " | " << Duration(Num(d, "rto_seconds"))
        << (Flag(d, "rto_met") ? "" : " (not met)") << " | " << Duration(Num(d, "rpo_seconds"))
        << (Flag(d, "rpo_met") ? "" : " (not met)") << " |\n";
  }
  return out.str();
}

std::string MonthlyHtml(const json& r) {
  std::string overall = Str(r, "overall_status");
  std::ostringstream out;
  out << "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ecap-dr drills "
      << HtmlEscape(Str(r, "month")) << "</title><style>" << kStyle << "</style></head><body>";
  out << "<h1>ecap-dr drills, " << HtmlEscape(Str(r, "month")) << "</h1><p>Generated "
      << HtmlEscape(Str(r, "generated_at")) << ".</p><div class=\"banner " << HtmlEscape(overall) << "\">Overall: "
      << HtmlEscape(overall) << "</div>";
  out << "<table id=\"scenarios\"><tr><th>scenario</th><th>drills</th><th>passed</th><th>failed</th><th>RTO met</th>"
      << "<th>RPO met</th><th>RTO median (max)</th><th>RPO median (max)</th><th>last</th></tr>";
  for (const auto& s : r.value("scenarios", json::array())) {
    std::string last = Str(s, "last_status");
    out << "<tr><td>" << HtmlEscape(Str(s, "scenario")) << "</td><td>" << s.value("drills", 0) << "</td><td>"
        << s.value("passed", 0) << "</td><td>" << s.value("failed", 0) << "</td><td>" << s.value("rto_met", 0)
        << "</td><td>" << s.value("rpo_met", 0) << "</td><td>" << SpreadText(s["rto_seconds"]) << "</td><td>"
        << SpreadText(s["rpo_seconds"]) << "</td><td class=\"" << HtmlEscape(last) << "\">" << HtmlEscape(last) << " ("
        << HtmlEscape(Str(s, "last_at")) << ")</td></tr>";
  }
  out << "</table><h2>Drills</h2><table id=\"drills\"><tr><th>when</th><th>drill</th><th>scenario</th><th>status</th>"
      << "<th>backup</th><th>RTO</th><th>RPO</th></tr>";
  for (const auto& d : r.value("drills", json::array())) {
    std::string st = Str(d, "status");
    out << "<tr><td>" << HtmlEscape(Str(d, "at")) << "</td><td>" << HtmlEscape(Str(d, "drill_id")) << "</td><td>"
        << HtmlEscape(Str(d, "scenario")) << "</td><td class=\"" << HtmlEscape(st) << "\">" << HtmlEscape(st)
        << "</td><td><code>" << HtmlEscape(Str(d, "backup_id")) << "</code></td><td>" << Duration(Num(d, "rto_seconds"))
        << (Flag(d, "rto_met") ? "" : " (not met)") << "</td><td>" << Duration(Num(d, "rpo_seconds"))
        << (Flag(d, "rpo_met") ? "" : " (not met)") << "</td></tr>";
  }
  out << "</table></body></html>\n";
  return out.str();
}

}  // namespace dr::drill
