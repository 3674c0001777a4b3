#include "coordinator/leader.h"

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "net/etcd.h"

namespace dr::coordinator {

using nlohmann::json;

EtcdLeader::EtcdLeader(std::vector<std::string> endpoints, std::string key, std::string id, int lease_seconds)
    : etcd_(std::move(endpoints), std::max(500, lease_seconds * 1000 / 3)),
      key_(std::move(key)),
      id_(std::move(id)),
      lease_seconds_(lease_seconds) {}

EtcdLeader::~EtcdLeader() = default;

Result<bool> EtcdLeader::Campaign() {
  auto start = std::chrono::steady_clock::now();
  if (!lease_.empty()) {
    // Renew. A reply without a TTL means the lease is gone: leadership with it.
    auto r = etcd_.Call("/v3/lease/keepalive", {{"ID", lease_}});
    if (!r.ok()) return r.status();  // keep leader_until_: it runs out by itself
    std::string ttl = net::EtcdString(r->value("result", json::object()), "TTL");
    if (ttl.empty() || ttl == "0") {
      lease_.clear();
      leader_until_ns_ = 0;
    } else {
      SetDeadline(start);
      return true;
    }
  }
  // Not leader: grant a lease and try to create the key under it.
  DR_ASSIGN_OR_RETURN(json granted, etcd_.Call("/v3/lease/grant", {{"TTL", lease_seconds_}}));
  std::string lease = net::EtcdString(granted, "ID");
  if (lease.empty()) return Failed("etcd did not grant a lease: " + granted.dump());
  std::string k = Base64Encode(key_);
  json txn{{"compare", {{{"key", k}, {"result", "EQUAL"}, {"target", "CREATE"}, {"create_revision", "0"}}}},
           {"success", {{{"request_put", {{"key", k}, {"value", Base64Encode(id_)}, {"lease", lease}}}}}},
           {"failure", {{{"request_range", {{"key", k}}}}}}};
  DR_ASSIGN_OR_RETURN(json answer, etcd_.Call("/v3/kv/txn", txn));
  if (answer.value("succeeded", false)) {
    lease_ = lease;
    SetDeadline(start);
    return true;
  }
  (void)etcd_.Call("/v3/lease/revoke", {{"ID", lease}});  // not needed: someone else leads
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
  DR_ASSIGN_OR_RETURN(json j, etcd_.Call("/v3/kv/range", {{"key", Base64Encode(key_)}}));
  if (!j.contains("kvs") || j["kvs"].empty()) return std::string();
  auto v = Base64Decode(j["kvs"][0].value("value", ""));
  return v ? *v : std::string();
}

void EtcdLeader::Resign() {
  if (lease_.empty()) return;
  (void)etcd_.Call("/v3/lease/revoke", {{"ID", lease_}});
  lease_.clear();
  leader_until_ns_ = 0;
}

}  // namespace dr::coordinator
