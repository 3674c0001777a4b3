// A runbook: one failure scenario's recovery procedure, as data. The seven
// scenarios of the operational guide ship as YAML files (runbooks/*.yaml,
// compiled into the binary: shipped.h); users override one or add their own
// from runbooks.directory (loader.h). The same definition is executed
// (plan.h turns it into engine steps) and documented (docs.h), so the
// procedure people read is the one the tool runs.
//
// A step's action is a built-in (actions.h: what ecap-dr already does, with
// the permission and audit of its CLI twin) or a shell command, for systems
// ecap-dr does not manage. Text values may hold ${name} (a parameter),
// ${config.section.key} (the configuration) and ${steps.ID.key} (a value an
// earlier step output); they are substituted when the step runs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dr::runbook {

// Where a value came from, for errors: "runbooks/database_failure.yaml:12".
struct SourceLocation {
  std::string file;
  int line = 0;
  std::string ToString() const { return line > 0 ? file + ":" + std::to_string(line) : file; }
};

struct Parameter {
  std::string name;
  std::string description;
  std::string default_value;
  bool required = false;  // no default: a run must give it (--param name=value)
  SourceLocation where;
};

// What a step (or its verification or rollback) does: one built-in action
// with its arguments, or one shell command.
struct ActionCall {
  std::string action;  // a built-in's name; "shell" for a command
  std::map<std::string, std::string> with;  // arguments (shell: "command")
  SourceLocation where;

  bool empty() const { return action.empty(); }
  // "failover(reason=...)" or the shell command: one line for people.
  std::string Describe() const;
};

struct StepDef {
  std::string id;
  std::string title;
  std::string description;
  ActionCall action;
  ActionCall verify;    // optional
  ActionCall rollback;  // optional; the built-in's own undo is used when the action has one
  std::vector<std::string> depends_on;  // default: the step listed before
  int timeout_seconds = 0;  // 0: the action's default
  int retries = 0;
  int retry_delay_seconds = 5;
  bool requires_confirmation = false;  // asked even with --skip-confirmations
  double estimated_minutes = 0;
  SourceLocation where;
};

struct Runbook {
  std::string name;          // database_failure: the file name without .yaml, and the CLI's argument
  std::string title;         // "Database failure"
  std::string failure_type;  // DATABASE_FAILURE: the guide's FailureType
  std::string description;   // what happened, when to use it
  std::vector<std::string> prerequisites;
  double estimated_minutes = 0;  // the guide's estimate for the whole procedure
  std::vector<Parameter> parameters;
  std::vector<StepDef> steps;
  SourceLocation where;
  bool shipped = true;  // false: from the user's directory (also when it overrides a shipped one)

  const StepDef* FindStep(const std::string& id) const;
  // Summary for `runbook list`: name, title, failure_type, estimated_minutes, steps, source.
  nlohmann::json Summary() const;
  // Everything, for `runbook show --json`.
  nlohmann::json ToJson() const;
};

}  // namespace dr::runbook
