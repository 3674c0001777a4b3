// From a runbook definition to the engine's plan (engine/engine.h), and the
// checks a dry run makes before anything runs.
//
// Substitution, when a step runs (so a step sees what earlier steps output):
//   ${name}                a parameter: --param name=value, else its default
//   ${config.section.key}  the effective configuration (secrets redacted)
//   ${steps.ID.key}        `key` of what step ID output (ID must be one the
//                          step depends on, directly or not)
// A parameter's default may itself name ${config...}.
//
// Confirmation: without auto_execute every step asks; with auto_execute or
// skip_confirmations only the steps that require it (requires_confirmation,
// or an action that always asks, such as manual); with both, none.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/result.h"
#include "engine/engine.h"
#include "runbook/actions.h"
#include "runbook/runbook.h"

namespace dr::runbook {

struct PlanOptions {
  bool auto_execute = false;
  bool skip_confirmations = false;
  std::map<std::string, std::string> params;  // --param name=value
  nlohmann::json config = nlohmann::json::object();  // config::Config::ToJson() (redacted)
  // Outputs of steps an earlier run completed (resume): ${steps.ID.key} reads them.
  std::map<std::string, nlohmann::json> outputs;
};

// Every problem that would stop the run, each "file:line: message", in file
// order: unknown actions, missing or unknown arguments, parameters that are
// required and not given or given and not declared, ${...} that name nothing
// (or a step that is not a dependency), unknown or cyclic depends_on.
std::vector<std::string> Validate(const Runbook& runbook, const ActionRegistry& actions, const PlanOptions& options);

// The parameters' values: given, else the default (with ${config...} substituted).
Result<std::map<std::string, std::string>> ResolveParameters(const Runbook& runbook, const PlanOptions& options);

// Substitutes ${...} in `text`; kInvalidArgument naming the reference that
// has no value. `outputs` may lack a step in a dry run: then its reference
// stays as written.
Result<std::string> Substitute(const std::string& text, const std::map<std::string, std::string>& params,
                               const nlohmann::json& config, const std::map<std::string, nlohmann::json>* outputs,
                               bool keep_unknown_steps = false);

struct Plan {
  std::map<std::string, std::string> params;  // ResolveParameters: what the steps substitute
  std::vector<engine::Step> steps;  // in the runbook's order
  // What each step output (data), filled as steps run; shared with the steps' functions.
  std::shared_ptr<std::map<std::string, nlohmann::json>> outputs;
};

// Validate first: kInvalidArgument listing the problems when there are any.
Result<Plan> BuildPlan(const Runbook& runbook, const ActionRegistry& actions, const PlanOptions& options);

}  // namespace dr::runbook
