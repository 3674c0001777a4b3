#include "ops/drill_ops.h"

#include "backup/backup_manager.h"
#include "drill/scratch_restore.h"

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
  return op.Finish(OpResult{.status = r.error, .data = std::move(data)},
                   {{"status", r.status}, {"rto_seconds", r.rto_seconds}},
                   r.error.ok() ? "drill_completed" : "drill_failed", std::move(event));
}

}  // namespace dr::ops
