// The summary cache on disk: table `snapshot_summaries` of the SQLite file
// that holds the event history (events::HistoryPath, in the state directory
// beside the audit log), so that every process (each CLI command, the daemon)
// lists from what the others read before. One row per (repository, backup id):
// the sealed snapshot's size and the summary as JSON (repo::SummaryToJson).
//
// Trust: the file is trusted like the audit log and the event history beside
// it (summary_cache.h says what that means for a listing). It is created 0600
// in a 0700 directory, and an existing file is narrowed to 0600 when this
// opens it: summaries name hosts, users and what was backed up, which the
// encrypted repository does not show to whoever reads its storage.
//
// Failures: the file is opened on first use (a command that never lists or
// backs up does not create it). A file that cannot be opened or read makes
// Load an error and Put/Remove errors, which callers ignore (a listing then
// reads the repository, as with no cache); a row that cannot be read back is
// left out of Load and replaced by the next Put of its backup.
//
// Memory: what it read or wrote last is kept in memory, and Load answers from
// there while no other connection has written the file since (SQLite's
// data_version): a daemon listing again parses no row.
//
// Thread-safety: safe for concurrent use (one connection, one lock); several
// processes may use the same file (SQLite's WAL mode and busy timeout).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "backup/summary_cache.h"
#include "events/sqlite_db.h"

namespace dr::backup {

class SqliteSummaryCache : public SummaryCache {
 public:
  explicit SqliteSummaryCache(std::string path) : path_(std::move(path)) {}
  ~SqliteSummaryCache() override;

  Result<Entries> Load(const std::string& repository) override;
  Status Put(const std::string& repository, const Entries& entries) override;
  Status Remove(const std::string& repository, const std::vector<std::string>& backup_ids) override;

  const std::string& path() const { return path_; }

 private:
  // The open database (opened on first use; an open that failed is tried again next time). Holds mu_.
  Result<events::Database*> Db();
  // Runs `body` in one write transaction. Holds mu_.
  Status InTransaction(events::Database& db, const std::function<Status()>& body);

  std::string path_;
  std::mutex mu_;
  std::unique_ptr<events::Database> db_;
  // Entries by repository as the file held them at data_version memory_version_ (and as this wrote them since).
  std::map<std::string, Entries> memory_;
  int64_t memory_version_ = -1;
};

}  // namespace dr::backup
