#include "runbook/actions.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/subprocess.h"

namespace dr::runbook {

void ActionRegistry::Add(ActionSpec spec) {
  std::string name = spec.name;
  actions_[name] = std::move(spec);
}

const ActionSpec* ActionRegistry::Find(const std::string& name) const {
  auto it = actions_.find(name);
  return it == actions_.end() ? nullptr : &it->second;
}

std::vector<const ActionSpec*> ActionRegistry::All() const {
  std::vector<const ActionSpec*> out;
  for (const auto& [name, spec] : actions_) out.push_back(&spec);
  return out;
}

std::string ActionRegistry::Names() const {
  std::string out;
  for (const auto& [name, spec] : actions_) out += (out.empty() ? "" : ", ") + name;
  return out;
}

namespace {

// The last `lines` lines of `text`: what the execution log keeps of a command's output.
std::string Tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n < lines && pos > 0; ++n) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return pos == 0 ? text : text.substr(pos + 1);
}

// Output as valid UTF-8 (invalid bytes become U+FFFD), so the execution log
// can always be written as JSON.
std::string ValidUtf8(const std::string& text) {
  return nlohmann::json::parse(nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .get<std::string>();
}

Status RunShellStep(const Arguments& args, engine::StepContext& ctx, engine::StepOutput& out) {
  const std::string& command = args.at("command");
  double timeout = kDefaultShellTimeoutSeconds;
  if (ctx.deadline != std::chrono::steady_clock::time_point::max()) {
    timeout = std::max(0.1, std::chrono::duration<double>(ctx.deadline - ctx.clock.Monotonic()).count());
  }
  std::string output;
  DR_ASSIGN_OR_RETURN(int code, RunShell(command, timeout, &output));
  output = ValidUtf8(Tail(output, 20));
  out.data = {{"exit_code", code}, {"output", output}};
  if (code == 124) return Failed("'" + command + "' timed out after " + std::to_string(static_cast<int>(timeout)) + " s");
  if (code != 0) {
    return Failed("'" + command + "' exited with code " + std::to_string(code) + (output.empty() ? "" : ": " + output));
  }
  out.details = output.empty() ? "exit code 0" : output;
  return Status::Ok();
}

}  // namespace

void AddBasicActions(ActionRegistry& registry) {
  registry.Add({.name = "shell",
                .summary = "runs a command through /bin/sh; fails on a non-zero exit code",
                .required = {"command"},
                .cannot_undo = "a command's effects are its own: give the step a rollback command",
                .describe = [](const Arguments& a) { return a.at("command"); },
                .run = RunShellStep});
  registry.Add({.name = "manual",
                .summary = "something a person does: the instructions are shown and the step waits for a confirmation",
                .required = {"instructions"},
                .always_confirm = true,
                .cannot_undo = "done by a person: undone by a person",
                .describe = [](const Arguments& a) { return "a person: " + a.at("instructions"); },
                .run = [](const Arguments& a, engine::StepContext&, engine::StepOutput& out) {
                  out.details = a.at("instructions");
                  return Status::Ok();
                }});
}

}  // namespace dr::runbook
