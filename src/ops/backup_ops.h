// The repository's operations: backups, restores, verification, retention,
// the repository itself, keys, the WAL archive, the data-lake mirror and the
// compliance report. Each checks one permission (named beside it), audits its
// outcome and, where something changed or was checked, emits an event.
#pragma once

#include <string>

#include "backup/backup_manager.h"
#include "ops/operation.h"

namespace dr::ops {

// backup.create; backup_completed / backup_failed. data: BackupResult::ToJson.
OpResult CreateBackup(OperationContext& ctx, const std::string& backup_id, const backup::BackupRequest& request);
// backup.list. data: {"backups": [BackupJson or {backup_id, status: damaged, error}], "damaged_count"}.
OpResult ListBackups(OperationContext& ctx);
// backup.list. data: BackupJson with item_details (every item in memory: for
// a backup of many items use the walk below).
OpResult ShowBackup(OperationContext& ctx, const std::string& backup_id);
// What ShowBackup hands over as it reads the backup: the summary (components
// with item counts, no items), then each item with the index of its component,
// grouped by component in name order (the order of BackupJson's "components").
struct BackupWalk {
  std::function<Status(const repo::Snapshot& summary)> header;
  std::function<Status(size_t component, repo::SnapshotItem&& item)> item;
};
// backup.list, streamed: memory is one item, not the backup's manifest. The
// callbacks run before the outcome is audited; their first error ends the walk
// and is the result's status. data: BackupJson of the summary (no item_details).
OpResult ShowBackup(OperationContext& ctx, const std::string& backup_id, const BackupWalk& walk);
// backup.delete; backup_deleted.
OpResult DeleteBackup(OperationContext& ctx, const std::string& backup_id);
// backup.pin; backup_pinned / backup_unpinned.
OpResult PinBackup(OperationContext& ctx, const std::string& backup_id, bool pinned);
// backup.restore; restore_completed / restore_failed. data: RestoreResult::ToJson.
OpResult Restore(OperationContext& ctx, const std::string& backup_id, const backup::RestoreRequest& request);
// `restore --to-time T` without a backup id: each component from the backup
// that reaches closest to T (backup/point_in_time.h). backup.restore;
// restore_completed / restore_failed. data: PointInTimeResult::ToJson.
OpResult RestoreToTime(OperationContext& ctx, const std::string& time, const backup::RestoreRequest& request);
// backup.verify; verify_passed / verify_failed. data: VerifyResult::ToJson
// (verification_results.overall_status); status: the first finding's code.
OpResult Verify(OperationContext& ctx, const std::string& backup_id, bool full);
// retention.apply; retention_applied / retention_failed.
OpResult ApplyRetention(OperationContext& ctx, const backup::RetentionRequest& request);
// repo.init; repository_initialized.
OpResult InitRepository(OperationContext& ctx);
// `repo upgrade`: the repository at this version's format; permission repo.init.
OpResult UpgradeRepository(OperationContext& ctx);
// backup.verify; repository_checked. status: the first error finding's code.
OpResult CheckRepository(OperationContext& ctx, bool read_data);
// repo.replicate; replication_completed / replication_failed.
OpResult Replicate(OperationContext& ctx, bool check, bool read_data);
// key.check.
OpResult KeyCheck(OperationContext& ctx);
// key.rotate; key_rotated / key_rotation_failed.
OpResult KeyRotate(OperationContext& ctx);
// wal.push, wal.fetch (no events: PostgreSQL calls them for every segment).
OpResult WalPush(OperationContext& ctx, const std::string& path);
// A segment that is not in the archive is kNotFound with data {"status": "not_found"}
// when the repository exists (normal during recovery: PostgreSQL asks for files that may not exist).
OpResult WalFetch(OperationContext& ctx, const std::string& name, const std::string& dest);
// backup.list. A configured server that does not answer is kUnavailable, with the archive's state in data.
OpResult WalStatus(OperationContext& ctx);
// s3.mirror: one pass; s3_mirror_completed / s3_mirror_failed.
OpResult MirrorOnce(OperationContext& ctx);
// report.generate. status kFailed when the report's overall_status is not "passed" (audited as success: it ran).
OpResult ComplianceReport(OperationContext& ctx, const std::string& month);

}  // namespace dr::ops

namespace dr::ops {

// s3.mirror --watch: authorized once, then a pass every s3.mirror.interval_seconds
// (on ctx.clock) until `keep_going` returns false; each pass is handed to it.
OpResult MirrorWatch(OperationContext& ctx, const std::function<bool(const OpResult& pass)>& keep_going);

}  // namespace dr::ops
