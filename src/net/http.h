// One HTTP request over libcurl, for the coordinator's http checks and etcd's
// JSON gateway: a status and a body (kept to 1 MiB), or a transport error.
#pragma once

#include <string>

#include "dr/result.h"

namespace dr::net {

struct HttpReply {
  long status = 0;
  std::string body;
};

// method "GET" or "POST" (body sent as application/json).
Result<HttpReply> HttpRequest(const std::string& method, const std::string& url, const std::string& body,
                              long timeout_ms);

}  // namespace dr::net
