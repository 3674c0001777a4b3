// A client of etcd v3 over its HTTP/JSON gateway (libcurl through
// net/http.h): the calls the leader election and the automation's shared run
// ledger make. Each call tries the endpoints in order and returns the first
// answer; keys and values go base64-encoded, as the gateway wants them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/result.h"

namespace dr::net {

class EtcdClient {
 public:
  // `timeout_ms`: the whole of one request to one endpoint.
  EtcdClient(std::vector<std::string> endpoints, long timeout_ms);

  // POSTs `body` to `path` ("/v3/kv/range") of the first endpoint that
  // answers 200; kUnavailable naming the last endpoint's failure otherwise.
  Result<nlohmann::json> Call(const std::string& path, const nlohmann::json& body);

  // Every key under `prefix` with its value (keys in etcd's order).
  Result<std::vector<std::pair<std::string, std::string>>> Range(const std::string& prefix);
  // Puts key = value only while `guard_key` holds `guard_value` (a leader's
  // writes, fenced by its election key); false when the guard did not hold.
  Result<bool> PutIf(const std::string& key, const std::string& value, const std::string& guard_key,
                     const std::string& guard_value);

 private:
  std::vector<std::string> endpoints_;
  long timeout_ms_;
};

// int64 fields come back from the gateway as strings; requests accept either.
std::string EtcdString(const nlohmann::json& j, const char* key);

}  // namespace dr::net
