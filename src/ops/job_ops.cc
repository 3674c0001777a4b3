#include "ops/job_ops.h"

#include <algorithm>

#include "ops/backup_ops.h"
#include "ops/drill_ops.h"
#include "ops/runbook_actions.h"

namespace dr::ops {
namespace {

using nlohmann::json;

OpResult BackupJob(OperationContext& ctx, const config::JobConfig& job) {
  backup::BackupRequest request;
  request.components = job.components;
  request.paths = job.paths;
  request.tags = job.tags;
  request.tags.push_back("job:" + job.name);
  OpResult created = CreateBackup(ctx, "", request);
  if (!created.ok() || !ctx.config.automation.retention_after_backup) return created;
  // The backup stands whatever retention does; a failed retention fails the
  // run (someone must look), with the backup's result kept beside it.
  OpResult retention = ApplyRetention(ctx, backup::RetentionRequest{});
  OpResult out{.status = retention.status, .data = {{"backup", created.data}, {"retention", retention.data}}};
  out.warnings = created.warnings;
  out.warnings.insert(out.warnings.end(), retention.warnings.begin(), retention.warnings.end());
  if (!retention.ok()) out.status = retention.status.WithContext("retention after backup");
  return out;
}

// The newest completed backup's id; kNotFound when there is none.
Result<std::string> NewestBackup(OperationContext& ctx) {
  auto newest = FindBackup(ctx, "", "", "");
  if (!newest.ok()) return newest.status().code() == Code::kNotFound ? NotFound("no completed backup to verify") : newest.status();
  return (*newest)["backup_id"].get<std::string>();
}

}  // namespace

OpResult RunJob(OperationContext& ctx, const config::JobConfig& job) {
  if (job.action == "backup") return BackupJob(ctx, job);
  if (job.action == "verify") {
    auto id = NewestBackup(ctx);
    if (!id.ok()) return ErrorResult(id.status());
    return Verify(ctx, *id, job.full);
  }
  if (job.action == "retention") return ApplyRetention(ctx, backup::RetentionRequest{});
  if (job.action == "repo_check") return CheckRepository(ctx, job.full);
  if (job.action == "replicate") return Replicate(ctx, /*check=*/false, /*read_data=*/false);
  if (job.action == "s3_mirror") return MirrorOnce(ctx);
  if (job.action == "restore_test") return RunDrill(ctx, {.scenario = "restore-test"});
  if (job.action == "drill") return RunDrill(ctx, {.scenario = job.scenario, .disruptive = job.disruptive});
  return ErrorResult(ConfigError("job '" + job.name + "': unknown action '" + job.action + "'"));
}

}  // namespace dr::ops
