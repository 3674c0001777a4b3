#include "runbook/execution_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "base/fs.h"

namespace dr::runbook {
namespace {

using nlohmann::json;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS runbook_executions (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, runbook TEXT NOT NULL,"
    " status TEXT NOT NULL, user TEXT NOT NULL, request TEXT NOT NULL, log TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS runbook_executions_seq ON runbook_executions(seq);";

json Parse(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_object() ? j : json::object();  // a damaged row reads as empty, never throws
}

Execution Row(events::Statement& st) {
  return {.id = st.Text(0), .runbook = st.Text(1), .status = st.Text(2), .user = st.Text(3),
          .request = Parse(st.Text(4)), .log = Parse(st.Text(5))};
}

}  // namespace

Result<std::unique_ptr<ExecutionStore>> ExecutionStore::Open(const std::string& path) {
  DR_ASSIGN_OR_RETURN(auto db, events::Database::Open(path, kSchema, "runbook executions"));
  std::string locks = (std::filesystem::path(path).parent_path() / "runbook-locks").string();
  return std::unique_ptr<ExecutionStore>(new ExecutionStore(std::move(db), locks));
}

ExecutionLock::~ExecutionLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

Result<std::unique_ptr<ExecutionLock>> ExecutionStore::Claim(const std::string& id) {
  DR_RETURN_IF_ERROR(MakeDirs(lock_dir_, 0700));
  std::string path = lock_dir_ + "/" + id + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, "runbook execution lock " + path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char pid[32] = {0};
    ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) return ErrnoStatus(err, "runbook execution lock " + path);
    std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : std::string("?");
    return Status(Code::kLocked, "execution " + id + " is running now (process " + holder +
                                     "): it can be resumed only once that process has ended");
  }
  // Who holds it, for the message above (best effort).
  std::string me = std::to_string(::getpid());
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, me.data(), me.size(), 0);
  return std::unique_ptr<ExecutionLock>(new ExecutionLock(fd));
}

Status ExecutionStore::Save(const Execution& e) {
  // seq orders the history: kept from the first save, a new row after the newest.
  events::Statement st(*db_,
                       "INSERT INTO runbook_executions (id, seq, runbook, status, user, request, log) VALUES"
                       " (?, (SELECT IFNULL(MAX(seq), 0) + 1 FROM runbook_executions), ?, ?, ?, ?, ?)"
                       " ON CONFLICT(id) DO UPDATE SET status = excluded.status, request = excluded.request,"
                       " log = excluded.log");
  if (!st.prepared()) return db_->Error("unable to record runbook execution " + e.id);
  // Invalid UTF-8 (a command's output) is replaced, never an exception.
  auto text = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  st.Bind(1, e.id).Bind(2, e.runbook).Bind(3, e.status).Bind(4, e.user).Bind(5, text(e.request)).Bind(6, text(e.log));
  if (st.Next() != events::Statement::Step::kDone) return db_->Error("unable to record runbook execution " + e.id);
  return Status::Ok();
}

Result<Execution> ExecutionStore::Find(const std::string& id) {
  events::Statement st(*db_, "SELECT id, runbook, status, user, request, log FROM runbook_executions WHERE id = ?");
  if (!st.prepared()) return db_->Error("unable to read runbook execution " + id);
  st.Bind(1, id);
  auto step = st.Next();
  if (step == events::Statement::Step::kDone) return NotFound("no runbook execution '" + id + "' (see ecap-dr runbook history)");
  if (step != events::Statement::Step::kRow) return db_->Error("unable to read runbook execution " + id);
  return Row(st);
}

Result<std::vector<Execution>> ExecutionStore::History(int limit) {
  events::Statement st(*db_,
                       "SELECT id, runbook, status, user, request, log FROM runbook_executions ORDER BY seq DESC LIMIT ?");
  if (!st.prepared()) return db_->Error("unable to read runbook executions");
  st.Bind(1, int64_t{limit});
  std::vector<Execution> out;
  events::Statement::Step step;
  while ((step = st.Next()) == events::Statement::Step::kRow) out.push_back(Row(st));
  if (step != events::Statement::Step::kDone) return db_->Error("unable to read runbook executions");
  return out;
}

}  // namespace dr::runbook
