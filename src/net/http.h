// The project's one libcurl client for HTTP. Every HTTP request goes through
// HttpTransport::Perform: the S3 client's signed requests (net/s3, which adds
// SigV4, retries and S3's error mapping on top), the coordinator's http health
// checks and etcd's JSON gateway (HttpRequest, below), the notification
// channels (HttpSend). SMTP has its own function beside it (net/smtp.h). Curl's handles, its
// global initialisation and the classification of its errors live here only.
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dr/result.h"

namespace dr::net {

// One request. Header lines are sent as given ("Name: value"; "Name:" removes
// a header curl would add, such as "Expect:"); curl sends Host from the URL.
struct HttpCall {
  std::string method = "GET";  // HEAD sends no body back; any other method is sent as named
  std::string url;
  std::vector<std::string> headers;
  // Sent by PUT (streamed from memory, Content-Length set) and POST; must stay
  // valid until Perform returns.
  std::string_view body;
  long timeout_ms = 0;          // the whole request; 0: no limit
  long connect_timeout_ms = 0;  // 0: curl's default (300 s)
  // Send the URL's path exactly: without it curl squashes "/./" and "/../"
  // (RFC 3986 dot segments), which are valid parts of S3 keys and signed as such.
  bool path_as_is = false;
  std::string ca_bundle;  // for https; empty: the system's
  size_t max_body = std::numeric_limits<size_t>::max();  // bytes of the reply's body kept; the rest is dropped
};

struct HttpReply {
  long status = 0;
  std::map<std::string, std::string> headers;  // lowercase names; the last of a repeated header
  std::string body;
};

// Thread-safe. Keeps the handles of finished requests (up to one per thread
// that used it at the same time) with their connections open, so the next
// request to the same server skips the TCP and TLS handshakes; a handle whose
// request failed in transport is closed instead, as its connection may be broken.
class HttpTransport {
 public:
  HttpTransport();
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Any HTTP status is a reply. A transport failure is kUnavailable when
  // another attempt may succeed (no connection, timeout, connection dropped
  // mid-reply, name not resolved) and kFailed otherwise (a malformed URL, a
  // TLS certificate that does not verify); the message is curl's.
  Result<HttpReply> Perform(const HttpCall& call);

 private:
  void* Acquire();  // CURL*
  void Release(void* handle);

  std::mutex mu_;
  std::vector<void*> idle_;
};

// A one-off request on a fresh connection, for the notification channels: the
// reply's body is kept to 1 MiB unless the call says less. A transport failure
// is Perform's, with curl's reason and never the URL, which may carry
// credentials (a webhook's token): the caller names the target as it may be shown.
Result<HttpReply> HttpSend(const HttpCall& call);

// A one-off request on a fresh connection, for the coordinator's http checks
// and etcd's JSON gateway: method "GET" or "POST" (body sent as
// application/json); the body of the reply is kept to 1 MiB. A transport
// failure is kUnavailable naming the method and URL.
Result<HttpReply> HttpRequest(const std::string& method, const std::string& url, const std::string& body,
                              long timeout_ms);

}  // namespace dr::net
