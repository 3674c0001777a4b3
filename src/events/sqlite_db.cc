#include "events/sqlite_db.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "base/fs.h"
#include "base/ownership.h"

namespace dr::events {

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, const std::string& schema,
                                                 const std::string& what) {
  std::unique_ptr<Database> d(new Database());
  d->path_ = path;
  d->what_ = what;
  if (auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) {
    DR_RETURN_IF_ERROR(MakeDirs(dir.string(), 0755).WithContext("the directory of the " + what + " " + path));
  }
  if (sqlite3_open_v2(path.c_str(), &d->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return d->Error("unable to open");
  }
  sqlite3_busy_timeout(d->db_, 5000);
  const std::string statements = "PRAGMA journal_mode=WAL;" + schema;
  // Two processes opening a new file at once (two daemons, `events` during
  // `monitor`) race for the switch to WAL mode, which the busy timeout does
  // not cover: retry for a while.
  for (int attempt = 0;; ++attempt) {
    char* err = nullptr;
    int rc = sqlite3_exec(d->db_, statements.c_str(), nullptr, nullptr, &err);
    if (rc == SQLITE_OK) break;
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || attempt >= 250) {
      return IoError("unable to create the " + what + " " + path + ": " + msg);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The database and its WAL files stay usable by the directory's owner when
  // root made them (base/ownership.h).
  for (const char* suffix : {"", "-wal", "-shm"}) GiveToParentOwner(path + suffix);
  return d;
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close(db_);
}

Status Database::Error(const std::string& doing) const {
  return IoError(doing + " in the " + what_ + " " + path_ + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
}

Statement::Statement(Database& db, const char* sql) {
  if (sqlite3_prepare_v2(db.handle(), sql, -1, &st_, nullptr) != SQLITE_OK) st_ = nullptr;
}

Statement::~Statement() {
  if (st_ != nullptr) sqlite3_finalize(st_);
}

Statement& Statement::Bind(int index, const std::string& text) {
  sqlite3_bind_text(st_, index, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(st_, index, value);
  return *this;
}

Statement::Step Statement::Next() {
  switch (sqlite3_step(st_)) {
    case SQLITE_ROW: return Step::kRow;
    case SQLITE_DONE: return Step::kDone;
    default: return Step::kError;
  }
}

void Statement::Reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(st_, column); }

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(st_, column);
  return text == nullptr ? "" : reinterpret_cast<const char*>(text);
}

bool Statement::IsNull(int column) const { return sqlite3_column_type(st_, column) == SQLITE_NULL; }

}  // namespace dr::events
