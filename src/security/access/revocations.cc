#include "security/access/revocations.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "events/event_store.h"

namespace dr::security {

using nlohmann::json;

namespace {

Result<json> Load(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return json::object();
  DR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("revoked") || !j["revoked"].is_object()) {
    return Corrupt("the list of revoked users " + path + " is damaged: every operation is refused until it is repaired");
  }
  return j["revoked"];
}

// Readable by all: PostgreSQL's user runs wal push and fetch, which check it too.
Status Save(const std::string& path, const json& revoked) {
  DR_RETURN_IF_ERROR(MakeDirs(std::filesystem::path(path).parent_path().string(), 0700));
  return WriteFileAtomic(path, json{{"revoked", revoked}}.dump(2) + "\n", {.mode = 0644, .overwrite = true, .sync = true});
}

// A field of a hand-edited list that is not text reads as "" (never an exception).
std::string Text(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

Revocation FromJson(const std::string& user, const json& j) {
  return {.user = user, .revoked_at = Text(j, "revoked_at"), .by = Text(j, "by"), .reason = Text(j, "reason")};
}

}  // namespace

std::string RevocationsPath(const config::Config& config) {
  std::string history = events::HistoryPath(config);
  if (history.empty()) return "";
  return (std::filesystem::path(history).parent_path() / "revoked_users.json").string();
}

Result<std::optional<Revocation>> FindRevocation(const config::Config& config, const std::string& user) {
  DR_ASSIGN_OR_RETURN(json revoked, Load(RevocationsPath(config)));
  if (!revoked.contains(user) || !revoked[user].is_object()) return std::optional<Revocation>();
  return std::optional<Revocation>(FromJson(user, revoked[user]));
}

Result<std::vector<Revocation>> ListRevocations(const config::Config& config) {
  DR_ASSIGN_OR_RETURN(json revoked, Load(RevocationsPath(config)));
  std::vector<Revocation> out;
  for (const auto& [user, j] : revoked.items()) {
    if (j.is_object()) out.push_back(FromJson(user, j));
  }
  std::sort(out.begin(), out.end(), [](const Revocation& a, const Revocation& b) { return a.revoked_at < b.revoked_at; });
  return out;
}

Status AddRevocation(const config::Config& config, const Revocation& r) {
  std::string path = RevocationsPath(config);
  if (path.empty()) {
    return ConfigError("no state directory to keep revocations in: set audit.log_file or dr_coordinator.state_dir in " +
                       config.source);
  }
  DR_ASSIGN_OR_RETURN(json revoked, Load(path));
  revoked[r.user] = {{"revoked_at", r.revoked_at}, {"by", r.by}, {"reason", r.reason}};
  return Save(path, revoked);
}

Result<bool> RemoveRevocation(const config::Config& config, const std::string& user) {
  std::string path = RevocationsPath(config);
  DR_ASSIGN_OR_RETURN(json revoked, Load(path));
  if (!revoked.contains(user)) return false;
  revoked.erase(user);
  DR_RETURN_IF_ERROR(Save(path, revoked));
  return true;
}

Decision DecideWithRevocations(const config::Config& config, const std::string& user, const std::string& permission) {
  auto revoked = FindRevocation(config, user);
  if (!revoked.ok()) return {.allowed = false, .rule = revoked.status().message()};
  if (revoked->has_value()) {
    const Revocation& r = **revoked;
    return {.allowed = false,
            .rule = "access revoked at " + r.revoked_at + " by " + r.by + (r.reason.empty() ? "" : ": " + r.reason)};
  }
  return AccessControl(config.access_control).Check(user, permission);
}

}  // namespace dr::security
