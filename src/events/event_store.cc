#include "events/event_store.h"

#include <filesystem>

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

Result<std::unique_ptr<EventStore>> EventStore::Open(const std::string& path, Clock& clock) {
  static const char* kSchema =
      "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL,"
      " event_type TEXT NOT NULL, data TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS events_type ON events(event_type, id);";
  std::unique_ptr<EventStore> s(new EventStore(clock));
  DR_ASSIGN_OR_RETURN(s->db_, Database::Open(path, kSchema, "event store"));
  return s;
}

EventStore::~EventStore() = default;

const std::string& EventStore::path() const { return db_->path(); }

Status EventStore::Emit(const std::string& event_type, const json& data) {
  return Record(FormatUtc(clock_.Now(), true), event_type, data);
}

Status EventStore::Record(const std::string& timestamp, const std::string& event_type, const json& data) {
  Statement st(*db_, "INSERT INTO events (timestamp, event_type, data) VALUES (?, ?, ?)");
  if (!st.prepared()) return db_->Error("unable to record an event");
  st.Bind(1, timestamp).Bind(2, event_type).Bind(3, data.dump());
  if (st.Next() != Statement::Step::kDone) return db_->Error("unable to record event '" + event_type + "'");
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
  Statement st(*db_, sql.c_str());
  if (!st.prepared()) return db_->Error("unable to read events");
  int n = 1;
  for (const auto& t : types) st.Bind(n++, t);
  st.Bind(n, int64_t{limit});
  std::vector<Event> out;
  Statement::Step step;
  while ((step = st.Next()) == Statement::Step::kRow) {
    Event e;
    e.id = st.Int(0);
    e.timestamp = st.Text(1);
    e.event_type = st.Text(2);
    e.data = json::parse(st.Text(3), nullptr, false);
    out.push_back(std::move(e));
  }
  if (step != Statement::Step::kDone) return db_->Error("unable to read events");
  return out;
}

Result<std::map<std::string, int64_t>> EventStore::Count(const std::vector<std::string>& types,
                                                         const std::string& since) {
  std::map<std::string, int64_t> out;
  std::string sql = "SELECT event_type, count(*) FROM events WHERE event_type IN (";
  for (size_t i = 0; i < types.size(); ++i) {
    sql += i ? ",?" : "?";
    out[types[i]] = 0;
  }
  sql += ")";
  if (!since.empty()) sql += " AND timestamp >= ?";  // one format throughout: text order is time order
  sql += " GROUP BY event_type";
  Statement st(*db_, sql.c_str());
  if (!st.prepared()) return db_->Error("unable to count events");
  int n = 1;
  for (const auto& t : types) st.Bind(n++, t);
  if (!since.empty()) st.Bind(n, since);
  Statement::Step step;
  while ((step = st.Next()) == Statement::Step::kRow) out[st.Text(0)] = st.Int(1);
  if (step != Statement::Step::kDone) return db_->Error("unable to count events");
  return out;
}

}  // namespace dr::events
