#include "net/http.h"

#include <curl/curl.h>

namespace dr::net {
namespace {

size_t Collect(char* p, size_t size, size_t n, void* out) {
  auto* s = static_cast<std::string*>(out);
  if (s->size() < (1u << 20)) s->append(p, size * n);
  return size * n;
}

}  // namespace

Result<HttpReply> HttpSend(const HttpCall& call) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Failed("unable to start an HTTP request");
  HttpReply reply;
  curl_slist* headers = nullptr;
  for (const auto& h : call.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, call.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  if (headers != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!call.body.empty() || call.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(call.body.size()));
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return Unavailable(curl_easy_strerror(rc));
  return reply;
}

Result<HttpReply> HttpRequest(const std::string& method, const std::string& url, const std::string& body,
                              long timeout_ms) {
  HttpCall call{.method = method, .url = url, .timeout_ms = timeout_ms};
  if (method == "POST") {
    call.body = body;
    call.headers.push_back("Content-Type: application/json");
  }
  auto reply = HttpSend(call);
  if (!reply.ok()) return Unavailable(method + " " + url + ": " + reply.status().message());
  return reply;
}

}  // namespace dr::net
