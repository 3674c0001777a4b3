#include "runbook/runbook.h"

namespace dr::runbook {

using nlohmann::json;

std::string ActionCall::Describe() const {
  if (action == "shell") {
    auto it = with.find("command");
    return it == with.end() ? "shell" : it->second;
  }
  std::string out = action + "(";
  bool first = true;
  for (const auto& [k, v] : with) {
    out += (first ? "" : ", ") + k + "=" + v;
    first = false;
  }
  return out + ")";
}

const StepDef* Runbook::FindStep(const std::string& id) const {
  for (const auto& s : steps) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

json Runbook::Summary() const {
  return {{"name", name},
          {"title", title},
          {"failure_type", failure_type},
          {"estimated_minutes", estimated_minutes},
          {"steps", steps.size()},
          {"source", shipped ? "shipped" : where.file}};
}

namespace {

json CallJson(const ActionCall& call) {
  if (call.empty()) return nullptr;
  return {{"action", call.action}, {"with", call.with}};
}

}  // namespace

json Runbook::ToJson() const {
  json out = Summary();
  out["description"] = description;
  out["prerequisites"] = prerequisites;
  json params = json::array();
  for (const auto& p : parameters) {
    params.push_back({{"name", p.name}, {"description", p.description}, {"default", p.default_value},
                      {"required", p.required}});
  }
  out["parameters"] = params;
  json steps_json = json::array();
  for (const auto& s : steps) {
    steps_json.push_back({{"id", s.id},
                          {"title", s.title},
                          {"description", s.description},
                          {"action", CallJson(s.action)},
                          {"verify", CallJson(s.verify)},
                          {"rollback", CallJson(s.rollback)},
                          {"depends_on", s.depends_on},
                          {"timeout_seconds", s.timeout_seconds},
                          {"retries", s.retries},
                          {"retry_delay_seconds", s.retry_delay_seconds},
                          {"requires_confirmation", s.requires_confirmation},
                          {"estimated_minutes", s.estimated_minutes}});
  }
  out["steps"] = steps_json;
  return out;
}

}  // namespace dr::runbook
