// The step engine: runs a plan of named steps in dependency order, each with
// an optional verification, an undo (or the reason it has none), a
// confirmation, a timeout and retries. The first step that fails stops the
// run, and the steps that completed are undone newest first. A dry run walks
// the very same plan and describes each step instead of running it, so a
// plan and its description cannot drift apart. The failover
// (coordinator/failover.h) is its first client, the runbooks its second.
//
// Timeouts are cooperative. A step runs on the caller's thread with its
// deadline in StepContext; a step that waits or polls checks
// StepContext::Expired(), and every blocking call inside a step carries its
// own timeout (a connect timeout, RunShell's timeout). When the step returns,
// the runner measures it on the Clock: one that took longer than its timeout
// is failed, naming the step and the timeout. The runner starts no thread, so
// a step that overran is never left running on an abandoned thread; the price
// is that a step that never returns blocks the run, which is why the blocking
// calls inside steps must be bounded themselves.
//
// Thread-safety: a Runner is used by one thread at a time. Step functions and
// callbacks are called on that thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/clock.h"
#include "dr/result.h"

namespace dr::engine {

using Duration = std::chrono::steady_clock::duration;

// What a step's functions get from the runner.
struct StepContext {
  Clock& clock;
  // Monotonic; time_point::max() for a step without a timeout.
  std::chrono::steady_clock::time_point deadline;
  int attempt = 1;  // 1, then 2.. on retries
  // Waits as the runner does between retries (tests pass one that advances a fake clock).
  const std::function<void(Duration)>& sleep;

  bool Expired() const { return clock.Monotonic() >= deadline; }
  void Sleep(Duration d) const { sleep(d); }
};

// What a step says it did.
struct StepOutput {
  std::string details;                                    // one line for people
  nlohmann::json data = nlohmann::json::object();         // for scripts; optional
};

struct Step {
  std::string id;     // unique in the plan
  std::string title;  // what it is for, in a few words
  // What a dry run shows: what the step would do, concretely ("SELECT
  // pg_promote() on 10.0.0.2"). Empty: the title.
  std::string description;
  std::vector<std::string> depends_on;  // ids of steps that must complete first

  // Does the work. A step that fails must leave nothing half-changed, or say
  // in its error what it left: only completed steps are undone.
  std::function<Status(StepContext&, StepOutput&)> run;
  // Optional: checks that the work took effect. A failed verification fails
  // the step with the verification's own error, and, since the run did
  // change something, the step is undone with the completed ones.
  std::function<Status(StepContext&, StepOutput&)> verify;
  // Optional: reverses the step; called at most once, newest step first.
  std::function<Status()> undo;
  // Set for a step that changes something and cannot be reversed: why not
  // ("a promoted standby cannot become a standby again"). A step with neither
  // undo nor cannot_undo changes nothing and has nothing to undo.
  std::string cannot_undo;

  // Changes nothing (a precondition check): it also runs in a dry run, so a
  // plan that would be refused says so without changing anything; unless it
  // depends on a step the dry run only described (it would check a change
  // that was not made).
  bool read_only = false;
  bool requires_confirmation = false;
  Duration timeout{};            // per attempt; zero: none
  int retries = 0;               // further attempts after a failed one
  Duration retry_delay{};
};

enum class StepState {
  kOk,
  kFailed,
  kPlanned,    // dry run: described, not run
  kDeclined,   // the confirmation said no
  kCancelled,  // the stop predicate said stop before the step started
  kSkipped,    // the confirmation said skip: not run, the run went on
  kResumed,    // done by an earlier run of the plan (RunOptions::done): not run again
};
// "ok", "failed", "planned", "declined", "cancelled", "skipped", "resumed"
const char* StepStateName(StepState state);

struct StepReport {
  std::string id;
  StepState state = StepState::kPlanned;
  std::string details;  // the output's details when ok, the error when failed, the description when planned
  nlohmann::json data = nlohmann::json::object();
  Status status;          // the step's error when failed
  double duration_seconds = 0;  // all attempts, with the delays between them
  int attempts = 0;
};

enum class UndoState {
  kRolledBack,
  kUndoFailed,
  kCannotUndo,  // the step's cannot_undo says why
};
const char* UndoStateName(UndoState state);  // "rolled_back", "undo_failed", "cannot_undo"

struct UndoReport {
  std::string id;
  UndoState state = UndoState::kRolledBack;
  std::string details;  // the undo's error, or the cannot_undo reason
  double duration_seconds = 0;
};

enum class RunStatus { kCompleted, kFailed, kDeclined, kCancelled, kDryRun, kAborted };
// "completed", "failed", "declined", "cancelled", "dry_run", "aborted"
const char* RunStatusName(RunStatus status);

// What a person answers when a step asks for confirmation.
enum class Answer {
  kYes,    // run it
  kNo,     // do not: the run stops here as declined, what completed stays done
  kSkip,   // do not run it, go on with the next step (recorded as skipped)
  kAbort,  // stop here and roll back the completed steps, as after a failure
};

struct RunResult {
  RunStatus status = RunStatus::kCompleted;
  std::string stopped_at;  // the step that failed, was declined or was not started; "" otherwise
  Status error;            // why the run stopped; ok when it completed or the dry run got through
  std::vector<StepReport> steps;     // in run order: every step started, or in a dry run described
  std::vector<UndoReport> rollback;  // after a failure: the completed steps that change something, newest first
};

// Called as the run goes, so a caller can record events while it happens.
struct Observer {
  std::function<void(const Step&)> on_start;
  std::function<void(const Step&, const StepReport&)> on_finish;
  std::function<void(const Step&, const UndoReport&)> on_undo;
};

struct RunOptions {
  bool dry_run = false;
  // Asked before each step that requires confirmation (see Answer). Without
  // it, such a step is declined (never run unasked). Not asked in a dry run.
  std::function<Answer(const Step&)> confirm;
  // Checked before each step and before each retry; true stops the run as
  // cancelled. What completed stays done: only a failure rolls back, since a
  // person who stops a run decides what happens next.
  std::function<bool()> stop;
  // Between retries and for StepContext::Sleep; default std::this_thread::sleep_for.
  std::function<void(Duration)> sleep;
  Observer observer;
  // Resuming a run that was killed: the steps an earlier run completed, with
  // what they reported. They are not run again (StepState::kResumed, their
  // data kept) and are undone with the others when a later step fails.
  std::map<std::string, StepReport> done;
};

// The order a plan runs in: every step after the steps it depends on, and
// among steps whose dependencies are met, the one listed first. So a plan
// listed in a valid order runs as listed. kInvalidArgument naming the step
// for an empty or duplicate id, an unknown dependency, a step without a run
// function, a step with both undo and cannot_undo, or a cycle (named in full:
// "a -> b -> a").
Result<std::vector<size_t>> OrderSteps(const std::vector<Step>& plan);

class Runner {
 public:
  // `clock` must outlive the runner.
  explicit Runner(Clock& clock, RunOptions options = {});

  // Runs (or with dry_run, describes) the plan. A bad plan (see OrderSteps)
  // is the only error: whatever the steps do is in the RunResult.
  Result<RunResult> Run(const std::vector<Step>& plan);

 private:
  StepReport RunStep(const Step& step, bool* run_succeeded);
  void Undo(const std::vector<const Step*>& completed, RunResult& result);

  Clock& clock_;
  RunOptions options_;
};

}  // namespace dr::engine
