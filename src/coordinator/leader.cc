#include "coordinator/leader.h"

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "net/http.h"

namespace dr::coordinator {

using nlohmann::json;

namespace {

// int64 fields come back from the gateway as strings; requests accept either.
std::string Str(const json& j, const char* key) {
  if (!j.contains(key)) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

}  // namespace

EtcdLeader::EtcdLeader(std::vector<std::string> endpoints, std::string key, std::string id, int lease_seconds)
    : endpoints_(std::move(endpoints)), key_(std::move(key)), id_(std::move(id)), lease_seconds_(lease_seconds) {}

EtcdLeader::~EtcdLeader() = default;

Result<std::string> EtcdLeader::Post(const std::string& path, const std::string& body) {
  std::string last_error = "no etcd endpoint configured";
  for (const auto& endpoint : endpoints_) {
    auto reply = net::HttpRequest("POST", endpoint + path, body, std::max(500, lease_seconds_ * 1000 / 3));
    if (reply.ok() && reply->status == 200) return reply->body;
    last_error = "etcd " + endpoint + path + ": " +
                 (reply.ok() ? "HTTP " + std::to_string(reply->status) + " " + reply->body : reply.status().message());
  }
  return Unavailable(last_error);
}

Result<bool> EtcdLeader::Campaign() {
  auto start = std::chrono::steady_clock::now();
  if (!lease_.empty()) {
    // Renew. A reply without a TTL means the lease is gone: leadership with it.
    auto r = Post("/v3/lease/keepalive", json{{"ID", lease_}}.dump());
    if (!r.ok()) return r.status();  // keep leader_until_: it runs out by itself
    json j = json::parse(*r, nullptr, false);
    json result = j.is_object() ? j.value("result", json::object()) : json::object();
    std::string ttl = Str(result, "TTL");
    if (ttl.empty() || ttl == "0") {
      lease_.clear();
      leader_until_ns_ = 0;
    } else {
      SetDeadline(start);
      return true;
    }
  }
  // Not leader: grant a lease and try to create the key under it.
  DR_ASSIGN_OR_RETURN(std::string granted, Post("/v3/lease/grant", json{{"TTL", lease_seconds_}}.dump()));
  std::string lease = Str(json::parse(granted, nullptr, false), "ID");
  if (lease.empty()) return Failed("etcd did not grant a lease: " + granted);
  std::string k = Base64Encode(key_);
  json txn{{"compare", {{{"key", k}, {"result", "EQUAL"}, {"target", "CREATE"}, {"create_revision", "0"}}}},
           {"success", {{{"request_put", {{"key", k}, {"value", Base64Encode(id_)}, {"lease", lease}}}}}},
           {"failure", {{{"request_range", {{"key", k}}}}}}};
  DR_ASSIGN_OR_RETURN(std::string answer, Post("/v3/kv/txn", txn.dump()));
  json a = json::parse(answer, nullptr, false);
  if (a.is_object() && a.value("succeeded", false)) {
    lease_ = lease;
    SetDeadline(start);
    return true;
  }
  (void)Post("/v3/lease/revoke", json{{"ID", lease}}.dump());  // not needed: someone else leads
  return false;
}

void EtcdLeader::SetDeadline(std::chrono::steady_clock::time_point renewed) {
  // The lease runs from when the renewal was sent; keep a margin for clock rate and delays.
  auto until = renewed + std::chrono::milliseconds(lease_seconds_ * 1000 - std::max(500, lease_seconds_ * 200));
  leader_until_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count();
}

bool EtcdLeader::IsLeader() const {
  int64_t until = leader_until_ns_.load();
  return until != 0 &&
         std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
                 .count() < until;
}

Result<std::string> EtcdLeader::Leader() {
  DR_ASSIGN_OR_RETURN(std::string r, Post("/v3/kv/range", json{{"key", Base64Encode(key_)}}.dump()));
  json j = json::parse(r, nullptr, false);
  if (!j.is_object() || !j.contains("kvs") || j["kvs"].empty()) return std::string();
  auto v = Base64Decode(j["kvs"][0].value("value", ""));
  return v ? *v : std::string();
}

void EtcdLeader::Resign() {
  if (lease_.empty()) return;
  (void)Post("/v3/lease/revoke", json{{"ID", lease_}}.dump());
  lease_.clear();
  leader_until_ns_ = 0;
}

}  // namespace dr::coordinator
