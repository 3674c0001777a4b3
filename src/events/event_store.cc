#include "events/event_store.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "base/time_util.h"

namespace dr::events {

using nlohmann::json;

json Event::ToJson() const { return {{"id", id}, {"timestamp", timestamp}, {"event_type", event_type}, {"data", data}}; }

Status MemorySink::Emit(const std::string& event_type, const json& data) {
  std::lock_guard lock(mu_);
  events_.push_back({static_cast<int64_t>(events_.size() + 1), FormatUtc(clock_.Now(), true), event_type, data});
  return Status::Ok();
}

std::vector<Event> MemorySink::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::vector<std::string> MemorySink::types() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& e : events_) out.push_back(e.event_type);
  return out;
}

std::string HistoryPath(const config::Config& config) {
  if (config.coordinator_configured) return config.coordinator.state_dir + "/events.db";
  if (!config.audit.log_file.empty()) {
    std::filesystem::path dir = std::filesystem::path(config.audit.log_file).parent_path();
    return (dir.empty() ? std::filesystem::path(".") : dir) / "events.db";
  }
  return "";
}

Status LazyStoreSink::Emit(const std::string& event_type, const json& data) {
  if (!store_) {
    if (path_.empty()) return Status::Ok();
    DR_ASSIGN_OR_RETURN(store_, EventStore::Open(path_, clock_));
  }
  return store_->Emit(event_type, data);
}

Status EventStore::Error(const std::string& what) const {
  return IoError(what + " in the event store " + path_ + ": " + sqlite3_errmsg(db_));
}

Result<std::unique_ptr<EventStore>> EventStore::Open(const std::string& path, Clock& clock) {
  std::unique_ptr<EventStore> s(new EventStore(clock));
  s->path_ = path;
  if (auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return IoError("unable to create the directory of the event store " + path + ": " + ec.message());
  }
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return s->Error("unable to open");
  }
  sqlite3_busy_timeout(s->db_, 5000);
  const char* schema =
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL,"
      " event_type TEXT NOT NULL, data TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS events_type ON events(event_type, id);";
  // Two processes opening a new store at once (two coordinators, `events`
  // during `monitor`) race for the switch to WAL mode, which the busy timeout
  // does not cover: retry for a while.
  for (int attempt = 0;; ++attempt) {
    char* err = nullptr;
    int rc = sqlite3_exec(s->db_, schema, nullptr, nullptr, &err);
    if (rc == SQLITE_OK) break;
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || attempt >= 250) {
      return IoError("unable to create the event store " + path + ": " + msg);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return s;
}

EventStore::~EventStore() {
  if (db_ != nullptr) sqlite3_close(db_);
}

Status EventStore::Emit(const std::string& event_type, const json& data) {
  return Record(FormatUtc(clock_.Now(), true), event_type, data);
}

Status EventStore::Record(const std::string& timestamp, const std::string& event_type, const json& data) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, "INSERT INTO events (timestamp, event_type, data) VALUES (?, ?, ?)", -1, &st, nullptr) !=
      SQLITE_OK) {
    return Error("unable to record an event");
  }
  std::string text = data.dump();
  sqlite3_bind_text(st, 1, timestamp.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, event_type.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, text.c_str(), -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return Error("unable to record event '" + event_type + "'");
  return Status::Ok();
}

Result<std::vector<Event>> EventStore::List(int limit, const std::vector<std::string>& types) {
  std::string sql = "SELECT id, timestamp, event_type, data FROM events";
  if (!types.empty()) {
    sql += " WHERE event_type IN (";
    for (size_t i = 0; i < types.size(); ++i) sql += i ? ",?" : "?";
    sql += ")";
  }
  sql += " ORDER BY id DESC LIMIT ?";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return Error("unable to read events");
  int n = 1;
  for (const auto& t : types) sqlite3_bind_text(st, n++, t.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, n, limit);
  std::vector<Event> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Event e;
    e.id = sqlite3_column_int64(st, 0);
    e.timestamp = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    e.event_type = reinterpret_cast<const char*>(sqlite3_column_text(st, 2));
    e.data = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 3)), nullptr, false);
    out.push_back(std::move(e));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return Error("unable to read events");
  return out;
}

}  // namespace dr::events
