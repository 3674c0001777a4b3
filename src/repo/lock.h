// Repository locks (docs/format.md §Locks): backups append without excluding
// each other, but prune deletes data, so it must run alone. A backup (and a
// restore, a verify, a check: anything that reads packs) holds a shared lock
// (locks/shared-<id>); prune holds the exclusive lock (locks/exclusive). Each
// side writes its own lock first and then looks for the other's, so at least
// one of two racing processes sees the other and steps back.
//
// The lock is taken BEFORE the index is read: a prune that finishes between
// reading the index and locking would leave the reader deduplicating against
// packs that no longer exist.
//
// Liveness (restic's scheme): a held lock is rewritten every refresh_interval
// by a thread of its own. Another process treats it as stale, and removes it,
// only when its last refresh is older than stale_after + max_clock_skew by its
// own clock (a host whose clock is ahead of the holder's by up to max_clock_skew
// still sees a live lock as live), or when the holder is a dead process on the
// same host. The holder, in turn, considers its lock lost once its last
// successful refresh is older than stale_after - refresh_interval by its own
// monotonic clock, or when it finds its lock file gone or replaced: Check()
// then fails, and a backup stops instead of committing a snapshot that a
// prune elsewhere may already have cut the ground from under.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "dr/backend.h"
#include "dr/clock.h"

namespace dr::repo {

struct LockTiming {
  std::chrono::seconds refresh_interval{5 * 60};
  std::chrono::seconds stale_after{30 * 60};    // without a refresh
  std::chrono::seconds max_clock_skew{5 * 60};  // between hosts sharing a repository
};

class RepoLock {
 public:
  ~RepoLock();  // stops refreshing and releases (best effort)
  RepoLock(const RepoLock&) = delete;
  RepoLock& operator=(const RepoLock&) = delete;

  // kLocked names who holds the conflicting lock. The clock must outlive the lock.
  static Result<std::unique_ptr<RepoLock>> AcquireShared(Backend& backend, const std::string& purpose, Clock& clock,
                                                         LockTiming timing = {});
  static Result<std::unique_ptr<RepoLock>> AcquireExclusive(Backend& backend, const std::string& purpose,
                                                            Clock& clock, LockTiming timing = {});

  // Ok while the lock is certainly still ours; kLocked ("lock ... was lost")
  // when a refresh failed for too long or another process removed or replaced it.
  Status Check() const;
  // Rewrites the lock with the time now (the refresh thread calls this);
  // kLocked when the lock file is gone or no longer ours.
  Status Refresh();
  // Refresh, then Check: what a writer calls right before an irreversible
  // step (committing a snapshot, deleting packs), so that a lock lost a moment
  // ago is noticed there and not five minutes later.
  Status Confirm();
  Status Release();
  const std::string& id() const { return id_; }

 private:
  RepoLock(Backend& backend, std::string id, std::string token, std::string purpose, Clock& clock, LockTiming timing);
  void StartRefreshing();

  Backend& backend_;
  const std::string id_;
  const std::string token_;  // tells our lock file from one that replaced it
  const std::string purpose_;
  Clock& clock_;
  const LockTiming timing_;

  mutable std::mutex mu_;
  bool held_ = true;
  std::chrono::steady_clock::time_point last_refresh_;
  Status lost_;  // set once the lock is known to be lost
  Status last_refresh_error_;
  std::jthread refresher_;  // declared last: stopped and joined first
};

}  // namespace dr::repo
