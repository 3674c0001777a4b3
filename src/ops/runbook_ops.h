// Runbooks as operations (`ecap-dr runbook ...`, later the API and drills).
//
// A run: authorize runbook.execute (a dry run: runbook.read) -> load the
// definition -> validate it with the built-in actions (runbook_actions.h) ->
// run it on the step engine, each step through the operation behind it ->
// the execution log, saved before and after every step
// (runbook/execution_store.h), so `runbook resume` continues a killed run ->
// audit, and the events runbook_started, runbook_step per step and
// runbook_<status>.
//
// The result document: {"execution_id", "runbook", "title", "failure_type",
// "parameters", "options", "execution_log": {"overall_status", "started_at",
// "finished_at", "duration_seconds", "estimated_minutes", "within_estimate",
// "rto_target_minutes", "within_rto", "steps": [...], "rollback": [...],
// "stopped_at", "error"}}; overall_status is the engine's run status
// (completed, failed, declined, aborted, cancelled, dry_run).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "engine/engine.h"
#include "ops/operation.h"

namespace dr::ops {

struct RunbookRunRequest {
  std::string name;  // database_failure (or DATABASE_FAILURE)
  bool dry_run = false;
  bool auto_execute = false;
  bool skip_confirmations = false;
  std::map<std::string, std::string> params;
  // Asked before each step that must be confirmed (plan.h says which); it
  // gets the step as it would run. None: such a step is declined.
  std::function<engine::Answer(const engine::Step&)> confirm;
  // Told as steps start and finish (a terminal's progress lines).
  std::function<void(const std::string& line)> progress;
};

// runbook.read: the runbooks there are (shipped and the user's).
OpResult RunbookList(OperationContext& ctx);
// runbook.read: one runbook: its steps, what each runs, verifies and rolls back, and the actions.
OpResult RunbookShow(OperationContext& ctx, const std::string& name);
// runbook.read: past executions, newest first.
OpResult RunbookHistory(OperationContext& ctx, int limit);
// runbook.read: the documentation of the runbooks (runbook/docs.h), format
// "markdown" or "html". With out_dir: NAME.md (or .html) per runbook and an
// index (README.md, index.html) written there, data.files naming them;
// without: data.documents maps each runbook to its text.
OpResult RunbookDocs(OperationContext& ctx, const std::string& format, const std::string& out_dir);
// runbook.execute (runbook.read for a dry run).
OpResult RunRunbook(OperationContext& ctx, const RunbookRunRequest& request);
// runbook.execute: continues an execution that did not finish (its process
// was killed, or it stopped at a declined step), from the first step that
// did not complete, with its parameters and options. `request` gives only
// confirm and progress.
OpResult ResumeRunbook(OperationContext& ctx, const std::string& execution_id, const RunbookRunRequest& request);

}  // namespace dr::ops
