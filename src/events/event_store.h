// The one event history: an embedded SQLite database that every kind of event
// goes to (backups, restores, verifications, retention, key changes, health
// changes, failovers and their steps, drills), so `ecap-dr events` shows them
// all in one list. Several processes may write (WAL mode, a busy timeout);
// each event is one row.
//
// Where it lives (HistoryPath): <dr_coordinator.state_dir>/events.db when the
// configuration has a dr_coordinator section (where the coordinator has always
// kept it), else events.db beside the audit log (audit.log_file), else nowhere:
// without either there is no state directory to write to, and no history.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "dr/result.h"
#include "events/event_sink.h"
#include "events/sqlite_db.h"

namespace dr::events {

// The history's file for a configuration; "" when it has none (above).
std::string HistoryPath(const config::Config& config);

class EventStore : public EventSink {
 public:
  // Creates the file (and its directory) and its table when missing.
  static Result<std::unique_ptr<EventStore>> Open(const std::string& path, Clock& clock = RealClock());
  ~EventStore() override;

  // Stamped with the clock's time.
  Status Emit(const std::string& event_type, const nlohmann::json& data) override;
  Status Record(const std::string& timestamp, const std::string& event_type, const nlohmann::json& data);
  // Newest first; types empty: every type.
  Result<std::vector<Event>> List(int limit, const std::vector<std::string>& types = {});
  // How many events of each of `types` (not empty) the history holds, counting
  // only those stamped at or after `since` (as Emit stamps: ISO 8601 UTC with
  // milliseconds; "" counts every one). A type without events maps to 0.
  Result<std::map<std::string, int64_t>> Count(const std::vector<std::string>& types, const std::string& since = "");
  const std::string& path() const;

 private:
  explicit EventStore(Clock& clock) : clock_(clock) {}
  Clock& clock_;
  std::unique_ptr<Database> db_;
};

// Opens the store at `path` on the first event, so that a command that emits
// nothing never creates the file. A store that cannot be opened fails each Emit.
class LazyStoreSink : public EventSink {
 public:
  explicit LazyStoreSink(std::string path, Clock& clock = RealClock()) : path_(std::move(path)), clock_(clock) {}
  Status Emit(const std::string& event_type, const nlohmann::json& data) override;

 private:
  std::string path_;
  Clock& clock_;
  std::unique_ptr<EventStore> store_;
};

}  // namespace dr::events
