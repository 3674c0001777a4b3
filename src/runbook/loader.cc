#include "runbook/loader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include <yaml-cpp/yaml.h>

#include "base/fs.h"
#include "base/time_util.h"
#include "config/yaml_syntax.h"
#include "runbook/shipped.h"

namespace dr::runbook {
namespace {

namespace fs = std::filesystem;

// Reads one file's tree; every error is kConfig "file:line: message".
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  SourceLocation Where(const YAML::Node& node) const { return {file_, node.Mark().line + 1}; }

  Status Error(const YAML::Node& node, const std::string& message) const {
    return ConfigError(Where(node).ToString() + ": " + message);
  }

  // Every key of `node` must be in `known`.
  Status Keys(const YAML::Node& node, const std::string& what, std::initializer_list<const char*> known) const {
    if (!node.IsMap()) return Error(node, what + ": expected a mapping of keys");
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
        std::string list;
        for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
        return Error(kv.first, what + ": unknown key '" + key + "' (known: " + list + ")");
      }
    }
    return Status::Ok();
  }

  Result<std::string> String(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) return Error(node, what + ": expected a single value");
    return node.Scalar();
  }

  Result<double> Number(const YAML::Node& node, const std::string& what) const {
    DR_ASSIGN_OR_RETURN(std::string s, String(node, what));
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    // Finite and bounded: "inf", "nan" or 1e300 minutes mean nothing here.
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0 || v > 1e7) {
      return Error(node, what + ": expected a number from 0 to 10000000, got '" + s + "'");
    }
    return v;
  }

  Result<int> Integer(const YAML::Node& node, const std::string& what) const {
    DR_ASSIGN_OR_RETURN(double v, Number(node, what));
    if (v != static_cast<int>(v)) return Error(node, what + ": expected a whole number, got '" + node.Scalar() + "'");
    return static_cast<int>(v);
  }

  Result<bool> Bool(const YAML::Node& node, const std::string& what) const {
    DR_ASSIGN_OR_RETURN(std::string s, String(node, what));
    if (s == "true" || s == "yes") return true;
    if (s == "false" || s == "no") return false;
    return Error(node, what + ": expected true or false, got '" + s + "'");
  }

  // "90s", "5m", "1h" or a number of seconds.
  Result<int> Seconds(const YAML::Node& node, const std::string& what) const {
    DR_ASSIGN_OR_RETURN(std::string s, String(node, what));
    int64_t seconds = -1;
    if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (s.size() <= 9) seconds = std::stoll(s);
    } else if (auto d = ParseDuration(s); d.ok()) {
      seconds = d->count();
    } else {
      return Error(node, what + ": expected a duration such as 30s, 5m or 1h, got '" + s + "'");
    }
    if (seconds < 0 || seconds > 30 * 24 * 3600) return Error(node, what + ": expected at most 30 days, got '" + s + "'");
    return static_cast<int>(seconds);
  }

  Result<std::vector<std::string>> Strings(const YAML::Node& node, const std::string& what) const {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(node.Scalar());
      return out;
    }
    if (!node.IsSequence()) return Error(node, what + ": expected a list of strings");
    for (const auto& item : node) {
      DR_ASSIGN_OR_RETURN(std::string s, String(item, what));
      out.push_back(std::move(s));
    }
    return out;
  }

  Result<std::map<std::string, std::string>> Arguments(const YAML::Node& node, const std::string& what) const {
    std::map<std::string, std::string> out;
    if (node.IsNull()) return out;
    if (!node.IsMap()) return Error(node, what + ": expected a mapping of argument names to values");
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      if (kv.second.IsSequence()) {  // a list argument: comma-separated, as on the command line
        DR_ASSIGN_OR_RETURN(auto items, Strings(kv.second, what + "." + key));
        std::string joined;
        for (const auto& i : items) joined += (joined.empty() ? "" : ",") + i;
        out[key] = joined;
        continue;
      }
      DR_ASSIGN_OR_RETURN(out[key], String(kv.second, what + "." + key));
    }
    return out;
  }

  // {action: NAME, with: {...}} or {shell: "command"}; in a step, the same
  // keys sit on the step itself (`node` is then the step).
  Result<ActionCall> Call(const YAML::Node& node, const std::string& what) const {
    ActionCall call;
    call.where = Where(node);
    const YAML::Node action = node["action"], shell = node["shell"], with = node["with"];
    if (action && shell) return Error(node, what + ": 'action' and 'shell' exclude each other: give one");
    if (!action && !shell) return Error(node, what + ": needs 'action' (a built-in) or 'shell' (a command)");
    if (shell) {
      if (with) return Error(with, what + ": 'with' goes with 'action', not 'shell'");
      DR_ASSIGN_OR_RETURN(std::string command, String(shell, what + ".shell"));
      call.action = "shell";
      call.with["command"] = command;
      call.where = Where(shell);
      return call;
    }
    DR_ASSIGN_OR_RETURN(call.action, String(action, what + ".action"));
    if (call.action == "shell") return Error(action, what + ": write a command as shell: \"...\"");
    call.where = Where(action);
    if (with) {
      DR_ASSIGN_OR_RETURN(call.with, Arguments(with, what + ".with"));
    }
    return call;
  }

  Result<ActionCall> SubCall(const YAML::Node& node, const std::string& what) const {
    DR_RETURN_IF_ERROR(Keys(node, what, {"action", "with", "shell"}));
    return Call(node, what);
  }

  Result<StepDef> Step(const YAML::Node& node, size_t index) const {
    std::string what = "steps[" + std::to_string(index) + "]";
    if (node.IsMap() && node["id"] && node["id"].IsScalar()) what = "step '" + node["id"].Scalar() + "'";
    DR_RETURN_IF_ERROR(Keys(node, what,
                            {"id", "title", "description", "action", "with", "shell", "verify", "rollback", "depends_on",
                             "timeout", "retries", "retry_delay", "requires_confirmation", "estimated_minutes"}));
    StepDef step;
    step.where = Where(node);
    if (!node["id"]) return Error(node, what + ": needs an id");
    DR_ASSIGN_OR_RETURN(step.id, String(node["id"], what + ".id"));
    what = "step '" + step.id + "'";
    if (step.id.empty() || step.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
      return Error(node["id"], what + ": an id is lower-case letters, digits and '_'");
    }
    if (node["title"]) {
      DR_ASSIGN_OR_RETURN(step.title, String(node["title"], what + ".title"));
    } else {
      return Error(node, what + ": needs a title");
    }
    if (node["description"]) {
      DR_ASSIGN_OR_RETURN(step.description, String(node["description"], what + ".description"));
    }
    DR_ASSIGN_OR_RETURN(step.action, Call(node, what));
    if (node["verify"]) {
      DR_ASSIGN_OR_RETURN(step.verify, SubCall(node["verify"], what + ".verify"));
    }
    if (node["rollback"]) {
      DR_ASSIGN_OR_RETURN(step.rollback, SubCall(node["rollback"], what + ".rollback"));
    }
    if (node["depends_on"]) {
      DR_ASSIGN_OR_RETURN(step.depends_on, Strings(node["depends_on"], what + ".depends_on"));
      depends_given_.insert(step.id);
    }
    if (node["timeout"]) {
      DR_ASSIGN_OR_RETURN(step.timeout_seconds, Seconds(node["timeout"], what + ".timeout"));
    }
    if (node["retries"]) {
      DR_ASSIGN_OR_RETURN(step.retries, Integer(node["retries"], what + ".retries"));
      if (step.retries > 100) {
        return Error(node["retries"], what + ".retries: expected at most 100, got " + std::to_string(step.retries));
      }
    }
    if (node["retry_delay"]) {
      DR_ASSIGN_OR_RETURN(step.retry_delay_seconds, Seconds(node["retry_delay"], what + ".retry_delay"));
    }
    if (node["requires_confirmation"]) {
      DR_ASSIGN_OR_RETURN(step.requires_confirmation, Bool(node["requires_confirmation"], what + ".requires_confirmation"));
    }
    if (node["estimated_minutes"]) {
      DR_ASSIGN_OR_RETURN(step.estimated_minutes, Number(node["estimated_minutes"], what + ".estimated_minutes"));
    }
    return step;
  }

  Result<Parameter> Param(const std::string& name, const YAML::Node& node) const {
    Parameter p;
    p.name = name;
    p.where = Where(node);
    std::string what = "parameter '" + name + "'";
    if (node.IsNull()) {
      p.required = true;
      return p;
    }
    DR_RETURN_IF_ERROR(Keys(node, what, {"description", "default", "required"}));
    if (node["description"]) {
      DR_ASSIGN_OR_RETURN(p.description, String(node["description"], what + ".description"));
    }
    if (node["default"]) {
      DR_ASSIGN_OR_RETURN(p.default_value, String(node["default"], what + ".default"));
    }
    p.required = !node["default"];
    if (node["required"]) {
      DR_ASSIGN_OR_RETURN(bool required, Bool(node["required"], what + ".required"));
      if (required && node["default"]) return Error(node, what + ": a required parameter has no default");
      p.required = required;
    }
    return p;
  }

  Result<Runbook> Read(const YAML::Node& root, const std::string& name) {
    DR_RETURN_IF_ERROR(Keys(root, "runbook", {"title", "failure_type", "description", "prerequisites",
                                              "estimated_minutes", "parameters", "steps"}));
    Runbook rb;
    rb.name = name;
    rb.where = {file_, 1};
    if (!root["title"]) return Error(root, "runbook: needs a title");
    DR_ASSIGN_OR_RETURN(rb.title, String(root["title"], "title"));
    if (root["failure_type"]) {
      DR_ASSIGN_OR_RETURN(rb.failure_type, String(root["failure_type"], "failure_type"));
    }
    if (root["description"]) {
      DR_ASSIGN_OR_RETURN(rb.description, String(root["description"], "description"));
    }
    if (root["prerequisites"]) {
      DR_ASSIGN_OR_RETURN(rb.prerequisites, Strings(root["prerequisites"], "prerequisites"));
    }
    if (root["estimated_minutes"]) {
      DR_ASSIGN_OR_RETURN(rb.estimated_minutes, Number(root["estimated_minutes"], "estimated_minutes"));
    }
    if (const YAML::Node params = root["parameters"]; params && !params.IsNull()) {
      if (!params.IsMap()) return Error(params, "parameters: expected a mapping of parameter names");
      for (const auto& kv : params) {
        DR_ASSIGN_OR_RETURN(Parameter p, Param(kv.first.as<std::string>(), kv.second));
        p.where = Where(kv.first);
        rb.parameters.push_back(std::move(p));
      }
    }
    const YAML::Node steps = root["steps"];
    if (!steps || !steps.IsSequence() || steps.size() == 0) return Error(steps ? steps : root, "steps: expected a list of steps");
    std::map<std::string, int> seen;
    for (size_t i = 0; i < steps.size(); ++i) {
      DR_ASSIGN_OR_RETURN(StepDef step, Step(steps[i], i));
      if (auto it = seen.find(step.id); it != seen.end()) {
        return Error(steps[i], "step '" + step.id + "': the id is used twice (first at line " + std::to_string(it->second) + ")");
      }
      seen[step.id] = step.where.line;
      // By default a step follows the one listed before it.
      if (!depends_given_.count(step.id) && !rb.steps.empty()) step.depends_on = {rb.steps.back().id};
      rb.steps.push_back(std::move(step));
    }
    return rb;
  }

 private:
  std::string file_;
  mutable std::set<std::string> depends_given_;
};

std::string Stem(const std::string& file) { return fs::path(file).stem().string(); }

}  // namespace

Result<Runbook> ParseRunbook(const std::string& text, const std::string& file) {
  config::YamlSyntaxReport syntax = config::CheckYamlSyntax(text, file);
  if (!syntax.syntax_error.empty()) return ConfigError(syntax.syntax_error);
  if (!syntax.duplicate_keys.empty()) return ConfigError(syntax.duplicate_keys.front());
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return ConfigError(file + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  Reader reader(file);
  try {
    return reader.Read(root, Stem(file));
  } catch (const YAML::Exception& e) {  // a conversion yaml-cpp refused (e.g. a key that is not a scalar)
    return ConfigError(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Result<std::vector<Runbook>> LoadRunbooks(const std::string& user_directory) {
  std::map<std::string, Runbook> by_name;
  for (const auto& [file, text] : ShippedRunbooks()) {
    DR_ASSIGN_OR_RETURN(Runbook rb, ParseRunbook(text, file));
    by_name[rb.name] = std::move(rb);
  }
  if (!user_directory.empty()) {
    std::error_code ec;
    if (!fs::is_directory(user_directory, ec)) {
      return ConfigError("runbooks.directory: " + user_directory + " is not a directory");
    }
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(user_directory, ec)) {
      if (entry.path().extension() == ".yaml" || entry.path().extension() == ".yml") files.push_back(entry.path().string());
    }
    if (ec) return IoError("runbooks.directory: " + user_directory + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      DR_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
      DR_ASSIGN_OR_RETURN(Runbook rb, ParseRunbook(text, file));
      rb.shipped = false;
      by_name[rb.name] = std::move(rb);
    }
  }
  std::vector<Runbook> out;
  for (auto& [name, rb] : by_name) out.push_back(std::move(rb));
  return out;
}

Result<Runbook> FindRunbook(const std::string& user_directory, const std::string& name) {
  DR_ASSIGN_OR_RETURN(auto all, LoadRunbooks(user_directory));
  std::string names;
  for (auto& rb : all) {
    // The guide's FailureType names work too: DATABASE_FAILURE, database-failure.
    std::string lowered = name;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](char c) { return c == '-' ? '_' : std::tolower(c); });
    if (rb.name == lowered) return std::move(rb);
    names += (names.empty() ? "" : ", ") + rb.name;
  }
  return NotFound("no runbook named '" + name + "' (there are: " + names + ")");
}

}  // namespace dr::runbook
