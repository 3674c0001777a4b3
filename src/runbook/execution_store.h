// Where runbook executions are kept: the execution log of each run, rewritten
// before and after every step, in the SQLite file of the event history
// (events::HistoryPath), table `runbook_executions`. It is what `runbook
// history` lists and what `runbook resume` continues from: a run killed at
// any point left its completed steps here, and a resumed run does not repeat them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/result.h"
#include "events/sqlite_db.h"

namespace dr::runbook {

struct Execution {
  std::string id;       // "rb-20261202T193000Z-1a2b"
  std::string runbook;  // its name
  // running, then the engine's outcome: completed, failed, declined, aborted,
  // cancelled, dry_run. A "running" one whose process is gone was interrupted.
  std::string status = "running";
  std::string user;
  nlohmann::json request = nlohmann::json::object();  // parameters and options, to resume with
  nlohmann::json log = nlohmann::json::object();      // the result document as it stands
};

// Held by the process running an execution (an advisory lock, flock(2), on
// <state>/runbook-locks/<id>.lock): a second `runbook resume` of it is refused
// while the first runs. The kernel drops it when the process dies, however it
// dies, so a run killed at any point can be resumed at once, with no timeout.
class ExecutionLock {
 public:
  ~ExecutionLock();
  ExecutionLock(const ExecutionLock&) = delete;
  ExecutionLock& operator=(const ExecutionLock&) = delete;

 private:
  friend class ExecutionStore;
  explicit ExecutionLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

class ExecutionStore {
 public:
  static Result<std::unique_ptr<ExecutionStore>> Open(const std::string& path);

  // Takes the execution's lock; kLocked naming the process that holds it.
  Result<std::unique_ptr<ExecutionLock>> Claim(const std::string& id);

  // Inserts or replaces the execution by id.
  Status Save(const Execution& execution);
  // kNotFound naming the id when there is none.
  Result<Execution> Find(const std::string& id);
  // Newest first.
  Result<std::vector<Execution>> History(int limit);

 private:
  ExecutionStore(std::unique_ptr<events::Database> db, std::string lock_dir)
      : db_(std::move(db)), lock_dir_(std::move(lock_dir)) {}
  std::unique_ptr<events::Database> db_;
  std::string lock_dir_;
};

}  // namespace dr::runbook
