// `ecap-dr drill`: a disaster-recovery drill, timed and checked, whose
// targets are all scratch ones (nothing live changes).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <iostream>

#include "base/fs.h"
#include "base/interrupt.h"
#include "cli/context.h"
#include "drill/report.h"
#include "ops/drill_ops.h"

namespace dr::cli {

using nlohmann::json;

namespace {

// A disruptive drill's writes of one store: the totals, then the first lost ones.
void PrintWrites(const json& w, const char* noun, const char* one) {
  fmt::print("  {} acknowledged {} ({} before the fault), failed attempts {}, lost {}\n", noun,
             w.value("acknowledged", 0), w.value("acknowledged_before_fault", 0), w.value("failed_attempts", 0),
             w.value("lost", 0));
  // The first ones; --json and the report name every one.
  const json lost = w.value("lost_writes", json::array());
  constexpr size_t kShown = 10;
  for (size_t i = 0; i < lost.size() && i < kShown; ++i) {
    const json& l = lost[i];
    fmt::print("  LOST: {} {} acknowledged at {}{}\n", one, l.value("seq", 0),
               l.value("acknowledged_at", ""), l.value("state", "missing") == "damaged" ? " (still damaged)" : "");
  }
  if (lost.size() > kShown) fmt::print("  LOST: {} more (--json or --report names each)\n", lost.size() - kShown);
}

// The disruptive scenarios (database, storage, corruption, breach, region): the outage as a
// client saw it, and every commit or object lost or left damaged.
void PrintDisruptiveDrill(const json& d) {
  const json w = d.value("writes", json::object());
  fmt::print("drill {} ({}, {}): {}\n", d.value("drill_id", ""), d.value("scenario", ""), d.value("service", ""),
             d.value("status", "?"));
  const bool lake = d.value("scenario", "") == "storage";
  const char* noun = lake ? "objects" : "commits";
  if (!d.value("address_before", "").empty()) {
    fmt::print("  {}: {} before, {} after\n", lake ? "the lake's active bucket" : "primary through the name",
               d.value("address_before", "?"), d.value("address_after", "?"));
  }
  if (d.contains("containment")) {
    const json& c = d["containment"];
    auto held = [&](const char* key) { return c.value(key, false) ? "yes" : "NO"; };
    fmt::print("  backup {} (the drill's clean backup: {}) restored into {}; intruder's session ended: {}, login "
               "refused: {}, ecap-dr user refused: {}\n",
               d.value("restored_backup", "?"), d.value("clean_backup", "?"), d.value("clean_database", "?"),
               held("session_ended"), held("login_refused"), held("user_refused"));
  }
  if (d.contains("bucket_after")) {
    fmt::print("  the lake's active bucket: {} before, {} after\n", d.value("bucket_before", "?"),
               d.value("bucket_after", "?"));
  }
  if (d.contains("repository_after")) {
    fmt::print("  backups go to: {} before, {} after\n", d.value("repository_before", "?"),
               d.value("repository_after", "?"));
  }
  if (d.contains("kafka_after")) {
    fmt::print("  Kafka served from: {} after (restored there; messages back {:.2f} s after the fault)\n",
               d.value("kafka_after", "?"), d.value("kafka_back_seconds", -1.0));
  }
  if (d.contains("mirror_lag_seconds")) {
    fmt::print("  the mirror's lag at the fault: {:.2f} s\n", d.value("mirror_lag_seconds", 0.0));
  }
  if (d.contains("damage")) {
    const json damage = d["damage"], repair = d.value("repair", json());
    fmt::print("  damaged at {}: {} rows changed, {} deleted; repaired: {}\n", d.value("corruption_time", "?"),
               damage.value("updated", 0), damage.value("deleted", 0),
               repair.is_object() ? fmt::format("{} set back, {} put back", repair.value("updated", 0),
                                                repair.value("inserted", 0))
                                  : std::string("no"));
  }
  double rto = d.value("rto_seconds", -1.0), rpo = d.value("rpo_seconds", -1.0);
  fmt::print("  RTO {} (target {:.0f} s): {}; RPO {} (target {:.0f} s): {}\n",
             rto < 0 ? std::string("not recovered") : fmt::format("{:.2f} s", rto), d.value("rto_target_seconds", 0.0),
             d.value("rto_met", false) ? "met" : "NOT met",
             rpo < 0 ? std::string("not measured") : fmt::format("{:.2f} s", rpo), d.value("rpo_target_seconds", 0.0),
             d.value("rpo_met", false) ? "met" : "NOT met");
  PrintWrites(w, noun, lake ? "object" : "commit");
  if (d.contains("lake_writes")) PrintWrites(d["lake_writes"], "objects", "object");
  if (d.contains("kafka_writes")) PrintWrites(d["kafka_writes"], "Kafka messages", "message");
  for (const auto& p : d.value("phases", json::array())) {
    fmt::print("  {:>8.2f} s  {:<36} {:>8.2f} s  {}\n", p.value("start_seconds", 0.0), p.value("name", ""),
               p.value("seconds", 0.0), p.value("status", ""));
  }
  for (const auto& e : d.value("cleanup_errors", json::array())) fmt::print("NOT removed: {}\n", e.get<std::string>());
}

void PrintDrill(const json& d);

// --scenario all: each drill as it would print alone, then one line per scenario.
void PrintAllDrills(const json& d) {
  for (const auto& s : d.value("scenarios", json::array())) {
    PrintDrill(s);
    if (s.contains("error") && s["error"].is_object()) {
      fmt::print("  error{}: {}\n", s["error"].contains("step") ? " in step " + s["error"].value("step", "") : "",
                 s["error"].value("message", ""));
    }
    fmt::print("\n");
  }
  auto seconds = [](const json& s, const char* key) {
    double v = s.value(key, -1.0);
    return v < 0 ? std::string("-") : fmt::format("{:.2f} s", v);
  };
  fmt::print("{:<14} {:<8} {:>10} {:>10}  {}\n", "scenario", "status", "RTO", "RPO", "drill");
  for (const auto& s : d.value("scenarios", json::array())) {
    fmt::print("{:<14} {:<8} {:>10} {:>10}  {}\n", s.value("scenario", ""), s.value("status", "?"),
               seconds(s, "rto_seconds"), seconds(s, "rpo_seconds"), s.value("drill_id", ""));
  }
  for (const auto& s : d.value("skipped", json::array())) {
    fmt::print("{:<14} {:<8} {:>10} {:>10}  {}\n", s.value("scenario", ""), "skipped", "-", "-", s.value("reason", ""));
  }
  fmt::print("all scenarios: {}\n", d.value("status", "?"));
}

void PrintDrill(const json& d) {
  if (d.is_object() && d.value("scenario", "") == "all") return PrintAllDrills(d);
  if (d.is_object() && d.contains("writes")) return PrintDisruptiveDrill(d);
  if (!d.is_object() || !d.contains("components")) return;
  fmt::print("drill {} ({}) of backup {}: {}\n", d.value("drill_id", ""), d.value("scenario", ""),
             d.value("backup_id", "?"), d.value("status", "?"));
  fmt::print("  {:<12} {:<11} {:>10}  {}\n", "component", "status", "restore", "checked");
  for (const auto& c : d["components"]) {
    std::string checked = c.contains("error") ? c["error"].get<std::string>() : c["verification"].dump();
    if (checked.size() > 90) checked = checked.substr(0, 87) + "...";
    fmt::print("  {:<12} {:<11} {:>8.2f} s  {}\n", c.value("component", ""), c.value("status", ""),
               c.value("restore_seconds", 0.0), checked);
  }
  fmt::print("RTO now {:.1f} s (target {:.0f} s): {}; RPO now {} (target {:.0f} s): {}\n", d.value("rto_seconds", 0.0),
             d.value("rto_target_seconds", 0.0), d.value("rto_met", false) ? "met" : "NOT met",
             d.value("rpo_seconds", -1.0) < 0 ? std::string("unknown")
                                              : fmt::format("{:.1f} s", d.value("rpo_seconds", -1.0)),
             d.value("rpo_target_seconds", 0.0), d.value("rpo_met", false) ? "met" : "NOT met");
  const json point = d.value("recovery_point", json::object());
  if (json ages = point.value("backup_age_by_component", json::object()); !ages.empty()) {
    std::string line;
    for (const auto& [component, age] : ages.items()) {
      line += fmt::format("{}{} {:.1f} s", line.empty() ? "" : ", ", component, age.is_number() ? age.get<double>() : -1.0);
    }
    fmt::print("newest backup per component, age (Kafka's recovery point): {}\n", line);
  }
  size_t removed = d.value("removed", json::array()).size(), stale = d.value("stale_removed", json::array()).size();
  fmt::print("scratch targets removed: {}{}\n", removed,
             stale == 0 ? std::string() : fmt::format(" (and {} left by an earlier, interrupted drill)", stale));
  for (const auto& e : d.value("cleanup_errors", json::array())) fmt::print("NOT removed: {}\n", e.get<std::string>());
}

// --report DIR: the drill's page and its document, named after the drill;
// for --scenario all, each scenario's.
Status WriteReport(const std::string& dir, const json& doc) {
  if (doc.value("scenario", "") == "all") {
    for (const auto& s : doc.value("scenarios", json::array())) DR_RETURN_IF_ERROR(WriteReport(dir, s));
    return Status::Ok();
  }
  DR_RETURN_IF_ERROR(MakeDirs(dir, 0755));
  std::string base = dir + "/" + doc.value("drill_id", "drill");
  for (const auto& [path, text] : {std::pair{base + ".html", drill::DrillHtml(doc)},
                                   std::pair{base + ".json", doc.dump(2) + "\n"}}) {
    DR_RETURN_IF_ERROR(WriteFileAtomic(path, text, {}).WithContext("the drill report"));
  }
  std::cerr << "drill report: " << base << ".html" << std::endl;
  return Status::Ok();
}

}  // namespace

void RegisterDrillCommands(CLI::App& app, CliContext& ctx) {
  auto request = std::make_shared<ops::DrillRequest>();
  auto* drill = app.add_subcommand(
      "drill", "a recovery drill: restore the newest backup of every component into scratch targets, check it "
               "against the manifest, measure the RTO and RPO the platform has now, remove the scratch targets");
  drill->add_option("--scenario", request->scenario,
                    "restore-test (non-disruptive: nothing live changes); database (disruptive: the primary is "
                    "made to fail under load, the database_failure runbook recovers); corruption (disruptive: rows "
                    "of postgresql.database are damaged under load, the data_corruption runbook puts them back from "
                    "the physical backup and the WAL archive); storage (disruptive: the lake's bucket is lost under "
                    "load, the storage_failure runbook switches the lake to its mirror); breach (disruptive: an "
                    "intruder's role and identity are found, the security_breach runbook revokes them, rotates the "
                    "master key, verifies the audit chain and restores a clean database beside the live one); region "
                    "(disruptive: the primary region's database, lake bucket and repository stop together under "
                    "load, the complete_region_failure runbook brings the platform back from the standby, the "
                    "mirror and the repository's replica). The disruptive ones measure RTO and lost writes and "
                    "need --disruptive and drill.environment: true. all: restore-test, then with --disruptive "
                    "every disruptive scenario the configuration provides for but region (run on its own), each a "
                    "drill of its own")
      ->check(CLI::IsMember({"restore-test", "database", "storage", "corruption", "breach", "region", "all"}))
      ->capture_default_str();
  drill->add_option("--backup", request->backup_id, "restore-test: the backup to restore (default: the newest completed)");
  drill->add_flag("--disruptive", request->disruptive,
                  "allow a scenario that breaks the platform on purpose (only where drill.environment is true)");
  drill->add_option("--service", request->service,
                    "database: the postgresql service of dr_coordinator.services (default: the first)");
  auto report_dir = std::make_shared<std::string>();
  drill->add_option("--report", *report_dir,
                    "also write the drill's report into this directory: <drill id>.html (a self-contained page "
                    "with the timeline) and <drill id>.json");
  drill->callback([&ctx, request, report_dir] {
    ctx.run = [&ctx, request, report_dir] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      if (!ctx.quiet && !ctx.json_output) request->progress = [](const std::string& line) { std::cerr << line << std::endl; };
      InstallInterruptHandlers();
      op->stop = InterruptToken();  // Ctrl-C: no further component; the scratch targets still go
      ops::OpResult r = ops::RunDrill(*op, *request);
      int code = ctx.Print(r, [&] { PrintDrill(r.data); }, {.human_on_failure = true});
      if (!report_dir->empty() && !r.data.is_null()) {
        // The drill happened whatever the report's fate: a report that cannot be written is said, with its own code.
        if (Status w = WriteReport(*report_dir, r.ToJson()); !w.ok()) {
          std::cerr << "ecap-dr: error: " << w.message() << std::endl;
          if (code == 0) code = w.exit_code();
        }
      }
      return code;
    };
  });
}

}  // namespace dr::cli
