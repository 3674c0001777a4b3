#include "ops/drill_ops.h"

#include <filesystem>

#include "backup/backup_manager.h"
#include "base/time_util.h"
#include "drill/report.h"
#include "drill/scratch_restore.h"
#include "events/event_store.h"

namespace dr::ops {

using nlohmann::json;

OpResult RunDrill(OperationContext& ctx, const DrillRequest& request) {
  Operation op(ctx, "drill.run", request.scenario);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  if (request.scenario != "restore-test") {
    return op.Finish(ErrorResult(InvalidArgument("no drill scenario '" + request.scenario +
                                                 "' yet (there is: restore-test)")));
  }
  auto manager = op.NewManager();
  drill::RestoreTestResult r = drill::RunRestoreTest(
      *manager, ctx.config, *ctx.clock,
      {.backup_id = request.backup_id, .stop = ctx.stop, .progress = request.progress});
  json data = r.ToJson();
  json phases = json::object();
  for (const auto& c : r.components) phases[c.component] = c.restore_seconds;
  // The fields `report rto-rpo` reads from every failover and drill.
  json event{{"drill_id", r.drill_id},     {"scenario", r.scenario},        {"status", r.status},
             {"backup_id", r.backup_id},   {"reason", "drill " + r.scenario}, {"rto_seconds", r.rto_seconds},
             {"rpo_seconds", r.rpo_seconds}, {"rto_met", data["rto_met"]},    {"rpo_met", data["rpo_met"]},
             {"phases", phases}};
  if (!r.error.ok()) event["error"] = r.error.message();
  OpResult result{.status = r.error, .data = std::move(data)};
  event["result"] = result.ToJson();  // the whole document, as --json prints it: `report drill --drill ID`
  return op.Finish(std::move(result),
                   {{"status", r.status}, {"rto_seconds", r.rto_seconds}},
                   r.error.ok() ? "drill_completed" : "drill_failed", std::move(event));
}

OpResult DrillReport(OperationContext& ctx, const std::string& month, const std::string& drill_id) {
  Operation op(ctx, "report.generate", "drill");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto valid = ReportMonth(month, ctx.clock->Now());
  if (!valid.ok()) return op.Finish(ErrorResult(valid.status()));
  const std::string& when = *valid;
  std::string path = events::HistoryPath(ctx.config);
  std::vector<events::Event> drills;
  if (!path.empty() && std::filesystem::exists(path)) {
    auto store = events::EventStore::Open(path, *ctx.clock);
    if (!store.ok()) return op.Finish(ErrorResult(store.status()));
    auto listed = (*store)->List(100000, {"drill_completed", "drill_failed"});
    if (!listed.ok()) return op.Finish(ErrorResult(listed.status()));
    drills = std::move(*listed);
  }
  if (!drill_id.empty()) {
    for (const auto& e : drills) {
      if (!e.data.is_object() || e.data.value("drill_id", "") != drill_id) continue;
      json result = e.data.contains("result") ? e.data["result"] : e.data;  // older drills kept the summary only
      return op.Finish(OpResult{.data = std::move(result)});
    }
    return op.Finish(ErrorResult(NotFound("no drill '" + drill_id + "' in the event history" +
                                          (path.empty() ? " (the configuration has none: dr_coordinator.state_dir "
                                                          "or audit.log_file)"
                                                        : " " + path))));
  }
  std::vector<json> in_month;
  for (auto it = drills.rbegin(); it != drills.rend(); ++it) {  // oldest first
    if (it->timestamp.rfind(when, 0) != 0 || !it->data.is_object()) continue;
    in_month.push_back({{"at", it->timestamp}, {"drill", it->data}});
  }
  json report = drill::MonthlyReport(in_month, when, FormatUtc(ctx.clock->Now()));
  std::string overall = report["overall_status"];
  OpResult out{.data = std::move(report)};
  if (overall == "no_drills") out.status = Failed("no drill ran in " + when + " (ecap-dr drill, or a restore_test job)");
  else if (overall != "passed") out.status = Failed("the last drill of a scenario failed in " + when);
  Status ran = Status::Ok();  // the report ran; its verdict is in the result
  return op.Finish(std::move(out), {{"overall_status", overall}}, "", json::object(), &ran);
}

}  // namespace dr::ops
