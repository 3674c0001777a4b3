// The actions a runbook step can name. Each built-in calls what ecap-dr
// already does, through the same operation as its CLI twin (ops/
// runbook_actions.h registers them, with that twin's permission and audit
// record), so a step is as safe as the command behind it. This layer only
// knows their contract, and provides the two that need nothing else:
//
//   shell    {command}       a command through /bin/sh, bounded by the step's
//                            timeout (default 10 min); fails on a non-zero exit
//   manual   {instructions}  something a person does; shown, then confirmed
//                            (a manual step always asks, unless the run is
//                            --auto-execute --skip-confirmations)
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "dr/status.h"
#include "engine/engine.h"

namespace dr::runbook {

using Arguments = std::map<std::string, std::string>;

struct ActionSpec {
  std::string name;
  std::string summary;  // what it does, for `runbook show` and the docs
  std::vector<std::string> required;  // argument names a step must give
  std::vector<std::string> optional;
  // Changes nothing: runs in a dry run too (a precondition or a check).
  bool read_only = false;
  // A step with this action asks for confirmation even when the step does not say so.
  bool always_confirm = false;
  // Why it cannot be undone; "" when it changes nothing or has an undo.
  std::string cannot_undo;
  // What a dry run and the docs say it would do with these arguments; default Describe().
  std::function<std::string(const Arguments&)> describe;
  // Does it, with the arguments already substituted. `out.data` keys are what
  // later steps may name as ${steps.ID.key}.
  std::function<Status(const Arguments&, engine::StepContext&, engine::StepOutput&)> run;
  // Optional: undoes a completed run, given its arguments and output.
  std::function<Status(const Arguments&, const engine::StepOutput&)> undo;
};

class ActionRegistry {
 public:
  // Replaces an action of the same name.
  void Add(ActionSpec spec);
  const ActionSpec* Find(const std::string& name) const;
  // Sorted by name.
  std::vector<const ActionSpec*> All() const;
  // "a, b, c": for "unknown action" errors.
  std::string Names() const;

 private:
  std::map<std::string, ActionSpec> actions_;
};

// The default timeout of a shell step without one.
inline constexpr int kDefaultShellTimeoutSeconds = 600;

// Adds shell and manual.
void AddBasicActions(ActionRegistry& registry);

}  // namespace dr::runbook
