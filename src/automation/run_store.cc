#include "automation/run_store.h"

#include "base/time_util.h"

namespace dr::automation {
namespace {

using nlohmann::json;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS job_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL,"
    " trigger TEXT NOT NULL, scheduled_ms INTEGER NOT NULL, started_ms INTEGER NOT NULL, finished_ms INTEGER,"
    " outcome TEXT NOT NULL, attempts INTEGER NOT NULL, error_code TEXT NOT NULL, message TEXT NOT NULL,"
    " owner TEXT NOT NULL, result TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS job_runs_job ON job_runs(job, id);";

constexpr const char* kColumns =
    "SELECT id, job, trigger, scheduled_ms, started_ms, finished_ms, outcome, attempts, error_code, message, owner,"
    " result FROM job_runs";

int64_t Ms(TimePoint t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count(); }
TimePoint FromMs(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

}  // namespace

double JobRun::duration_seconds() const {
  if (!finished) return 0;
  return std::chrono::duration<double>(*finished - started).count();
}

json JobRun::ToJson() const {
  json j = {{"id", id},
            {"job", job},
            {"trigger", trigger},
            {"scheduled_for", FormatUtc(scheduled_for)},
            {"started", FormatUtc(started, true)},
            {"finished", finished ? json(FormatUtc(*finished, true)) : json(nullptr)},
            {"outcome", outcome},
            {"attempts", attempts},
            {"duration_seconds", duration_seconds()}};
  if (!error_code.empty()) j["error"] = {{"code", error_code}, {"message", message}};
  else if (!message.empty()) j["message"] = message;
  if (!owner.empty()) j["owner"] = owner;
  if (!result.is_null()) j["result"] = result;
  return j;
}

Result<std::unique_ptr<RunStore>> RunStore::Open(const std::string& path) {
  DR_ASSIGN_OR_RETURN(auto db, events::Database::Open(path, kSchema, "job state"));
  return std::unique_ptr<RunStore>(new RunStore(std::move(db)));
}

Status RunStore::Begin(JobRun& run) {
  events::Statement st(*db_,
                       "INSERT INTO job_runs (job, trigger, scheduled_ms, started_ms, outcome, attempts, error_code,"
                       " message, owner, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
  if (!st.prepared()) return db_->Error("unable to record the start of job '" + run.job + "'");
  st.Bind(1, run.job).Bind(2, run.trigger).Bind(3, Ms(run.scheduled_for)).Bind(4, Ms(run.started));
  st.Bind(5, run.outcome).Bind(6, int64_t{run.attempts}).Bind(7, run.error_code).Bind(8, run.message);
  st.Bind(9, run.owner).Bind(10, run.result.is_null() ? std::string("null") : run.result.dump());
  // RETURNING, not last_insert_rowid(): jobs share the connection, and another
  // thread's insert may come between this one and the question.
  if (st.Next() != events::Statement::Step::kRow) return db_->Error("unable to record the start of job '" + run.job + "'");
  run.id = st.Int(0);
  return Status::Ok();
}

Status RunStore::Finish(const JobRun& run) {
  events::Statement st(*db_,
                       "UPDATE job_runs SET finished_ms = ?, outcome = ?, attempts = ?, error_code = ?, message = ?,"
                       " result = ? WHERE id = ?");
  if (!st.prepared()) return db_->Error("unable to record the end of job '" + run.job + "'");
  st.Bind(1, Ms(run.finished.value_or(run.started))).Bind(2, run.outcome).Bind(3, int64_t{run.attempts});
  st.Bind(4, run.error_code).Bind(5, run.message).Bind(6, run.result.is_null() ? std::string("null") : run.result.dump());
  st.Bind(7, run.id);
  if (st.Next() != events::Statement::Step::kDone) return db_->Error("unable to record the end of job '" + run.job + "'");
  return Status::Ok();
}

Status RunStore::Disown(const JobRun& run) {
  events::Statement st(*db_, "UPDATE job_runs SET owner = '' WHERE id = ? AND finished_ms IS NULL");
  if (!st.prepared()) return db_->Error("unable to hand over the run of job '" + run.job + "'");
  st.Bind(1, run.id);
  if (st.Next() != events::Statement::Step::kDone) return db_->Error("unable to hand over the run of job '" + run.job + "'");
  return Status::Ok();
}

Status RunStore::Record(JobRun& run) {
  DR_RETURN_IF_ERROR(Begin(run));
  return Finish(run);
}

Result<std::vector<JobRun>> RunStore::Query(const std::string& where, const std::vector<std::string>& args, int limit) {
  std::string sql = std::string(kColumns) + (where.empty() ? "" : " WHERE " + where) + " ORDER BY id DESC LIMIT ?";
  events::Statement st(*db_, sql.c_str());
  if (!st.prepared()) return db_->Error("unable to read job runs");
  int n = 1;
  for (const auto& a : args) st.Bind(n++, a);
  st.Bind(n, int64_t{limit});
  std::vector<JobRun> out;
  events::Statement::Step step;
  while ((step = st.Next()) == events::Statement::Step::kRow) {
    JobRun r;
    r.id = st.Int(0);
    r.job = st.Text(1);
    r.trigger = st.Text(2);
    r.scheduled_for = FromMs(st.Int(3));
    r.started = FromMs(st.Int(4));
    if (!st.IsNull(5)) r.finished = FromMs(st.Int(5));
    r.outcome = st.Text(6);
    r.attempts = static_cast<int>(st.Int(7));
    r.error_code = st.Text(8);
    r.message = st.Text(9);
    r.owner = st.Text(10);
    r.result = json::parse(st.Text(11), nullptr, false);
    if (r.result.is_discarded()) r.result = nullptr;
    out.push_back(std::move(r));
  }
  if (step != events::Statement::Step::kDone) return db_->Error("unable to read job runs");
  return out;
}

Result<std::optional<JobRun>> RunStore::Last(const std::string& job) {
  DR_ASSIGN_OR_RETURN(auto runs, Query("job = ?", {job}, 1));
  if (runs.empty()) return std::optional<JobRun>();
  return std::optional<JobRun>(std::move(runs.front()));
}

Result<std::optional<JobRun>> RunStore::LastWithOutcome(const std::string& job, const std::string& outcome) {
  DR_ASSIGN_OR_RETURN(auto runs, Query("job = ? AND outcome = ?", {job, outcome}, 1));
  if (runs.empty()) return std::optional<JobRun>();
  return std::optional<JobRun>(std::move(runs.front()));
}

Result<std::optional<TimePoint>> RunStore::LastScheduled(const std::string& job) {
  events::Statement st(*db_,
                       "SELECT MAX(scheduled_ms) FROM job_runs WHERE job = ? AND trigger IN ('schedule', 'catch_up',"
                       " 'takeover')");
  if (!st.prepared()) return db_->Error("unable to read job runs");
  st.Bind(1, job);
  if (st.Next() != events::Statement::Step::kRow) return db_->Error("unable to read job runs");
  if (st.IsNull(0)) return std::optional<TimePoint>();
  return std::optional<TimePoint>(FromMs(st.Int(0)));
}

Result<std::vector<JobRun>> RunStore::History(const std::string& job, int limit) {
  if (job.empty()) return Query("", {}, limit);
  return Query("job = ?", {job}, limit);
}

Result<std::vector<RunCount>> RunStore::Counts() {
  events::Statement st(*db_,
                       "SELECT job, outcome, COUNT(*), SUM(attempts), MAX(finished_ms) FROM job_runs"
                       " WHERE outcome != 'running' GROUP BY job, outcome");
  if (!st.prepared()) return db_->Error("unable to count job runs");
  std::vector<RunCount> out;
  events::Statement::Step step;
  while ((step = st.Next()) == events::Statement::Step::kRow) {
    RunCount c{st.Text(0), st.Text(1), st.Int(2), st.Int(3), std::nullopt};
    if (!st.IsNull(4)) c.last_finished = FromMs(st.Int(4));
    out.push_back(std::move(c));
  }
  if (step != events::Statement::Step::kDone) return db_->Error("unable to count job runs");
  return out;
}

Result<std::vector<JobRun>> RunStore::Unfinished() { return Query("outcome = 'running'", {}, 100000); }

}  // namespace dr::automation
