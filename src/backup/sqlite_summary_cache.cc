#include "backup/sqlite_summary_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "base/fs.h"

namespace dr::backup {

using events::Statement;
using nlohmann::json;

namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS snapshot_summaries (repository TEXT NOT NULL, backup_id TEXT NOT NULL,"
    " size INTEGER NOT NULL, summary TEXT NOT NULL, PRIMARY KEY (repository, backup_id)) WITHOUT ROWID;";

// A row as an entry; nullopt for a row this cannot trust to be what it was written as.
std::optional<SummaryCache::Entry> ReadRow(const std::string& backup_id, int64_t size, const std::string& text) {
  if (size < 0) return std::nullopt;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  auto summary = repo::SummaryFromJson(j);
  if (!summary.ok() || summary->backup_id != backup_id) return std::nullopt;
  return SummaryCache::Entry{static_cast<uint64_t>(size), std::move(summary).value()};
}

}  // namespace

SqliteSummaryCache::~SqliteSummaryCache() = default;

Result<events::Database*> SqliteSummaryCache::Db() {
  if (db_) return db_.get();
  std::string dir = std::filesystem::path(path_).parent_path().string();
  DR_RETURN_IF_ERROR(MakeDirs(dir, 0700).WithContext("unable to create the state directory"));
  // Created 0600 before SQLite opens it (SQLite would create it 0644 less the umask).
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  DR_ASSIGN_OR_RETURN(db_, events::Database::Open(path_, kSchema, "summary cache"));
  // A file the event history created before: best effort (it may not be ours to change).
  (void)::chmod(path_.c_str(), 0600);
  return db_.get();
}

Status SqliteSummaryCache::InTransaction(events::Database& db, const std::function<Status()>& body) {
  // IMMEDIATE: take the write lock now (waiting out the busy timeout), not
  // halfway through, where SQLite could only give up.
  if (Statement(db, "BEGIN IMMEDIATE").Next() != Statement::Step::kDone) {
    return db.Error("unable to start a transaction");
  }
  Status s = body();
  if (s.ok() && Statement(db, "COMMIT").Next() == Statement::Step::kDone) return Status::Ok();
  if (s.ok()) s = db.Error("unable to commit");
  (void)Statement(db, "ROLLBACK").Next();
  return s;
}

Result<SummaryCache::Entries> SqliteSummaryCache::Load(const std::string& repository) {
  std::lock_guard lock(mu_);
  DR_ASSIGN_OR_RETURN(events::Database * db, Db());
  // data_version changes when another connection (another process, the event
  // store of this one) commits; this connection's own writes are in memory_.
  Statement version(*db, "PRAGMA data_version");
  if (!version.prepared() || version.Next() != Statement::Step::kRow) return db->Error("unable to read summaries");
  if (version.Int(0) != memory_version_) {
    memory_.clear();
    memory_version_ = version.Int(0);
  }
  if (auto kept = memory_.find(repository); kept != memory_.end()) return kept->second;
  Statement st(*db, "SELECT backup_id, size, summary FROM snapshot_summaries WHERE repository = ?");
  if (!st.prepared()) return db->Error("unable to read summaries");
  st.Bind(1, repository);
  Entries out;
  Statement::Step step;
  while ((step = st.Next()) == Statement::Step::kRow) {
    std::string id = st.Text(0);
    if (auto entry = ReadRow(id, st.Int(1), st.Text(2))) out.emplace(std::move(id), std::move(*entry));
  }
  if (step != Statement::Step::kDone) return db->Error("unable to read summaries");
  memory_[repository] = out;
  return out;
}

Status SqliteSummaryCache::Put(const std::string& repository, const Entries& entries) {
  if (entries.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  DR_ASSIGN_OR_RETURN(events::Database * db, Db());
  Status written = InTransaction(*db, [&]() -> Status {
    Statement st(*db, "INSERT OR REPLACE INTO snapshot_summaries (repository, backup_id, size, summary)"
                      " VALUES (?, ?, ?, ?)");
    if (!st.prepared()) return db->Error("unable to write summaries");
    for (const auto& [id, entry] : entries) {
      st.Bind(1, repository).Bind(2, id).Bind(3, static_cast<int64_t>(entry.size));
      st.Bind(4, repo::SummaryToJson(entry.summary).dump());
      if (st.Next() != Statement::Step::kDone) return db->Error("unable to write the summary of backup '" + id + "'");
      st.Reset();
    }
    return Status::Ok();
  });
  if (auto kept = memory_.find(repository); written.ok() && kept != memory_.end()) {
    for (const auto& [id, entry] : entries) kept->second[id] = entry;
  }
  return written;
}

Status SqliteSummaryCache::Remove(const std::string& repository, const std::vector<std::string>& backup_ids) {
  if (backup_ids.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  DR_ASSIGN_OR_RETURN(events::Database * db, Db());
  Status removed = InTransaction(*db, [&]() -> Status {
    Statement st(*db, "DELETE FROM snapshot_summaries WHERE repository = ? AND backup_id = ?");
    if (!st.prepared()) return db->Error("unable to remove summaries");
    for (const auto& id : backup_ids) {
      st.Bind(1, repository).Bind(2, id);
      if (st.Next() != Statement::Step::kDone) return db->Error("unable to remove the summary of backup '" + id + "'");
      st.Reset();
    }
    return Status::Ok();
  });
  if (auto kept = memory_.find(repository); removed.ok() && kept != memory_.end()) {
    for (const auto& id : backup_ids) kept->second.erase(id);
  }
  return removed;
}

}  // namespace dr::backup
