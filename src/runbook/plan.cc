#include "runbook/plan.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <thread>

#include "dr/clock.h"

namespace dr::runbook {
namespace {

using nlohmann::json;

// Every ${...} reference in `text`, without the braces.
std::vector<std::string> References(const std::string& text) {
  std::vector<std::string> refs;
  for (size_t i = text.find("${"); i != std::string::npos; i = text.find("${", i + 2)) {
    size_t close = text.find('}', i);
    if (close == std::string::npos) {
      refs.push_back(text.substr(i + 2));  // unterminated: reported as it is
      break;
    }
    refs.push_back(text.substr(i + 2, close - i - 2));
  }
  return refs;
}

// config.a.b -> the value at /a/b of the configuration, as text.
std::optional<std::string> ConfigValue(const json& config, const std::string& path) {
  const json* at = &config;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(key)) return std::nullopt;
    at = &(*at)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (at->is_string()) return at->get<std::string>();
  if (at->is_null()) return std::string();
  if (at->is_array()) {  // a list: comma-separated, as a list argument
    std::string out;
    for (const auto& v : *at) out += (out.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : v.dump());
    return out;
  }
  return at->dump();
}

// The steps `id` depends on, directly or not.
std::set<std::string> Ancestors(const Runbook& rb, const std::string& id) {
  std::set<std::string> seen;
  std::function<void(const std::string&)> visit = [&](const std::string& s) {
    const StepDef* step = rb.FindStep(s);
    if (step == nullptr) return;
    for (const auto& dep : step->depends_on) {
      if (seen.insert(dep).second) visit(dep);
    }
  };
  visit(id);
  return seen;
}

std::vector<const ActionCall*> Calls(const StepDef& step) {
  std::vector<const ActionCall*> calls{&step.action};
  if (!step.verify.empty()) calls.push_back(&step.verify);
  if (!step.rollback.empty()) calls.push_back(&step.rollback);
  return calls;
}

// Runs an action; an exception from it (a bug) fails the step instead of the process.
Status Guarded(const ActionSpec& spec, const Arguments& args, engine::StepContext& ctx, engine::StepOutput& out) {
  try {
    return spec.run(args, ctx, out);
  } catch (const std::exception& e) {
    return Failed("action " + spec.name + " failed unexpectedly: " + e.what());
  }
}

}  // namespace

Result<std::string> Substitute(const std::string& text, const std::map<std::string, std::string>& params,
                               const json& config, const std::map<std::string, json>* outputs,
                               bool keep_unknown_steps) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find("${", i);
    if (open == std::string::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    size_t close = text.find('}', open);
    if (close == std::string::npos) return InvalidArgument("'${' without a closing '}' in \"" + text + "\"");
    std::string ref = text.substr(open + 2, close - open - 2);
    i = close + 1;
    if (ref.rfind("config.", 0) == 0) {
      auto v = ConfigValue(config, ref.substr(7));
      if (!v) return InvalidArgument("${" + ref + "}: the configuration has no key " + ref.substr(7));
      out += *v;
    } else if (ref.rfind("steps.", 0) == 0) {
      size_t dot = ref.find('.', 6);
      std::string step = ref.substr(6, dot == std::string::npos ? std::string::npos : dot - 6);
      std::string key = dot == std::string::npos ? "" : ref.substr(dot + 1);
      const json* data = nullptr;
      if (outputs != nullptr) {
        if (auto it = outputs->find(step); it != outputs->end()) data = &it->second;
      }
      if (data == nullptr) {
        if (keep_unknown_steps) {
          out += "${" + ref + "}";
          continue;
        }
        return InvalidArgument("${" + ref + "}: step '" + step + "' has not output anything");
      }
      if (key.empty() || !data->contains(key)) {
        return InvalidArgument("${" + ref + "}: step '" + step + "' output no '" + key + "'");
      }
      const json& v = (*data)[key];
      out += v.is_string() ? v.get<std::string>() : v.dump();
    } else {
      auto it = params.find(ref);
      if (it == params.end()) return InvalidArgument("${" + ref + "}: no parameter of that name");
      out += it->second;
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> ResolveParameters(const Runbook& runbook, const PlanOptions& options) {
  std::map<std::string, std::string> values;
  for (const auto& p : runbook.parameters) {
    auto given = options.params.find(p.name);
    if (given != options.params.end()) {
      values[p.name] = given->second;
      continue;
    }
    if (p.required) {
      return InvalidArgument(p.where.ToString() + ": parameter '" + p.name + "' is required: give --param " + p.name +
                             "=VALUE" + (p.description.empty() ? "" : " (" + p.description + ")"));
    }
    auto v = Substitute(p.default_value, {}, options.config, nullptr);
    if (!v.ok()) return InvalidArgument(p.where.ToString() + ": parameter '" + p.name + "': " + v.status().message());
    values[p.name] = *v;
  }
  return values;
}

std::vector<std::string> Validate(const Runbook& rb, const ActionRegistry& actions, const PlanOptions& options) {
  std::vector<std::string> problems;
  std::set<std::string> declared;
  for (const auto& p : rb.parameters) declared.insert(p.name);
  for (const auto& [name, value] : options.params) {
    if (!declared.count(name)) {
      std::string known;
      for (const auto& d : declared) known += (known.empty() ? "" : ", ") + d;
      problems.push_back(rb.where.ToString() + ": runbook '" + rb.name + "' has no parameter '" + name +
                         "' (it has: " + (known.empty() ? "none" : known) + ")");
    }
  }
  if (auto params = ResolveParameters(rb, options); !params.ok()) problems.push_back(params.status().message());

  // References in any text of a step: parameters, configuration keys, and
  // outputs of steps it comes after.
  auto check_refs = [&](const StepDef& step, const std::string& text, const SourceLocation& where) {
    for (const auto& ref : References(text)) {
      if (ref.rfind("config.", 0) == 0) {
        if (!ConfigValue(options.config, ref.substr(7))) {
          problems.push_back(where.ToString() + ": step '" + step.id + "': ${" + ref + "}: the configuration has no key " +
                             ref.substr(7));
        }
      } else if (ref.rfind("steps.", 0) == 0) {
        size_t dot = ref.find('.', 6);
        std::string other = ref.substr(6, dot == std::string::npos ? std::string::npos : dot - 6);
        if (dot == std::string::npos) {
          problems.push_back(where.ToString() + ": step '" + step.id + "': ${" + ref + "}: name the value, ${steps." + other +
                             ".KEY}");
        } else if (rb.FindStep(other) == nullptr) {
          problems.push_back(where.ToString() + ": step '" + step.id + "': ${" + ref + "}: there is no step '" + other + "'");
        } else if (!Ancestors(rb, step.id).count(other)) {
          problems.push_back(where.ToString() + ": step '" + step.id + "': ${" + ref + "}: step '" + other +
                             "' does not run before it (add it to depends_on)");
        }
      } else if (!declared.count(ref)) {
        problems.push_back(where.ToString() + ": step '" + step.id + "': ${" + ref + "}: no parameter of that name");
      }
    }
  };

  std::set<std::string> ids;
  for (const auto& step : rb.steps) ids.insert(step.id);
  for (const auto& step : rb.steps) {
    for (const auto& dep : step.depends_on) {
      if (!ids.count(dep)) {
        problems.push_back(step.where.ToString() + ": step '" + step.id + "' depends on an unknown step '" + dep + "'");
      }
    }
    check_refs(step, step.description, step.where);
    for (const ActionCall* call : Calls(step)) {
      const ActionSpec* spec = actions.Find(call->action);
      if (spec == nullptr) {
        problems.push_back(call->where.ToString() + ": step '" + step.id + "': unknown action '" + call->action +
                           "' (there are: " + actions.Names() + ")");
        continue;
      }
      for (const auto& arg : spec->required) {
        if (!call->with.count(arg)) {
          problems.push_back(call->where.ToString() + ": step '" + step.id + "': action " + call->action +
                             " needs the argument '" + arg + "'");
        }
      }
      for (const auto& [arg, value] : call->with) {
        bool known = std::count(spec->required.begin(), spec->required.end(), arg) +
                         std::count(spec->optional.begin(), spec->optional.end(), arg) > 0;
        if (!known) {
          std::string all;
          for (const auto& a : spec->required) all += (all.empty() ? "" : ", ") + a;
          for (const auto& a : spec->optional) all += (all.empty() ? "" : ", ") + a;
          problems.push_back(call->where.ToString() + ": step '" + step.id + "': action " + call->action +
                             " has no argument '" + arg + "' (it takes: " + (all.empty() ? "none" : all) + ")");
        }
        check_refs(step, value, call->where);
      }
    }
  }
  if (problems.empty()) {
    // Cycles: the engine's own check, on steps that only carry the graph.
    std::vector<engine::Step> graph;
    for (const auto& step : rb.steps) {
      graph.push_back({.id = step.id, .depends_on = step.depends_on,
                       .run = [](engine::StepContext&, engine::StepOutput&) { return Status::Ok(); }});
    }
    if (auto order = engine::OrderSteps(graph); !order.ok()) {
      problems.push_back(rb.where.ToString() + ": " + order.status().message());
    }
  }
  return problems;
}

Result<Plan> BuildPlan(const Runbook& rb, const ActionRegistry& actions, const PlanOptions& options) {
  std::vector<std::string> problems = Validate(rb, actions, options);
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "\n") + p;
    return InvalidArgument(all);
  }
  DR_ASSIGN_OR_RETURN(auto params, ResolveParameters(rb, options));
  Plan plan;
  plan.params = params;
  plan.outputs = std::make_shared<std::map<std::string, json>>(options.outputs);
  auto outputs = plan.outputs;
  json config = options.config;

  // The call's arguments with ${...} substituted now.
  auto arguments = [params, config, outputs](const ActionCall& call) -> Result<Arguments> {
    Arguments args;
    for (const auto& [k, v] : call.with) {
      auto s = Substitute(v, params, config, outputs.get());
      if (!s.ok()) return InvalidArgument(call.where.ToString() + ": " + s.status().message());
      args[k] = *s;
    }
    return args;
  };

  for (const auto& def : rb.steps) {
    const ActionSpec* spec = actions.Find(def.action.action);
    engine::Step step{.id = def.id, .title = def.title, .depends_on = def.depends_on};
    // What a dry run shows: the action with what can be substituted before the run.
    Arguments shown;
    for (const auto& [k, v] : def.action.with) {
      auto s = Substitute(v, params, config, outputs.get(), /*keep_unknown_steps=*/true);
      shown[k] = s.ok() ? *s : v;
    }
    step.description = spec->describe ? spec->describe(shown) : ActionCall{.action = def.action.action, .with = shown}.Describe();
    step.read_only = spec->read_only;
    bool asks = def.requires_confirmation || spec->always_confirm;
    step.requires_confirmation = (options.auto_execute && options.skip_confirmations) ? false
                                 : (options.auto_execute || options.skip_confirmations) ? asks
                                                                                         : true;
    int timeout = def.timeout_seconds > 0 ? def.timeout_seconds
                  : def.action.action == "shell" ? kDefaultShellTimeoutSeconds
                                                 : 0;
    step.timeout = std::chrono::seconds(timeout);
    step.retries = def.retries;
    step.retry_delay = std::chrono::seconds(def.retry_delay_seconds);

    // The arguments the run used, for its undo.
    auto used = std::make_shared<Arguments>();
    auto last_output = std::make_shared<engine::StepOutput>();
    ActionCall call = def.action;
    std::string id = def.id;
    if (auto it = options.outputs.find(def.id); it != options.outputs.end()) {
      // Completed by an earlier run (a resume): not run again, but undone with
      // the arguments and the output it had when a later step fails.
      if (auto args = arguments(call); args.ok()) *used = *args;
      last_output->data = it->second;
    }
    step.run = [spec, call, arguments, outputs, used, last_output, id](engine::StepContext& ctx, engine::StepOutput& out) {
      DR_ASSIGN_OR_RETURN(*used, arguments(call));
      Status s = Guarded(*spec, *used, ctx, out);
      (*outputs)[id] = out.data;
      *last_output = out;
      return s;
    };
    if (!def.verify.empty()) {
      const ActionSpec* vspec = actions.Find(def.verify.action);
      ActionCall vcall = def.verify;
      step.verify = [vspec, vcall, arguments](engine::StepContext& ctx, engine::StepOutput& out) {
        DR_ASSIGN_OR_RETURN(Arguments args, arguments(vcall));
        engine::StepOutput checked;
        Status s = Guarded(*vspec, args, ctx, checked);
        if (!s.ok()) return s.WithContext("verification");
        if (!checked.details.empty()) out.details += (out.details.empty() ? "" : "; ") + ("verified: " + checked.details);
        return Status::Ok();
      };
    }
    if (!def.rollback.empty()) {
      const ActionSpec* rspec = actions.Find(def.rollback.action);
      ActionCall rcall = def.rollback;
      Clock* clock = &RealClock();
      step.undo = [rspec, rcall, arguments, clock] {
        DR_ASSIGN_OR_RETURN(Arguments args, arguments(rcall));
        std::function<void(engine::Duration)> sleep = [](engine::Duration d) { std::this_thread::sleep_for(d); };
        engine::StepContext ctx{.clock = *clock, .deadline = std::chrono::steady_clock::time_point::max(), .sleep = sleep};
        engine::StepOutput ignored;
        return Guarded(*rspec, args, ctx, ignored);
      };
    } else if (spec->undo) {
      step.undo = [spec, used, last_output] { return spec->undo(*used, *last_output); };
    } else if (!spec->read_only) {
      step.cannot_undo = spec->cannot_undo.empty() ? "action " + spec->name + " has no undo and the step no rollback"
                                                   : spec->cannot_undo;
    }
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

}  // namespace dr::runbook
