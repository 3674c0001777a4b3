// The embedded SQLite database that holds the daemon's and the tools' state:
// the event history (event_store.h) and the scheduler's job runs
// (automation/run_store.h) live in one file, each in its own table. This is
// the one place that opens it: the directory is created, several processes
// may write (WAL mode, a busy timeout), and a schema is applied even when two
// processes create the file at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dr/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace dr::events {

class Database {
 public:
  // `what` names the store in errors ("event store", "job state").
  static Result<std::unique_ptr<Database>> Open(const std::string& path, const std::string& schema,
                                                const std::string& what);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() { return db_; }
  const std::string& path() const { return path_; }
  // kIoError: "<doing> in the <what> <path>: <sqlite's message>".
  Status Error(const std::string& doing) const;

 private:
  Database() = default;
  sqlite3* db_ = nullptr;
  std::string path_;
  std::string what_;
};

// A prepared statement, finalized when it goes out of scope. Binds count from 1,
// columns from 0, as in SQLite.
class Statement {
 public:
  Statement(Database& db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool prepared() const { return st_ != nullptr; }
  Statement& Bind(int index, const std::string& text);
  Statement& Bind(int index, int64_t value);
  enum class Step { kRow, kDone, kError };
  // Runs the statement to its next row.
  Step Next();
  // Back to before the first row, to run it again with new bindings (a batch in one transaction).
  void Reset();
  int64_t Int(int column) const;
  std::string Text(int column) const;  // "" for NULL
  bool IsNull(int column) const;

 private:
  sqlite3_stmt* st_ = nullptr;
};

}  // namespace dr::events
