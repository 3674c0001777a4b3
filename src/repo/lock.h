// Repository locks (docs/format.md §Locks): backups append without excluding
// each other, but prune deletes data, so it must run alone. A backup holds a
// shared lock (locks/shared-<id>); prune holds the exclusive lock
// (locks/exclusive). Each side writes its own lock first and then looks for
// the other's, so at least one of two racing processes sees the other and
// steps back. A lock whose process is gone (same host, dead pid) or that is
// older than kStaleAfter is stale and is removed by whoever finds it.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "dr/backend.h"
#include "dr/clock.h"

namespace dr::repo {

inline constexpr std::chrono::hours kStaleAfter{24};

class RepoLock {
 public:
  ~RepoLock();  // releases (best effort)
  // kLocked names who holds the conflicting lock.
  static Result<std::unique_ptr<RepoLock>> AcquireShared(Backend& backend, const std::string& purpose, Clock& clock);
  static Result<std::unique_ptr<RepoLock>> AcquireExclusive(Backend& backend, const std::string& purpose, Clock& clock);
  Status Release();

 private:
  RepoLock(Backend& backend, std::string id) : backend_(backend), id_(std::move(id)) {}
  Backend& backend_;
  std::string id_;
  bool held_ = true;
};

}  // namespace dr::repo
