#include "engine/engine.h"

#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace dr::engine {

namespace {

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

std::string SecondsText(Duration d) {
  std::ostringstream out;
  out << Seconds(d) << " s";
  return out.str();
}

// Depth-first search from `at` along depends_on; returns the first cycle met
// as "a -> b -> a", or "" when none is reachable.
std::string FindCycle(const std::vector<Step>& plan, const std::map<std::string, size_t>& index, size_t at,
                      std::vector<int>& color, std::vector<size_t>& path) {
  color[at] = 1;  // on the current path
  path.push_back(at);
  for (const auto& dep : plan[at].depends_on) {
    size_t next = index.at(dep);
    if (color[next] == 1) {
      std::string cycle;
      bool in = false;
      for (size_t p : path) {
        in = in || p == next;
        if (in) cycle += plan[p].id + " -> ";
      }
      return cycle + plan[next].id;
    }
    if (color[next] == 0) {
      std::string cycle = FindCycle(plan, index, next, color, path);
      if (!cycle.empty()) return cycle;
    }
  }
  color[at] = 2;  // done: no cycle through it
  path.pop_back();
  return "";
}

}  // namespace

const char* StepStateName(StepState state) {
  switch (state) {
    case StepState::kOk: return "ok";
    case StepState::kFailed: return "failed";
    case StepState::kPlanned: return "planned";
    case StepState::kDeclined: return "declined";
    case StepState::kCancelled: return "cancelled";
    case StepState::kSkipped: return "skipped";
    case StepState::kResumed: return "resumed";
  }
  return "unknown";
}

const char* UndoStateName(UndoState state) {
  switch (state) {
    case UndoState::kRolledBack: return "rolled_back";
    case UndoState::kUndoFailed: return "undo_failed";
    case UndoState::kCannotUndo: return "cannot_undo";
  }
  return "unknown";
}

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kCompleted: return "completed";
    case RunStatus::kFailed: return "failed";
    case RunStatus::kDeclined: return "declined";
    case RunStatus::kCancelled: return "cancelled";
    case RunStatus::kDryRun: return "dry_run";
    case RunStatus::kAborted: return "aborted";
  }
  return "unknown";
}

Result<std::vector<size_t>> OrderSteps(const std::vector<Step>& plan) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < plan.size(); ++i) {
    const Step& s = plan[i];
    if (s.id.empty()) return InvalidArgument("step " + std::to_string(i + 1) + " of the plan has no id");
    if (!index.emplace(s.id, i).second) return InvalidArgument("the step id '" + s.id + "' is used twice");
    if (!s.run) return InvalidArgument("step '" + s.id + "' has nothing to run");
    if (s.undo && !s.cannot_undo.empty()) {
      return InvalidArgument("step '" + s.id + "' has an undo and says it cannot be undone");
    }
  }
  for (const Step& s : plan) {
    for (const auto& dep : s.depends_on) {
      if (!index.count(dep)) return InvalidArgument("step '" + s.id + "' depends on an unknown step '" + dep + "'");
    }
  }
  std::vector<int> color(plan.size(), 0);
  std::vector<size_t> path;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (color[i] != 0) continue;
    std::string cycle = FindCycle(plan, index, i, color, path);
    if (!cycle.empty()) return InvalidArgument("the steps depend on each other in a cycle: " + cycle);
  }
  // Without a cycle, some step is always ready; taking the first listed one
  // keeps a plan written in order running as written.
  std::vector<size_t> order;
  std::vector<bool> done(plan.size(), false);
  while (order.size() < plan.size()) {
    for (size_t i = 0; i < plan.size(); ++i) {
      if (done[i]) continue;
      bool ready = true;
      for (const auto& dep : plan[i].depends_on) ready = ready && done[index.at(dep)];
      if (ready) {
        done[i] = true;
        order.push_back(i);
        break;
      }
    }
  }
  return order;
}

Runner::Runner(Clock& clock, RunOptions options) : clock_(clock), options_(std::move(options)) {
  if (!options_.sleep) options_.sleep = [](Duration d) { std::this_thread::sleep_for(d); };
}

StepReport Runner::RunStep(const Step& step, bool* run_succeeded) {
  StepReport report{.id = step.id};
  auto started = clock_.Monotonic();
  Status status = Status::Ok();
  StepOutput output;
  for (int attempt = 1; attempt <= 1 + std::max(0, step.retries); ++attempt) {
    if (attempt > 1) {
      if (options_.stop && options_.stop()) {
        status = Status(status.code(), status.message() + "; not retried: the run was stopped");
        break;
      }
      options_.sleep(step.retry_delay);
    }
    auto attempt_start = clock_.Monotonic();
    auto deadline = step.timeout > Duration::zero() ? attempt_start + step.timeout
                                                     : std::chrono::steady_clock::time_point::max();
    StepContext ctx{.clock = clock_, .deadline = deadline, .attempt = attempt, .sleep = options_.sleep};
    output = StepOutput{};
    report.attempts = attempt;
    status = step.run(ctx, output);
    if (status.ok()) {
      *run_succeeded = true;
      if (step.verify) status = step.verify(ctx, output);
    }
    // Measured after the step returns (see the header on cooperative timeouts).
    if (step.timeout > Duration::zero() && clock_.Monotonic() - attempt_start > step.timeout) {
      std::string why = "step '" + step.id + "' timed out after " + SecondsText(step.timeout);
      status = status.ok() ? Failed(why) : Status(status.code(), why + ": " + status.message());
    }
    if (status.ok()) break;
  }
  report.duration_seconds = Seconds(clock_.Monotonic() - started);
  report.status = status;
  if (status.ok()) {
    report.state = StepState::kOk;
    report.details = output.details;
    report.data = output.data;
  } else {
    report.state = StepState::kFailed;
    report.details = status.message();
    report.data = output.data;
  }
  return report;
}

void Runner::Undo(const std::vector<const Step*>& completed, RunResult& result) {
  for (auto it = completed.rbegin(); it != completed.rend(); ++it) {
    const Step& step = **it;
    UndoReport undo{.id = step.id};
    if (step.undo) {
      auto started = clock_.Monotonic();
      Status s = step.undo();
      undo.duration_seconds = Seconds(clock_.Monotonic() - started);
      undo.state = s.ok() ? UndoState::kRolledBack : UndoState::kUndoFailed;
      undo.details = s.ok() ? "" : s.message();
    } else if (!step.cannot_undo.empty()) {
      undo.state = UndoState::kCannotUndo;
      undo.details = step.cannot_undo;
    } else {
      continue;  // it changed nothing
    }
    result.rollback.push_back(undo);
    if (options_.observer.on_undo) options_.observer.on_undo(step, undo);
  }
}

Result<RunResult> Runner::Run(const std::vector<Step>& plan) {
  DR_ASSIGN_OR_RETURN(std::vector<size_t> order, OrderSteps(plan));
  const Observer& observer = options_.observer;
  RunResult result;
  result.status = options_.dry_run ? RunStatus::kDryRun : RunStatus::kCompleted;
  std::vector<const Step*> completed;
  std::set<std::string> planned;  // dry run: the steps described, not run
  auto stop_at = [&](const Step& step, RunStatus status, StepState state, Status error) {
    result.status = status;
    result.stopped_at = step.id;
    result.error = error;
    result.steps.push_back({.id = step.id, .state = state, .details = error.message(), .status = error});
  };
  for (size_t idx : order) {
    const Step& step = plan[idx];
    if (options_.stop && options_.stop()) {
      stop_at(step, RunStatus::kCancelled, StepState::kCancelled,
              Status(Code::kCancelled, "stopped before step '" + step.id + "'"));
      break;
    }
    // In a dry run a check runs only when what it checks ran too: one that
    // comes after a planned step would check a change that was not made.
    bool after_planned = false;
    for (const auto& dep : step.depends_on) after_planned = after_planned || planned.count(dep);
    if (options_.dry_run && (!step.read_only || after_planned)) {
      planned.insert(step.id);
      StepReport described{.id = step.id, .state = StepState::kPlanned,
                         .details = step.description.empty() ? step.title : step.description};
      if (observer.on_start) observer.on_start(step);
      result.steps.push_back(described);
      if (observer.on_finish) observer.on_finish(step, described);
      continue;
    }
    if (auto earlier = options_.done.find(step.id); !options_.dry_run && earlier != options_.done.end()) {
      StepReport resumed = earlier->second;
      resumed.id = step.id;
      resumed.state = StepState::kResumed;
      result.steps.push_back(resumed);
      completed.push_back(&step);
      continue;
    }
    if (!options_.dry_run && step.requires_confirmation) {
      Answer answer = options_.confirm ? options_.confirm(step) : Answer::kNo;
      if (answer == Answer::kNo) {
        stop_at(step, RunStatus::kDeclined, StepState::kDeclined,
                Status(Code::kCancelled, "step '" + step.id + "' was not confirmed"));
        break;
      }
      if (answer == Answer::kSkip) {
        StepReport skipped{.id = step.id, .state = StepState::kSkipped, .details = "skipped when asked"};
        result.steps.push_back(skipped);
        if (observer.on_finish) observer.on_finish(step, skipped);
        continue;
      }
      if (answer == Answer::kAbort) {
        stop_at(step, RunStatus::kAborted, StepState::kDeclined,
                Status(Code::kCancelled, "the run was aborted at step '" + step.id + "'"));
        Undo(completed, result);
        break;
      }
    }
    if (observer.on_start) observer.on_start(step);
    bool run_succeeded = false;
    StepReport report = RunStep(step, &run_succeeded);
    result.steps.push_back(report);
    if (observer.on_finish) observer.on_finish(step, report);
    // A step whose run succeeded changed something even when its verification failed.
    if (run_succeeded) completed.push_back(&step);
    if (report.state == StepState::kFailed) {
      result.status = RunStatus::kFailed;
      result.stopped_at = step.id;
      result.error = report.status;
      Undo(completed, result);
      break;
    }
  }
  return result;
}

}  // namespace dr::engine
