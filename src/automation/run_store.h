// The scheduler's memory: every run of every job (when it was due, when it
// started and ended, its outcome), kept in the same SQLite file as the event
// history (events::HistoryPath), table `job_runs`. It is what makes a restart
// neither repeat nor skip a job: the daemon asks it when each job last ran
// for a due time, and which runs a process that died left unfinished.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/result.h"
#include "events/sqlite_db.h"

namespace dr::automation {

using TimePoint = std::chrono::system_clock::time_point;

struct JobRun {
  int64_t id = 0;
  std::string job;
  // schedule: at its due time; catch_up: a due time missed while the daemon
  // was down; manual: `schedule run` or the API; takeover: re-run of a run
  // whose daemon died (another instance became leader).
  std::string trigger = "schedule";
  TimePoint scheduled_for{};  // the due time it ran for (manual: when it was asked)
  TimePoint started{};
  std::optional<TimePoint> finished;
  // running, succeeded, failed, cancelled, skipped (due while the previous
  // run still ran), interrupted (its daemon died before it ended)
  std::string outcome = "running";
  int attempts = 0;
  std::string error_code;  // Status code name of a failure
  std::string message;
  std::string owner;          // the daemon that ran it: host:pid
  nlohmann::json result;      // the operation's result document, when it has one

  double duration_seconds() const;
  nlohmann::json ToJson() const;
};

// Runs of one job with one outcome, for counters rebuilt after a restart.
struct RunCount {
  std::string job;
  std::string outcome;
  int64_t runs = 0;
  int64_t attempts = 0;
  std::optional<TimePoint> last_finished;
};

class RunStore {
 public:
  static Result<std::unique_ptr<RunStore>> Open(const std::string& path);

  // Records a run that starts; sets run.id.
  Status Begin(JobRun& run);
  // Stores the run's end (outcome, finished, attempts, error, result) by id.
  Status Finish(const JobRun& run);
  // Begin + Finish at once (a skipped run).
  Status Record(JobRun& run);
  // Leaves an unfinished run to whichever daemon leads next: its owner is
  // cleared, so the next leader's recovery takes it over and runs it again.
  Status Disown(const JobRun& run);

  // The newest run of `job` (any trigger), if any.
  Result<std::optional<JobRun>> Last(const std::string& job);
  // The newest run of `job` whose outcome is `outcome`.
  Result<std::optional<JobRun>> LastWithOutcome(const std::string& job, const std::string& outcome);
  // The latest due time the daemon started `job` for (schedule, catch_up, takeover).
  Result<std::optional<TimePoint>> LastScheduled(const std::string& job);
  // Newest first; job "" is every job.
  Result<std::vector<JobRun>> History(const std::string& job, int limit);
  // Every (job, outcome) pair of the finished runs.
  Result<std::vector<RunCount>> Counts();
  // Runs still marked running (a daemon that died left them so).
  Result<std::vector<JobRun>> Unfinished();

 private:
  explicit RunStore(std::unique_ptr<events::Database> db) : db_(std::move(db)) {}
  Result<std::vector<JobRun>> Query(const std::string& where, const std::vector<std::string>& args, int limit);
  std::unique_ptr<events::Database> db_;
};

}  // namespace dr::automation
