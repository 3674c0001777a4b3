#include "net/etcd.h"

#include "base/encoding.h"
#include "net/http.h"

namespace dr::net {

using nlohmann::json;

EtcdClient::EtcdClient(std::vector<std::string> endpoints, long timeout_ms)
    : endpoints_(std::move(endpoints)), timeout_ms_(timeout_ms) {}

std::string EtcdString(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

Result<json> EtcdClient::Call(const std::string& path, const json& body) {
  std::string last_error = "no etcd endpoint configured";
  for (const auto& endpoint : endpoints_) {
    auto reply = HttpRequest("POST", endpoint + path, body.dump(), timeout_ms_);
    if (reply.ok() && reply->status == 200) {
      json j = json::parse(reply->body, nullptr, false);
      if (j.is_object()) return j;
      last_error = "etcd " + endpoint + path + ": not a JSON object: " + reply->body.substr(0, 200);
      continue;
    }
    last_error = "etcd " + endpoint + path + ": " +
                 (reply.ok() ? "HTTP " + std::to_string(reply->status) + " " + reply->body : reply.status().message());
  }
  return Unavailable(last_error);
}

Result<std::vector<std::pair<std::string, std::string>>> EtcdClient::Range(const std::string& prefix) {
  // range_end: the prefix with its last byte incremented (etcd's "every key with this prefix").
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(end.back() + 1);
  else end = std::string(1, '\0');  // an empty (or all-0xff) prefix: every key from it on
  DR_ASSIGN_OR_RETURN(json j, Call("/v3/kv/range", {{"key", Base64Encode(prefix)}, {"range_end", Base64Encode(end)}}));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : j.value("kvs", json::array())) {
    auto key = Base64Decode(kv.value("key", ""));
    auto value = Base64Decode(kv.value("value", ""));
    if (!key || !value) return Failed("etcd returned a key or value that is not base64 under '" + prefix + "'");
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

Result<bool> EtcdClient::PutIf(const std::string& key, const std::string& value, const std::string& guard_key,
                               const std::string& guard_value) {
  json txn{{"compare",
            {{{"key", Base64Encode(guard_key)}, {"result", "EQUAL"}, {"target", "VALUE"},
              {"value", Base64Encode(guard_value)}}}},
           {"success", {{{"request_put", {{"key", Base64Encode(key)}, {"value", Base64Encode(value)}}}}}}};
  DR_ASSIGN_OR_RETURN(json j, Call("/v3/kv/txn", txn));
  return j.value("succeeded", false);
}

}  // namespace dr::net
