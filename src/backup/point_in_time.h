// `restore --to-time T` without a backup id: every component of the platform
// brought back to one moment, each from the backup that reaches closest to it,
// and how far before T each one's recovery point is (the effective RPO across
// systems). Per component:
//   postgresql  with --pgdata: the newest physical base backup finished by T,
//               WAL replayed up to T ("wal_replay": recovery point T, if the
//               archive reaches it); with --target or --stdout: the newest of
//               either kind, extracted; else the newest logical backup
//               finished by T, restored into its server ("backup").
//   kafka       the oldest backup started at or after T, each partition cut at
//               its first message stamped after T ("messages_to_time": recovery
//               point T); none: the newest finished by T ("backup").
//   files, s3   the newest backup finished by T ("backup").
// A "backup" recovery point is the backup's start: everything written before
// it is in the backup (a logical dump is consistent as of its start; a tree or
// a bucket read after it may hold later changes too).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backup/backup_manager.h"

namespace dr::backup {

struct ComponentAsOf {
  std::string component;
  std::string backup_id;
  std::string how;             // "backup", "wal_replay" or "messages_to_time"
  std::string recovery_point;  // UTC, what the restored data is as of
  double seconds_before_target = 0;
};

// The choice for each component (request.components; "all": every component
// a backup finished by T has, and kafka; none named: the one such component,
// kInvalidArgument listing them when there are several), from the listing
// (oldest first), without reading or writing anything. A logical dump that
// straddles T is not used (it is not finished by T). kNotFound names a
// component no backup reaches (and the oldest backup of it there is).
Result<std::vector<ComponentAsOf>> PlanPointInTime(const BackupListing& listing,
                                                   std::chrono::system_clock::time_point target,
                                                   const RestoreRequest& request);

struct PointInTimeResult {
  std::string target_time;  // UTC
  std::string status = "failed";  // "completed", "failed" or "cancelled"
  Status error;
  std::vector<ComponentAsOf> components;
  std::vector<RestoreResult> restores;  // one per component restored, in order
  double rpo_seconds = -1;              // the largest seconds_before_target
  double duration_seconds = 0;
  std::vector<std::string> warnings;
  nlohmann::json ToJson() const;
};

// Plans (PlanPointInTime), checks every option given applies to a component
// restored, then restores the components one by one, each with the request's
// options for it; stops at the first failure, which names the component.
PointInTimeResult RestoreToTime(BackupManager& manager, const std::string& time, const RestoreRequest& request,
                                const Clock& clock);

}  // namespace dr::backup
