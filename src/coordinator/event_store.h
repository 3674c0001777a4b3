// The coordinator's event history in an embedded SQLite database
// (<state_dir>/events.db): health changes, failovers and their steps, drills.
// Several processes may write (WAL mode, a busy timeout); each event is one row.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/result.h"

struct sqlite3;

namespace dr::coordinator {

struct Event {
  int64_t id = 0;
  std::string timestamp;   // ISO 8601 UTC with milliseconds
  std::string event_type;  // health_changed, failover_started, failover_step, failover_completed, ...
  nlohmann::json data;
  nlohmann::json ToJson() const;
};

class EventStore {
 public:
  // Creates the file and its table when missing.
  static Result<std::unique_ptr<EventStore>> Open(const std::string& path);
  ~EventStore();

  Status Record(const std::string& timestamp, const std::string& event_type, const nlohmann::json& data);
  // Newest first; types empty: every type.
  Result<std::vector<Event>> List(int limit, const std::vector<std::string>& types = {});

 private:
  EventStore() = default;
  Status Error(const std::string& what) const;
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace dr::coordinator
