#include "net/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "base/encoding.h"
#include "net/curl_upload.h"

namespace dr::net {
namespace {

struct Download {
  std::string* body;
  size_t max;
  const std::map<std::string, std::string>* headers;
  bool sized = false;
};

size_t WriteBody(char* buf, size_t size, size_t n, void* user) {
  auto* down = static_cast<Download*>(user);
  size_t expected = 0;
  if (!down->sized) {
    // Room for the whole body at once: a pack range of several MiB grown by
    // doubling would be copied ~20 times and briefly held twice.
    down->sized = true;
    auto length = down->headers->find("content-length");
    if (length != down->headers->end() &&
        std::from_chars(length->second.data(), length->second.data() + length->second.size(), expected).ec == std::errc()) {
      // A server's claim is capped: a bogus Content-Length must not allocate gigabytes up front.
      expected = std::min({expected, down->max, size_t{256} << 20});
    } else {
      expected = 0;
    }
  }
  // No exception may cross libcurl's C frames: running out of memory ends the transfer as an error.
  try {
    if (expected > 0) down->body->reserve(expected);
    // Past the limit the bytes are dropped but accepted: the request still succeeds.
    if (down->body->size() < down->max) down->body->append(buf, std::min(size * n, down->max - down->body->size()));
  } catch (const std::exception&) {
    return 0;
  }
  return size * n;
}

size_t WriteHeader(char* buf, size_t size, size_t n, void* user) {
  std::string_view line(buf, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = std::string(TrimWhitespace(line.substr(colon + 1)));
  }
  return size * n;
}

// Failures where the server may answer another attempt.
bool RetryableCurl(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
}

}  // namespace

HttpTransport::HttpTransport() {
  // curl_global_init is not thread-safe and must run before any handle exists.
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpTransport::~HttpTransport() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpTransport::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpTransport::Release(void* handle) {
  std::lock_guard lock(mu_);
  idle_.push_back(handle);  // keeps its connection open for the next request
}

Result<HttpReply> HttpTransport::Perform(const HttpCall& call) {
  auto* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) return Failed("unable to start an HTTP request");
  curl_easy_reset(curl);  // a reused handle keeps its connection, not the last request's options
  curl_slist* list = nullptr;
  for (const auto& h : call.headers) list = curl_slist_append(list, h.c_str());
  HttpReply reply;
  CurlUpload upload{call.body, 0};
  Download download{&reply.body, call.max_body, &reply.headers};
  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  if (call.path_as_is) curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  if (list != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  if (call.timeout_ms > 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, call.timeout_ms);
  if (call.connect_timeout_ms > 0) curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, call.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts: we are multi-threaded
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &download);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  if (!call.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, call.ca_bundle.c_str());
  if (call.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadCurlUpload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  } else if (call.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  } else if (call.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (call.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(curl);  // the connection may be broken: do not reuse it
    return Status(RetryableCurl(rc) ? Code::kUnavailable : Code::kFailed, curl_easy_strerror(rc));
  }
  Release(curl);
  return reply;
}

Result<HttpReply> HttpSend(const HttpCall& call) {
  HttpTransport transport;  // its own: a check must not ride on a connection an earlier one opened
  HttpCall bounded = call;
  bounded.max_body = std::min<size_t>(call.max_body, 1u << 20);
  return transport.Perform(bounded);
}

Result<HttpReply> HttpRequest(const std::string& method, const std::string& url, const std::string& body,
                              long timeout_ms) {
  HttpCall call{.method = method, .url = url, .timeout_ms = timeout_ms};
  if (method == "POST") {
    call.headers.push_back("Content-Type: application/json");
    call.body = body;
  }
  auto reply = HttpSend(call);
  if (!reply.ok()) return Unavailable(method + " " + url + ": " + reply.status().message());
  return reply;
}

}  // namespace dr::net
