// The scheduler of `ecap-dr serve`: runs each configured job at its due
// times, the way a person would run its CLI twin, and remembers every run.
//
// - Due times come from the job's schedule in the configured time zone
//   (base/schedule.h: DST handled as cron users expect).
// - A run missed while the daemon was down starts once at start-up (trigger
//   catch_up), not once per missed due time, and only if its due time is
//   within `starting_deadline` (Kubernetes CronJob's startingDeadlineSeconds).
// - A run that a dead daemon left unfinished (its row still says running) is
//   marked interrupted, and the job runs once more for the same due time
//   (trigger takeover): after a crash, or on the instance that takes over
//   from a dead leader.
// - A job never overlaps itself: a due time that comes while its previous run
//   still runs is recorded as skipped.
// - A run that fails with a temporary error (server down, I/O) is tried again
//   after 1, 2, 4, ... times `retry_delay` (at most `max_retry_delay`), up to
//   `max_attempts`; a repository locked by someone else (a prune holding the
//   exclusive lock) is waited for, every `lock_retry`, without using up attempts.
// - Stop: nothing new starts; running jobs get `shutdown_timeout` to finish,
//   then their stop token is requested and the run ends cancelled (the
//   operations stop at a consistent point, see ManagerOptions::stop).
//
// Everything waits on the Clock, so tests drive months of schedules with a
// FakeClock and no real sleeps.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <cctz/time_zone.h>
#include <nlohmann/json.hpp>

#include "automation/run_ledger.h"
#include "automation/run_store.h"
#include "base/schedule.h"
#include "config/config.h"
#include "dr/clock.h"
#include "dr/result.h"

namespace dr::automation {

// One configured job with its parsed schedule.
struct Job {
  config::JobConfig config;
  Schedule schedule;
  const std::string& name() const { return config.name; }
};

// The jobs of a configuration (automation.jobs), schedules parsed.
Result<std::vector<Job>> JobsOf(const config::Config& config);

// What one attempt of a job produced.
struct JobOutcome {
  Status status;
  nlohmann::json result;  // the operation's result document (null: none)
};
// Runs one attempt of a job (ops::RunJob behind the daemon; a fake in tests).
using JobRunFn = std::function<JobOutcome(const Job& job, std::stop_token stop)>;

// Told about runs as they happen (metrics, alerts, the log). Called from the
// job's thread; implementations lock what they share.
class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  virtual void RunStarted(const Job&, const JobRun&) {}
  virtual void RunFinished(const Job&, const JobRun&) {}
  virtual void Log(const std::string& /*line*/) {}
};

// This process as a run's owner (and a daemon's id in a leader election):
// "host:pid@start", the start time telling it from a later process with its pid.
std::string ProcessOwner();

struct SchedulerOptions {
  Clock* clock = &RealClock();
  cctz::time_zone zone = cctz::utc_time_zone();
  std::chrono::seconds starting_deadline{6 * 3600};
  std::chrono::seconds shutdown_timeout{300};
  int max_attempts = 3;
  std::chrono::seconds retry_delay{60};
  std::chrono::seconds max_retry_delay{1800};
  std::chrono::seconds lock_retry{30};
  std::string owner;  // host:pid@start, stored with each run; default: ProcessOwner()
  // The longest sleep between two looks at the wall clock (a clock set
  // forward or back is noticed within it). Tests of long spans raise it.
  std::chrono::seconds max_sleep{60};
  // Several daemons (serve with etcd): whether this one leads now; only the
  // leader runs jobs. Null: always. Asked every `leader_poll`. On becoming
  // leader the scheduler recovers as at start (takes over the runs a dead or
  // deposed leader left unfinished, runs what was missed within the deadline);
  // on losing the lead it cancels its running jobs and hands their runs over
  // (RunStore::Disown), so the next leader runs each once more.
  std::function<bool()> leading;
  std::chrono::seconds leader_poll{1};
  // Several daemons on different hosts (each its own state directory): the
  // newest run of each job, shared through etcd. The leader writes each run
  // it starts and ends there; a new leader takes over the run its
  // predecessor left unfinished and counts the due times it ran, as it does
  // with the runs of its own store. Null: the store alone (one host, or a
  // state directory the daemons share).
  RunLedger* ledger = nullptr;
};

// What `schedule list` and the API show of a job.
struct JobStatus {
  std::string name;
  std::string action;
  std::string schedule;
  std::chrono::seconds expected_interval{0};
  std::vector<TimePoint> next_runs;
  std::optional<JobRun> last_run;
  std::optional<JobRun> last_success;
  bool running = false;
  nlohmann::json ToJson(const cctz::time_zone& zone) const;
};

class Scheduler {
 public:
  Scheduler(std::vector<Job> jobs, RunStore& store, JobRunFn run, SchedulerOptions options,
            SchedulerObserver* observer = nullptr);
  // Cancels and joins any run still going.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs until `stop` is requested (then stops as described above). Returns
  // an error only when the job state cannot be read at start.
  Status Run(std::stop_token stop);

  // Runs `name` now in the caller's thread, as the daemon would (attempts,
  // lock waits, the run recorded, the observer told); trigger "manual".
  // kNotFound for an unknown job; a run that failed is a JobRun, not an error.
  Result<JobRun> RunNow(const std::string& name, std::stop_token stop = {});

  // Every job with its next `next_count` due times and last runs.
  Result<std::vector<JobStatus>> Statuses(int next_count = 3);

  const std::vector<Job>& jobs() const { return jobs_; }
  const SchedulerOptions& options() const { return options_; }
  // How many runs are going now.
  int running() const;
  // Blocks until no run is going (tests; `serve` before it exits).
  void WaitIdle();

 private:
  struct Worker {
    std::stop_source stop;
    std::jthread thread;
  };
  const Job* Find(const std::string& name) const;
  int RunningLocked() const;  // mu_ held
  // Starts `job` in a thread of its own for `due`, unless it is running (then records a skipped run).
  void Start(const Job& job, const std::string& trigger, TimePoint due);
  // One run: attempts, retries, lock waits; records it and tells the observer.
  // `term`: the lead it started under (a run that outlives it is handed over).
  JobRun Execute(const Job& job, const std::string& trigger, TimePoint due, std::stop_token stop, uint64_t term);
  // At start: marks runs a dead daemon left as interrupted and reruns them;
  // starts the runs missed while down.
  dr::Status Recover(TimePoint now);
  // A run some daemon left unfinished (from the store or the ledger): recorded
  // as interrupted, started again for its due time unless it was manual or is
  // beyond the starting deadline. An error when the record could not be written.
  dr::Status TakeOver(JobRun& run, TimePoint now, std::set<std::string>& started);
  // The shared ledger (when there is one) told of a run that starts or ends.
  void Publish(const JobRun& run);
  void Shutdown();
  // Lost the lead: cancels every running job; their runs are handed over, not finished.
  void Abdicate();
  void Log(const std::string& line);

  std::vector<Job> jobs_;
  RunStore& store_;
  JobRunFn run_;
  SchedulerOptions options_;
  SchedulerObserver* observer_;

  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;  // by job name: its latest run's thread
  std::map<std::string, bool> running_;
  bool abdicated_ = false;  // the running jobs were cancelled because the lead was lost
  uint64_t term_ = 0;       // counts the times this daemon became leader
  std::stop_source idle_;  // requested when no run is going during shutdown
  bool shutting_down_ = false;
};

}  // namespace dr::automation
