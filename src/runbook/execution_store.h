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

class ExecutionStore {
 public:
  static Result<std::unique_ptr<ExecutionStore>> Open(const std::string& path);

  // Inserts or replaces the execution by id.
  Status Save(const Execution& execution);
  // kNotFound naming the id when there is none.
  Result<Execution> Find(const std::string& id);
  // Newest first.
  Result<std::vector<Execution>> History(int limit);

 private:
  explicit ExecutionStore(std::unique_ptr<events::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<events::Database> db_;
};

}  // namespace dr::runbook
