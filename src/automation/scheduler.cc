#include "automation/scheduler.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <set>

#include "base/host.h"
#include "base/time_util.h"

namespace dr::automation {
namespace {

using nlohmann::json;

// Worth another attempt: the server or storage may come back. A bad
// configuration, a denial, damaged data or a missing backup will not.
bool Retryable(const dr::Status& s) {
  return s.code() == Code::kUnavailable || s.code() == Code::kIoError || s.code() == Code::kFailed;
}

// When process `pid` started (clock ticks since boot, /proc/<pid>/stat field
// 22): with the pid, it names a process for good ("" when it is gone).
std::string ProcessStart(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto paren = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (paren == std::string::npos) return "";
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

// A run whose owner is a live process on this host (a `schedule run` in a
// terminal) is not abandoned, whatever its row says. An owner with a start
// time ("host:pid@start") is that very process, not a later one with its pid.
bool OwnerAlive(const std::string& owner) {
  auto colon = owner.rfind(':');
  if (colon == std::string::npos || owner.substr(0, colon) != HostName()) return false;
  std::string rest = owner.substr(colon + 1);
  pid_t pid = static_cast<pid_t>(std::atol(rest.c_str()));
  if (pid <= 0 || pid == getpid() || kill(pid, 0) != 0) return false;
  auto at = rest.find('@');
  return at == std::string::npos || ProcessStart(pid) == rest.substr(at + 1);
}

// A run its daemon left unfinished, as it ends in the record (`more` adds to why).
void MarkInterrupted(JobRun& run, TimePoint now, const std::string& more) {
  run.outcome = "interrupted";
  run.finished = now;
  run.error_code = "cancelled";
  run.message = "its daemon (" + (run.owner.empty() ? std::string("a deposed leader") : run.owner) +
                ") stopped before it ended" + more;
}

}  // namespace

// The start time makes the owner unique for good: a daemon restarted in a
// container is often pid 1 again, and must not take its predecessor's runs for its own.
std::string ProcessOwner() { return HostName() + ":" + std::to_string(getpid()) + "@" + ProcessStart(getpid()); }

Result<std::vector<Job>> JobsOf(const config::Config& config) {
  std::vector<Job> jobs;
  for (const auto& jc : config.automation.jobs) {
    const std::pair<const char*, const std::string*> kinds[] = {
        {"daily", &jc.daily}, {"weekly", &jc.weekly}, {"monthly", &jc.monthly}, {"cron", &jc.cron}};
    std::optional<Schedule> schedule;
    for (const auto& [kind, spec] : kinds) {
      if (spec->empty()) continue;
      auto parsed = Schedule::Parse(kind, *spec);
      if (!parsed.ok()) return parsed.status().WithContext("job '" + jc.name + "'");
      schedule = *parsed;
    }
    if (!schedule) return ConfigError("job '" + jc.name + "' has no schedule (daily, weekly, monthly or cron)");
    jobs.push_back({jc, *schedule});
  }
  return jobs;
}

json JobStatus::ToJson(const cctz::time_zone& zone) const {
  json next = json::array();
  for (auto t : next_runs) next.push_back({{"time", FormatUtc(t)}, {"local", FormatLocal(t, zone)}});
  return {{"name", name},
          {"action", action},
          {"schedule", schedule},
          {"expected_interval_seconds", expected_interval.count()},
          {"next_runs", next},
          {"running", running},
          {"last_run", last_run ? last_run->ToJson() : json(nullptr)},
          {"last_success", last_success ? last_success->ToJson() : json(nullptr)}};
}

Scheduler::Scheduler(std::vector<Job> jobs, RunStore& store, JobRunFn run, SchedulerOptions options,
                     SchedulerObserver* observer)
    : jobs_(std::move(jobs)), store_(store), run_(std::move(run)), options_(std::move(options)), observer_(observer) {
  if (options_.owner.empty()) options_.owner = ProcessOwner();
}

Scheduler::~Scheduler() {
  std::map<std::string, std::unique_ptr<Worker>> workers;
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    for (auto& [name, w] : workers_) w->stop.request_stop();
    workers.swap(workers_);
  }
  workers.clear();  // joins
}

const Job* Scheduler::Find(const std::string& name) const {
  for (const auto& j : jobs_) {
    if (j.name() == name) return &j;
  }
  return nullptr;
}

int Scheduler::RunningLocked() const {
  return static_cast<int>(std::count_if(running_.begin(), running_.end(), [](const auto& kv) { return kv.second; }));
}

int Scheduler::running() const {
  std::lock_guard lock(mu_);
  return RunningLocked();
}

void Scheduler::Log(const std::string& line) {
  if (observer_) observer_->Log(line);
}

void Scheduler::Start(const Job& job, const std::string& trigger, TimePoint due) {
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  if (running_[job.name()]) {
    JobRun skipped;
    skipped.job = job.name();
    skipped.trigger = trigger;
    skipped.scheduled_for = due;
    skipped.started = options_.clock->Now();
    skipped.finished = skipped.started;
    skipped.outcome = "skipped";
    skipped.owner = options_.owner;
    skipped.message = "its previous run was still running at " + FormatUtc(due);
    if (dr::Status s = store_.Record(skipped); !s.ok()) Log("job " + job.name() + ": " + s.message());
    Log("job " + job.name() + ": run due at " + FormatUtc(due) + " skipped: " + skipped.message);
    if (observer_) observer_->RunFinished(job, skipped);
    return;
  }
  running_[job.name()] = true;
  auto worker = std::make_unique<Worker>();
  std::stop_token stop = worker->stop.get_token();
  worker->thread = std::jthread([this, &job, trigger, due, stop, term = term_] {
    Execute(job, trigger, due, stop, term);
    std::lock_guard done(mu_);
    running_[job.name()] = false;
    if (RunningLocked() == 0 && shutting_down_) idle_.request_stop();
    idle_cv_.notify_all();
  });
  // The job's previous worker has finished (running_ said so): replacing it joins it at once.
  workers_[job.name()] = std::move(worker);
}

JobRun Scheduler::Execute(const Job& job, const std::string& trigger, TimePoint due, std::stop_token stop,
                          uint64_t term) {
  Clock& clock = *options_.clock;
  JobRun run;
  run.job = job.name();
  run.trigger = trigger;
  run.scheduled_for = due;
  run.started = clock.Now();
  run.owner = options_.owner;
  // A job is worth more than its record: a store that cannot be written is logged, and the job runs.
  if (dr::Status s = store_.Begin(run); !s.ok()) Log("job " + job.name() + ": " + s.message());
  Publish(run);
  Log("job " + job.name() + ": started (" + trigger + ", due " + FormatUtc(due) + ")");
  if (observer_) observer_->RunStarted(job, run);

  JobOutcome outcome;
  int failures = 0;
  auto delay = options_.retry_delay;
  while (true) {
    ++run.attempts;
    outcome = run_(job, stop);
    const dr::Status& s = outcome.status;
    if (s.ok() || stop.stop_requested() || s.code() == Code::kCancelled) break;
    if (s.code() == Code::kLocked) {
      Log("job " + job.name() + ": " + s.message() + "; waiting " + FormatDuration(options_.lock_retry));
      if (!clock.SleepFor(options_.lock_retry, stop)) break;
      continue;
    }
    ++failures;
    if (!Retryable(s) || failures >= options_.max_attempts) break;
    Log("job " + job.name() + ": attempt " + std::to_string(run.attempts) + " failed: " + s.message() +
        "; trying again in " + FormatDuration(delay));
    if (!clock.SleepFor(delay, stop)) break;
    delay = std::min(delay * 2, options_.max_retry_delay);
  }

  run.finished = clock.Now();
  run.result = outcome.result;
  const dr::Status& s = outcome.status;
  if (s.ok()) {
    run.outcome = "succeeded";
  } else if (stop.stop_requested() || s.code() == Code::kCancelled) {
    run.outcome = "cancelled";
    run.error_code = "cancelled";
    run.message = s.code() == Code::kCancelled ? s.message() : "stopped before it could finish: " + s.message();
  } else {
    run.outcome = "failed";
    run.error_code = s.code_name();
    run.message = s.message();
  }
  bool handed_over = false;
  {
    std::lock_guard lock(mu_);
    // Cancelled by a lost lead: also when the lead came back meanwhile (a later term).
    handed_over = run.outcome == "cancelled" && (abdicated_ || term != term_);
  }
  if (handed_over) {
    // Deposed mid-run: the next leader runs it again; this run is not its end.
    if (dr::Status w = store_.Disown(run); !w.ok()) Log("job " + job.name() + ": " + w.message());
    Log("job " + job.name() + ": cancelled, no longer leading; left to the next leader");
    if (observer_) observer_->RunFinished(job, run);
    return run;
  }
  if (dr::Status w = store_.Finish(run); !w.ok()) Log("job " + job.name() + ": " + w.message());
  Publish(run);
  Log("job " + job.name() + ": " + run.outcome + " after " + std::to_string(run.attempts) + " attempt" +
      (run.attempts == 1 ? "" : "s") + (run.message.empty() ? "" : ": " + run.message));
  if (observer_) observer_->RunFinished(job, run);
  return run;
}

void Scheduler::Publish(const JobRun& run) {
  // Manual runs (`schedule run`, the API) are no due time of the schedule.
  if (options_.ledger == nullptr || run.trigger == "manual") return;
  LedgerEntry entry{.job = run.job, .scheduled_for = run.scheduled_for, .trigger = run.trigger, .owner = run.owner,
                    .outcome = run.outcome};
  if (dr::Status s = options_.ledger->Put(entry); !s.ok()) Log("job " + run.job + ": " + s.message());
}

dr::Status Scheduler::TakeOver(JobRun& run, TimePoint now, std::set<std::string>& started) {
  MarkInterrupted(run, now, "");
  DR_RETURN_IF_ERROR(run.id != 0 ? store_.Finish(run) : store_.Record(run));
  Publish(run);
  const Job* job = Find(run.job);
  if (job == nullptr || run.trigger == "manual" || started.count(run.job)) return dr::Status::Ok();
  if (now - run.scheduled_for > options_.starting_deadline) {
    Log("job " + run.job + ": run due at " + FormatUtc(run.scheduled_for) + " was interrupted; beyond the starting deadline, not run again");
    return dr::Status::Ok();
  }
  Log("job " + run.job + ": run due at " + FormatUtc(run.scheduled_for) + " was interrupted; running it again");
  Start(*job, "takeover", run.scheduled_for);
  started.insert(run.job);
  return dr::Status::Ok();
}

dr::Status Scheduler::Recover(TimePoint now) {
  std::set<std::string> started;
  // What the leaders before this one (on any host) started, newest per job.
  // Unreadable: this daemon's own runs alone, said in the log.
  std::map<std::string, LedgerEntry> shared;
  if (options_.ledger != nullptr) {
    std::vector<std::string> problems;
    auto entries = options_.ledger->All(&problems);
    for (const auto& p : problems) Log("shared run ledger: " + p);
    if (!entries.ok()) {
      Log("the shared run ledger could not be read (" + entries.status().message() +
          "); recovering from this daemon's own runs only");
    } else {
      for (auto& e : *entries) shared[e.job] = std::move(e);
    }
  }
  DR_ASSIGN_OR_RETURN(auto unfinished, store_.Unfinished());
  for (auto& run : unfinished) {
    if (OwnerAlive(run.owner)) continue;
    // A later due time, or this one ended, in the ledger: another leader ran it
    // since. The row is closed here, neither published nor run again.
    if (auto it = shared.find(run.job); it != shared.end() &&
        (it->second.scheduled_for > run.scheduled_for ||
         (it->second.scheduled_for == run.scheduled_for && it->second.outcome != "running"))) {
      MarkInterrupted(run, now, "; another leader has run the job since");
      DR_RETURN_IF_ERROR(store_.Finish(run));
      continue;
    }
    DR_RETURN_IF_ERROR(TakeOver(run, now, started));
  }
  // Runs a previous leader left running. (Not asked whether their owner lives:
  // a leader that lost the lead cancels its runs, and only leaders write here.)
  for (const auto& [job, e] : shared) {
    if (e.outcome != "running" || e.owner == options_.owner || started.count(job)) continue;
    JobRun run;
    for (const auto& row : unfinished) {  // the same run in this daemon's store (a shared state directory)
      if (row.job == job && row.scheduled_for == e.scheduled_for && row.outcome == "running") run = row;
    }
    if (run.id == 0) {
      run.job = e.job;
      run.trigger = e.trigger;
      run.scheduled_for = e.scheduled_for;
      run.started = now;
      run.owner = e.owner;
    }
    DR_RETURN_IF_ERROR(TakeOver(run, now, started));
  }
  for (const auto& job : jobs_) {
    if (started.count(job.name())) continue;
    DR_ASSIGN_OR_RETURN(auto last, store_.LastScheduled(job.name()));
    if (auto it = shared.find(job.name());
        it != shared.end() && it->second.trigger != "manual" && (!last || *last < it->second.scheduled_for)) {
      last = it->second.scheduled_for;
    }
    if (!last) continue;  // never ran under a daemon: its first due time is ahead
    auto missed = job.schedule.LatestAtOrBefore(now, options_.starting_deadline, options_.zone);
    if (missed && *missed > *last) {
      Log("job " + job.name() + ": run due at " + FormatUtc(*missed) + " was missed while down; running it now");
      Start(job, "catch_up", *missed);
    } else if (auto next = job.schedule.NextAfter(*last, options_.zone); next && *next <= now) {
      Log("job " + job.name() + ": run due at " + FormatUtc(*next) + " was missed while down, beyond the starting deadline (" +
          FormatDuration(options_.starting_deadline) + "); waiting for the next");
    }
  }
  return dr::Status::Ok();
}

dr::Status Scheduler::Run(std::stop_token stop) {
  Clock& clock = *options_.clock;
  using Steady = std::chrono::steady_clock::duration;
  std::map<std::string, TimePoint> due;
  bool led = false, first = true;
  while (!stop.stop_requested()) {
    TimePoint now = clock.Now();
    bool lead = !options_.leading || options_.leading();
    if (lead && !led) {
      // Leading (at start, or taking over): recover, then schedule from now.
      if (options_.leading) Log("leading: this daemon runs the jobs");
      {
        std::lock_guard lock(mu_);
        abdicated_ = false;
        ++term_;
      }
      if (dr::Status s = Recover(now); !s.ok()) {
        if (first) return s;
        Log("taking over: " + s.message());
      }
      due.clear();
      for (const auto& job : jobs_) {
        if (auto next = job.schedule.NextAfter(now, options_.zone)) due[job.name()] = *next;
      }
    } else if (!lead && led) {
      Log("no longer leading: running jobs are cancelled and left to the next leader");
      Abdicate();
    } else if (!lead && first && options_.leading) {
      Log("following: another daemon leads and runs the jobs");
    }
    led = lead;
    first = false;
    if (!lead) {
      clock.SleepFor(std::chrono::duration_cast<Steady>(options_.leader_poll), stop);
      continue;
    }
    std::optional<TimePoint> earliest;
    for (const auto& job : jobs_) {
      auto it = due.find(job.name());
      if (it == due.end()) continue;
      if (it->second <= now) {
        Start(job, "schedule", it->second);
        // Woken late (a suspended machine, a clock step): one run, then the next due time from now.
        auto next = job.schedule.NextAfter(std::max(it->second, now), options_.zone);
        if (!next) {
          due.erase(it);
          continue;
        }
        it->second = *next;
      }
      if (!earliest || it->second < *earliest) earliest = it->second;
    }
    // Capped, so that a wall clock set forward or back is noticed within the
    // cap, and a lost lead within leader_poll.
    auto cap = options_.leading ? std::min(options_.max_sleep, options_.leader_poll) : options_.max_sleep;
    auto wait = std::chrono::duration_cast<Steady>(earliest ? *earliest - now : std::chrono::system_clock::duration(cap));
    clock.SleepFor(std::min(wait, std::chrono::duration_cast<Steady>(cap)), stop);
  }
  Shutdown();
  return dr::Status::Ok();
}

void Scheduler::Abdicate() {
  std::lock_guard lock(mu_);
  abdicated_ = true;
  for (auto& [name, w] : workers_) {
    if (running_[name]) w->stop.request_stop();
  }
}

void Scheduler::Shutdown() {
  int going;
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    going = RunningLocked();
    if (going == 0) idle_.request_stop();
  }
  if (going > 0) {
    Log("stopping: waiting up to " + FormatDuration(options_.shutdown_timeout) + " for " + std::to_string(going) +
        " running job" + (going == 1 ? "" : "s"));
    options_.clock->SleepFor(options_.shutdown_timeout, idle_.get_token());
  }
  std::map<std::string, std::unique_ptr<Worker>> workers;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, w] : workers_) {
      if (running_[name]) {
        Log("job " + name + ": still running after " + FormatDuration(options_.shutdown_timeout) + "; cancelling it");
        w->stop.request_stop();
      }
    }
    workers.swap(workers_);
  }
  workers.clear();  // joins: each cancelled run ends at its next stop point
}

void Scheduler::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return RunningLocked() == 0; });
}

Result<JobRun> Scheduler::RunNow(const std::string& name, std::stop_token stop) {
  const Job* job = Find(name);
  if (job == nullptr) return NotFound("no job named '" + name + "' in automation.jobs");
  uint64_t term;
  {
    std::lock_guard lock(mu_);
    term = term_;
  }
  return Execute(*job, "manual", options_.clock->Now(), stop, term);
}

Result<std::vector<JobStatus>> Scheduler::Statuses(int next_count) {
  std::vector<JobStatus> out;
  TimePoint now = options_.clock->Now();
  for (const auto& job : jobs_) {
    JobStatus st;
    st.name = job.name();
    st.action = job.config.action;
    st.schedule = job.schedule.text();
    st.expected_interval = job.schedule.expected_interval();
    TimePoint t = now;
    for (int i = 0; i < next_count; ++i) {
      auto next = job.schedule.NextAfter(t, options_.zone);
      if (!next) break;
      st.next_runs.push_back(*next);
      t = *next;
    }
    DR_ASSIGN_OR_RETURN(st.last_run, store_.Last(job.name()));
    DR_ASSIGN_OR_RETURN(st.last_success, store_.LastWithOutcome(job.name(), "succeeded"));
    {
      std::lock_guard lock(mu_);
      st.running = running_[job.name()];
    }
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace dr::automation
