// Which backups to keep (the guide's retention_policies), with restic's
// semantics: of the last N days (ISO weeks, months) that have backups, the
// newest backup of each is kept; one backup may satisfy several rules. Also
// keep-last N, keep-within a duration of the newest backup, and pinning (a
// backup tagged "pinned" is never expired).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/time_util.h"
#include "repo/snapshot/snapshot.h"

namespace dr::backup {

struct RetentionPolicy {
  int daily = 7;
  int weekly = 4;
  int monthly = 12;
  int last = 0;
  std::chrono::seconds within{0};
};

struct RetentionDecision {
  std::string backup_id;
  std::string time;
  bool keep = false;
  std::vector<std::string> reasons;  // "daily 2026-11-26", "weekly 2026-W48", "pinned", ...
  nlohmann::json ToJson() const;
};

// Newest first. Backups with an unreadable start time are kept (never delete what we cannot place).
std::vector<RetentionDecision> DecideRetention(const std::vector<repo::Snapshot>& snapshots,
                                               const RetentionPolicy& policy);

// "30d", "12h", "2w" -> seconds (base/time_util.h).
using dr::ParseDuration;

}  // namespace dr::backup
