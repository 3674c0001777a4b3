// One HTTP request over libcurl, for the coordinator's http checks, etcd's
// JSON gateway and the notification channels: a status and a body (kept to
// 1 MiB), or a transport error.
#pragma once

#include <string>
#include <vector>

#include "dr/result.h"

namespace dr::net {

struct HttpReply {
  long status = 0;
  std::string body;
};

// method "GET" or "POST" (body sent as application/json).
// Errors (kUnavailable) name the method and the URL.
Result<HttpReply> HttpRequest(const std::string& method, const std::string& url, const std::string& body,
                              long timeout_ms);

struct HttpCall {
  std::string method = "POST";
  std::string url;
  std::string body;                  // sent when not empty
  std::vector<std::string> headers;  // "Name: value"
  long timeout_ms = 10000;
};

// Any answer is a reply, whatever its status. A transport error (cannot
// connect, timeout, TLS) is kUnavailable with libcurl's reason and without
// the URL, which may carry credentials (a webhook's token): the caller names
// the target as it may be shown.
Result<HttpReply> HttpSend(const HttpCall& call);

}  // namespace dr::net
