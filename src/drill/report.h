// What drills report: one drill as a self-contained HTML page (the verdict,
// RTO and RPO against the targets, each component's restore and check, a
// timeline of the phases as inline SVG, the scratch targets removed), and a
// month of drills aggregated per scenario for the compliance report (`ecap-dr
// report drill`, the guide's "monthly compliance reports"), as JSON, Markdown
// or HTML. Pure functions of the drills' result documents
// (RestoreTestResult::ToJson), so a drill of any age renders from the event
// history.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dr::drill {

// One drill's page: no script, no outside resource.
std::string DrillHtml(const nlohmann::json& drill);

// The drills of `month` ("2026-11"), each {"at": UTC time, "drill": the drill's
// event data}, aggregated:
//   {"month", "generated_at", "overall_status": passed | failed | no_drills,
//    "scenarios": [{"scenario", "drills", "passed", "failed", "rto_met", "rpo_met",
//                   "rto_seconds": {"median", "max"}, "rpo_seconds": {"median", "max"},
//                   "last_at", "last_status"}],
//    "drills": [{"at", "drill_id", "scenario", "status", "backup_id", "rto_seconds",
//                "rpo_seconds", "rto_met", "rpo_met", "error"}]}
// overall_status: failed when the last drill of any scenario failed.
nlohmann::json MonthlyReport(const std::vector<nlohmann::json>& drills, const std::string& month,
                             const std::string& generated_at);
std::string MonthlyMarkdown(const nlohmann::json& report);
std::string MonthlyHtml(const nlohmann::json& report);

}  // namespace dr::drill
