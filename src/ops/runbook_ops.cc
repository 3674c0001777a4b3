#include "ops/runbook_ops.h"

#include <random>

#include "base/fs.h"
#include "base/status_json.h"
#include "base/time_util.h"
#include "events/event_store.h"
#include "ops/runbook_actions.h"
#include "runbook/docs.h"
#include "runbook/execution_store.h"
#include "runbook/loader.h"
#include "runbook/plan.h"

namespace dr::ops {
namespace {

using nlohmann::json;

runbook::ActionRegistry Registry(OperationContext& ctx) {
  runbook::ActionRegistry registry;
  runbook::AddBasicActions(registry);
  AddBuiltinActions(registry, ctx);
  return registry;
}

std::string NewExecutionId(Clock& clock) {
  static thread_local std::mt19937 rng(std::random_device{}());
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(rng() & 0xffff));
  return "rb-" + CompactUtc(clock.Now()) + "-" + suffix;
}

// The execution store in the event history's file; null (with a warning) when
// no state directory is configured: the run goes on, but cannot be resumed.
std::unique_ptr<runbook::ExecutionStore> OpenStore(OperationContext& ctx, std::vector<std::string>& warnings) {
  std::string path = events::HistoryPath(ctx.config);
  if (path.empty()) {
    warnings.push_back("no state directory (audit.log_file): this execution is not recorded and cannot be resumed");
    return nullptr;
  }
  auto store = runbook::ExecutionStore::Open(path);
  if (!store.ok()) {
    warnings.push_back(store.status().message() + ": this execution cannot be resumed");
    return nullptr;
  }
  return std::move(*store);
}

Status RunStatusToStatus(const engine::RunResult& r) {
  switch (r.status) {
    case engine::RunStatus::kCompleted:
    case engine::RunStatus::kDryRun:
      return Status::Ok();
    case engine::RunStatus::kFailed:
      return r.error.ok() ? Failed("the runbook failed at step '" + r.stopped_at + "'") : r.error;
    default:
      return Status(Code::kCancelled, r.error.ok() ? "the runbook stopped at step '" + r.stopped_at + "'"
                                                   : r.error.message());
  }
}

// Runs (or resumes) one execution; `exec` holds its id, request and, when
// resuming, the log so far.
class Execution {
 public:
  Execution(OperationContext& ctx, Operation& op, runbook::Runbook rb, const RunbookRunRequest& request,
            runbook::Execution exec)
      : ctx_(ctx), op_(op), rb_(std::move(rb)), request_(request), exec_(std::move(exec)) {}

  OpResult Run() {
    OpResult out;
    store_ = OpenStore(ctx_, out.warnings);
    if (store_ != nullptr && !request_.dry_run) {
      auto lock = store_->Claim(exec_.id);
      if (!lock.ok()) return op_.Finish(ErrorResult(lock.status()));
      lock_ = std::move(*lock);
      if (!exec_.log.empty()) {
        // A resume: the run it continues may have ended between the checks
        // and the lock. Continue from what is recorded now, or not at all.
        auto fresh = store_->Find(exec_.id);
        if (!fresh.ok()) return op_.Finish(ErrorResult(fresh.status()));
        if (fresh->status != exec_.status) {
          return op_.Finish(ErrorResult(Status(Code::kLocked, "execution " + exec_.id + " ended " + fresh->status +
                                                                   " while this resume started; look at it with "
                                                                   "`runbook history` before resuming again")));
        }
        exec_ = std::move(*fresh);
      }
    }
    runbook::ActionRegistry registry = Registry(ctx_);
    runbook::PlanOptions options{.auto_execute = request_.auto_execute,
                                 .skip_confirmations = request_.skip_confirmations,
                                 .params = request_.params,
                                 .config = ctx_.config.ToJson(true)};
    // Steps an earlier run completed: not run again, their outputs kept.
    std::map<std::string, engine::StepReport> done;
    json kept = json::array();
    if (!exec_.log.is_object()) exec_.log = json::object();
    if (!exec_.log.value("execution_log", json()).is_object()) exec_.log["execution_log"] = json::object();
    for (const auto& s : exec_.log["execution_log"].value("steps", json::array())) {
      if (s.value("state", "") != "ok" && s.value("state", "") != "resumed") continue;
      std::string id = s.value("id", "");
      done[id] = engine::StepReport{.id = id, .state = engine::StepState::kOk, .details = s.value("details", ""),
                                    .data = s.value("output", json::object())};
      options.outputs[id] = s.value("output", json::object());
      kept.push_back(s);
    }
    auto plan = runbook::BuildPlan(rb_, registry, options);
    if (!plan.ok()) return op_.Finish(ErrorResult(plan.status().WithContext("runbook " + rb_.name)));

    json& log = exec_.log;
    log["execution_id"] = exec_.id;
    log["runbook"] = rb_.name;
    log["title"] = rb_.title;
    log["failure_type"] = rb_.failure_type;
    log["parameters"] = plan->params;
    log["options"] = {{"dry_run", request_.dry_run},
                      {"auto_execute", request_.auto_execute},
                      {"skip_confirmations", request_.skip_confirmations}};
    if (request_.auto_execute && request_.skip_confirmations && !request_.dry_run) {
      log["options"]["confirmations"] = "none asked: --auto-execute --skip-confirmations";
    }
    json& elog = log["execution_log"];
    if (!elog.contains("started_at")) elog["started_at"] = FormatUtc(ctx_.clock->Now(), true);
    if (!done.empty()) elog["resumed_at"] = FormatUtc(ctx_.clock->Now(), true);
    elog["overall_status"] = "running";
    elog["estimated_minutes"] = rb_.estimated_minutes;
    elog["steps"] = kept;
    elog["rollback"] = json::array();
    exec_.status = "running";
    Save(out.warnings);
    op_.Emit(done.empty() ? "runbook_started" : "runbook_resumed",
             {{"execution_id", exec_.id}, {"runbook", rb_.name}, {"dry_run", request_.dry_run}}, &out.warnings);

    engine::RunOptions run{.dry_run = request_.dry_run};
    run.done = done;
    run.confirm = [this](const engine::Step& step) {
      engine::Answer answer = request_.confirm ? request_.confirm(step) : engine::Answer::kNo;
      confirmed_by_[step.id] = answer == engine::Answer::kYes ? ctx_.identity.user : "";
      return answer;
    };
    run.stop = [this] { return ctx_.stop.stop_requested(); };
    run.observer.on_start = [this, &out](const engine::Step& step) {
      started_[step.id] = FormatUtc(ctx_.clock->Now(), true);
      Progress("-> " + step.id + ": " + step.title);
      SetStep(step, {{"id", step.id}, {"title", step.title}, {"state", "running"}, {"started_at", started_[step.id]}});
      Save(out.warnings);
    };
    run.observer.on_finish = [this, &out](const engine::Step& step, const engine::StepReport& report) {
      json s{{"id", step.id},
             {"title", step.title},
             {"state", engine::StepStateName(report.state)},
             {"started_at", started_.count(step.id) ? json(started_[step.id]) : json(nullptr)},
             {"finished_at", FormatUtc(ctx_.clock->Now(), true)},
             {"duration_seconds", report.duration_seconds},
             {"attempts", report.attempts},
             {"details", report.details},
             {"output", report.data}};
      if (!report.status.ok()) s["error"] = ErrorJson(report.status);
      if (request_.auto_execute && request_.skip_confirmations) {
        s["confirmed_by"] = "auto";
      } else if (auto it = confirmed_by_.find(step.id); it != confirmed_by_.end() && !it->second.empty()) {
        s["confirmed_by"] = it->second;
      }
      SetStep(step, s);
      Progress("   " + step.id + ": " + engine::StepStateName(report.state) +
               (report.details.empty() ? "" : " (" + report.details + ")"));
      op_.Emit("runbook_step", {{"execution_id", exec_.id}, {"runbook", rb_.name}, {"step", step.id},
                                {"state", engine::StepStateName(report.state)}, {"duration_seconds", report.duration_seconds}},
               &out.warnings);
      Save(out.warnings);
    };
    run.observer.on_undo = [this, &out](const engine::Step& step, const engine::UndoReport& undo) {
      exec_.log["execution_log"]["rollback"].push_back({{"id", step.id},
                                                        {"state", engine::UndoStateName(undo.state)},
                                                        {"details", undo.details},
                                                        {"duration_seconds", undo.duration_seconds}});
      Progress("   undo " + step.id + ": " + engine::UndoStateName(undo.state));
      Save(out.warnings);
    };
    engine::Runner runner(*ctx_.clock, run);
    auto result = runner.Run(plan->steps);
    if (!result.ok()) return op_.Finish(ErrorResult(result.status()));

    std::string status = engine::RunStatusName(result->status);
    auto started = ParseUtc(elog["started_at"].get<std::string>());
    double duration = started ? std::chrono::duration<double>(ctx_.clock->Now() - *started).count() : 0;
    elog["overall_status"] = status;
    elog["finished_at"] = FormatUtc(ctx_.clock->Now(), true);
    elog["duration_seconds"] = duration;
    elog["within_estimate"] = duration <= rb_.estimated_minutes * 60;
    elog["rto_target_minutes"] = ctx_.config.coordinator.rto_target_minutes;
    elog["within_rto"] = duration <= ctx_.config.coordinator.rto_target_minutes * 60.0;
    if (!result->stopped_at.empty()) elog["stopped_at"] = result->stopped_at;
    Status outcome = RunStatusToStatus(*result);
    if (!outcome.ok()) elog["error"] = ErrorJson(outcome);
    exec_.status = status;
    Save(out.warnings);

    out.status = outcome;
    out.data = log;
    return op_.Finish(std::move(out), {{"execution_id", exec_.id}, {"overall_status", status}}, "runbook_" + status,
                      {{"execution_id", exec_.id}, {"runbook", rb_.name}, {"overall_status", status},
                       {"duration_seconds", duration}});
  }

 private:
  // Replaces the step's entry in the log, or appends it.
  void SetStep(const engine::Step& step, json entry) {
    json& steps = exec_.log["execution_log"]["steps"];
    for (auto& s : steps) {
      if (s.value("id", "") == step.id) {
        s = std::move(entry);
        return;
      }
    }
    steps.push_back(std::move(entry));
  }

  void Save(std::vector<std::string>& warnings) {
    if (!store_) return;
    if (Status s = store_->Save(exec_); !s.ok() && !save_warned_) {
      warnings.push_back(s.message() + ": this execution may not be resumable");
      save_warned_ = true;
    }
  }

  void Progress(const std::string& line) {
    if (request_.progress) request_.progress(line);
  }

  OperationContext& ctx_;
  Operation& op_;
  runbook::Runbook rb_;
  const RunbookRunRequest& request_;
  runbook::Execution exec_;
  std::unique_ptr<runbook::ExecutionStore> store_;
  std::unique_ptr<runbook::ExecutionLock> lock_;  // held while this process runs the execution
  bool save_warned_ = false;
  std::map<std::string, std::string> started_;
  std::map<std::string, std::string> confirmed_by_;
};

}  // namespace

OpResult RunbookList(OperationContext& ctx) {
  Operation op(ctx, "runbook.read", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto all = runbook::LoadRunbooks(ctx.config.runbooks.directory);
  if (!all.ok()) return op.Finish(ErrorResult(all.status()));
  json list = json::array();
  for (const auto& rb : *all) list.push_back(rb.Summary());
  return op.Finish(OpResult{.data = {{"runbooks", list}}});
}

OpResult RunbookShow(OperationContext& ctx, const std::string& name) {
  Operation op(ctx, "runbook.read", name);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto rb = runbook::FindRunbook(ctx.config.runbooks.directory, name);
  if (!rb.ok()) return op.Finish(ErrorResult(rb.status()));
  json out = rb->ToJson();
  runbook::ActionRegistry registry = Registry(ctx);
  for (size_t i = 0; i < rb->steps.size(); ++i) {
    const runbook::ActionSpec* spec = registry.Find(rb->steps[i].action.action);
    if (spec == nullptr) continue;
    out["steps"][i]["action"]["summary"] = spec->summary;
    out["steps"][i]["action"]["read_only"] = spec->read_only;
    out["steps"][i]["action"]["cannot_undo"] = spec->cannot_undo;
  }
  // Problems of the definition, not of a run: required parameters stand in as <name>.
  runbook::PlanOptions options{.config = ctx.config.ToJson(true)};
  for (const auto& p : rb->parameters) {
    if (p.required) options.params[p.name] = "<" + p.name + ">";
  }
  std::vector<std::string> problems = runbook::Validate(*rb, registry, options);
  out["problems"] = problems;
  return op.Finish(OpResult{.data = out});
}

OpResult RunbookHistory(OperationContext& ctx, int limit) {
  Operation op(ctx, "runbook.read", "history");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  std::string path = events::HistoryPath(ctx.config);
  if (path.empty()) return op.Finish(OpResult{.data = {{"executions", json::array()}}});
  auto store = runbook::ExecutionStore::Open(path);
  if (!store.ok()) return op.Finish(ErrorResult(store.status()));
  auto history = (*store)->History(limit);
  if (!history.ok()) return op.Finish(ErrorResult(history.status()));
  json list = json::array();
  for (const auto& e : *history) {
    json row{{"execution_id", e.id}, {"runbook", e.runbook}, {"status", e.status}, {"user", e.user}};
    const json& elog = e.log.value("execution_log", json::object());
    row["started_at"] = elog.value("started_at", "");
    row["finished_at"] = elog.value("finished_at", "");
    row["duration_seconds"] = elog.value("duration_seconds", 0.0);
    row["dry_run"] = e.request.value("dry_run", false);
    json steps = json::array();
    for (const auto& s : elog.value("steps", json::array())) {
      steps.push_back({{"id", s.value("id", "")}, {"state", s.value("state", "")},
                       {"duration_seconds", s.value("duration_seconds", 0.0)}});
    }
    row["steps"] = steps;
    list.push_back(row);
  }
  return op.Finish(OpResult{.data = {{"executions", list}}});
}

OpResult RunbookDocs(OperationContext& ctx, const std::string& format, const std::string& out_dir) {
  Operation op(ctx, "runbook.read", "docs");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  if (format != "markdown" && format != "html") {
    return op.Finish(ErrorResult(InvalidArgument("--format " + format + ": expected markdown or html")));
  }
  auto all = runbook::LoadRunbooks(ctx.config.runbooks.directory);
  if (!all.ok()) return op.Finish(ErrorResult(all.status()));
  runbook::ActionRegistry registry = Registry(ctx);
  bool html = format == "html";
  std::string ext = html ? ".html" : ".md";
  OpResult out;
  std::map<std::string, std::string> documents;  // file name -> text
  for (const auto& rb : *all) {
    std::string md = runbook::RunbookMarkdown(rb, registry);
    if (!html) {
      documents[rb.name + ext] = md;
      continue;
    }
    auto svg = runbook::RunbookSvg(rb);
    if (!svg.ok() && out.warnings.empty()) out.warnings.push_back(svg.status().message());
    auto page = runbook::HtmlPage(rb.title, md, svg.ok() ? *svg : "");
    if (!page.ok()) return op.Finish(ErrorResult(page.status()));
    documents[rb.name + ext] = *page;
  }
  std::string index = runbook::IndexMarkdown(*all);
  if (html) {
    for (const auto& rb : *all) {
      std::string link = "(" + rb.name + ".md)";
      if (size_t at = index.find(link); at != std::string::npos) index.replace(at, link.size(), "(" + rb.name + ".html)");
    }
    auto page = runbook::HtmlPage("Runbooks", index, "");
    if (!page.ok()) return op.Finish(ErrorResult(page.status()));
    documents["index.html"] = *page;
  } else {
    documents["README.md"] = index;
  }
  if (out_dir.empty()) {
    out.data = {{"format", format}, {"documents", documents}};
    return op.Finish(std::move(out));
  }
  if (Status s = MakeDirs(out_dir); !s.ok()) return op.Finish(ErrorResult(s));
  json files = json::array();
  for (const auto& [name, text] : documents) {
    std::string path = out_dir + "/" + name;
    if (Status s = WriteFileAtomic(path, text, {}); !s.ok()) return op.Finish(ErrorResult(s));
    files.push_back(path);
  }
  out.data = {{"format", format}, {"files", files}};
  return op.Finish(std::move(out));
}

OpResult RunRunbook(OperationContext& ctx, const RunbookRunRequest& request) {
  Operation op(ctx, request.dry_run ? "runbook.read" : "runbook.execute", request.name);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto rb = runbook::FindRunbook(ctx.config.runbooks.directory, request.name);
  if (!rb.ok()) return op.Finish(ErrorResult(rb.status()));
  runbook::Execution exec{.id = NewExecutionId(*ctx.clock), .runbook = rb->name, .user = ctx.identity.user};
  exec.request = {{"dry_run", request.dry_run},
                  {"auto_execute", request.auto_execute},
                  {"skip_confirmations", request.skip_confirmations},
                  {"params", request.params}};
  return Execution(ctx, op, std::move(*rb), request, std::move(exec)).Run();
}

OpResult ResumeRunbook(OperationContext& ctx, const std::string& execution_id, const RunbookRunRequest& request) {
  Operation op(ctx, "runbook.execute", execution_id);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  std::string path = events::HistoryPath(ctx.config);
  if (path.empty()) return op.Finish(ErrorResult(NotFound("no state directory (audit.log_file): nothing to resume")));
  auto store = runbook::ExecutionStore::Open(path);
  if (!store.ok()) return op.Finish(ErrorResult(store.status()));
  auto exec = (*store)->Find(execution_id);
  if (!exec.ok()) return op.Finish(ErrorResult(exec.status()));
  if (exec->status == "completed" || exec->status == "dry_run") {
    return op.Finish(ErrorResult(InvalidArgument("execution " + execution_id + " ended " + exec->status +
                                                 ": there is nothing to resume")));
  }
  if (exec->request.value("dry_run", false)) {
    return op.Finish(ErrorResult(InvalidArgument("execution " + execution_id +
                                                 " is a dry run: run the runbook again, a dry run is not resumed")));
  }
  // A failure or an abort rolled its completed steps back: continuing after
  // them would build on changes that were undone.
  if (exec->status == "failed" || exec->status == "aborted") {
    return op.Finish(ErrorResult(InvalidArgument("execution " + execution_id + " ended " + exec->status +
                                                 " and its completed steps were rolled back: run the runbook again")));
  }
  auto rb = runbook::FindRunbook(ctx.config.runbooks.directory, exec->runbook);
  if (!rb.ok()) return op.Finish(ErrorResult(rb.status()));
  RunbookRunRequest resumed = request;
  resumed.name = exec->runbook;
  resumed.dry_run = false;
  resumed.auto_execute = exec->request.value("auto_execute", false);
  resumed.skip_confirmations = exec->request.value("skip_confirmations", false);
  resumed.params = exec->request.value("params", std::map<std::string, std::string>{});
  return Execution(ctx, op, std::move(*rb), resumed, std::move(*exec)).Run();
}

}  // namespace dr::ops
