#include "net/s3/s3_client.h"

#include <openssl/evp.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include <pugixml.hpp>

#include "base/encoding.h"

namespace dr::net::s3 {

namespace {

bool RetryableStatus(long status) { return status == 500 || status == 502 || status == 503 || status == 504 || status == 429; }

}  // namespace

S3Client::S3Client(S3Options options) : options_(std::move(options)) {
  auto sep = options_.endpoint.find("://");
  scheme_ = sep == std::string::npos ? "https" : options_.endpoint.substr(0, sep);
  host_ = sep == std::string::npos ? options_.endpoint : options_.endpoint.substr(sep + 3);
  while (!host_.empty() && host_.back() == '/') host_.pop_back();
  if (options_.ca_bundle.empty()) {
    if (const char* ca = std::getenv("AWS_CA_BUNDLE"); ca != nullptr) options_.ca_bundle = ca;
  }
}

S3Client::~S3Client() = default;

uint64_t S3Client::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::string S3Client::Url(const std::string& key) const { return "s3://" + options_.bucket + "/" + key; }

Result<S3Response> S3Client::Send(const std::string& method, const std::string& key,
                                  const std::vector<std::pair<std::string, std::string>>& query,
                                  std::map<std::string, std::string> headers, std::string_view body) {
  // No bucket: a service request (ListBuckets) to the endpoint itself.
  bool service = options_.bucket.empty();
  std::string host = options_.path_style || service ? host_ : options_.bucket + "." + host_;
  std::string path = options_.path_style && !service ? "/" + options_.bucket : "";
  path += "/" + UriEncode(key, /*keep_slash=*/true);
  std::string canonical_query = CanonicalQuery(query);
  std::string url = scheme_ + "://" + host + path + (canonical_query.empty() ? "" : "?" + canonical_query);
  std::string payload_hash = Sha256Hex(body);
  std::mt19937_64 rng(std::random_device{}());
  std::string last_error;
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) {
      // Exponential backoff with full jitter, 100 ms doubling, capped at 5 s.
      long cap = std::min(5000L, 100L << std::min(attempt - 1, 6));
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<long>(cap / 2, cap)(rng)));
    }
    SignedRequest req{method, host, path, query, headers, payload_hash};
    Sign(req, options_.credentials, options_.region, options_.clock->Now());
    HttpCall call{.method = method,
                  .url = url,
                  .body = body,
                  .timeout_ms = options_.timeout_seconds * 1000,
                  .connect_timeout_ms = 10000,
                  // The path exactly as signed: "a/./b" is a valid key, and a
                  // path that differs from the signed one is SignatureDoesNotMatch.
                  .path_as_is = true,
                  .ca_bundle = scheme_ == "https" ? options_.ca_bundle : ""};
    for (const auto& [name, value] : req.headers) {
      if (name == "host") continue;  // curl sends it from the URL
      call.headers.push_back(name + ": " + value);
    }
    call.headers.push_back("Expect:");  // no 100-continue round trip
    auto reply = transport_.Perform(call);
    {
      std::lock_guard lock(mu_);
      requests_++;
    }
    if (!reply.ok()) {
      last_error = reply.status().message();
      if (reply.status().code() == Code::kUnavailable && attempt < options_.max_retries) continue;
      return Unavailable(method + " " + Url(key) + " at " + options_.endpoint + ": " + last_error +
                         (attempt > 0 ? " (after " + std::to_string(attempt + 1) + " attempts)" : ""));
    }
    S3Response response{reply->status, std::move(reply->headers), std::move(reply->body)};
    // A body shorter than announced is a dropped connection: retry.
    if (method != "HEAD" && response.headers.count("content-length") &&
        std::to_string(response.body.size()) != response.headers["content-length"] && attempt < options_.max_retries) {
      continue;
    }
    if (RetryableStatus(response.status) && attempt < options_.max_retries) continue;
    return response;
  }
}

Status S3Client::ListObjects(const std::string& prefix, const std::function<Status(const ListedObject&)>& visit) {
  std::string token;
  while (true) {
    std::vector<std::pair<std::string, std::string>> query{{"list-type", "2"}, {"prefix", prefix}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    DR_ASSIGN_OR_RETURN(auto r, Send("GET", "", query, {}, {}));
    if (r.status / 100 != 2) return ErrorOf(r, "unable to list " + Url(prefix));
    pugi::xml_document doc;
    if (!doc.load_buffer(r.body.data(), r.body.size())) return Corrupt("unreadable listing of " + Url(prefix));
    auto root = doc.child("ListBucketResult");
    for (auto c : root.children("Contents")) {
      // Parsed without std::stoull: a malformed listing is an error, not an exception.
      std::string_view size_text = c.child_value("Size");
      uint64_t size = 0;
      auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size);
      if (ec != std::errc() || end != size_text.data() + size_text.size()) {
        return Corrupt("the listing of " + Url(prefix) + " gives '" + c.child_value("Key") +
                       "' a size that is not a number: '" + std::string(size_text) + "'");
      }
      DR_RETURN_IF_ERROR(visit({c.child_value("Key"), size, c.child_value("ETag"), c.child_value("LastModified")}));
    }
    if (std::string(root.child_value("IsTruncated")) != "true") return Status::Ok();
    token = root.child_value("NextContinuationToken");
    if (token.empty()) return Corrupt("truncated listing without a continuation token for " + Url(prefix));
  }
}

Result<std::vector<std::string>> S3Client::ListBuckets() {
  S3Options o = options_;
  o.bucket.clear();
  S3Client service(o);
  DR_ASSIGN_OR_RETURN(S3Response r, service.Send("GET", "", {}, {}, {}));
  if (r.status != 200) return service.ErrorOf(r, "list the buckets");
  pugi::xml_document doc;
  if (!doc.load_buffer(r.body.data(), r.body.size())) {
    return Corrupt("the bucket listing of " + options_.endpoint + " is not XML");
  }
  std::vector<std::string> names;
  for (auto b : doc.child("ListAllMyBucketsResult").child("Buckets").children("Bucket")) {
    names.emplace_back(b.child_value("Name"));
  }
  return names;
}

Status S3Client::ErrorOf(const S3Response& r, const std::string& what) const {
  std::string code, message;
  pugi::xml_document doc;
  if (!r.body.empty() && doc.load_buffer(r.body.data(), r.body.size())) {
    code = doc.child("Error").child_value("Code");
    message = doc.child("Error").child_value("Message");
  }
  std::string text = what + " at " + options_.endpoint + ": HTTP " + std::to_string(r.status) +
                     (code.empty() ? "" : " " + code) + (message.empty() ? "" : " (" + message + ")");
  if (code == "NoSuchBucket") return NotFound(text + ": bucket '" + options_.bucket + "' does not exist");
  if (r.status == 404) return NotFound(text);
  if (code == "RequestTimeTooSkewed") return Failed(text + ": this machine's clock is off; fix the time (NTP)");
  // A refused signature or unknown key is a credentials problem; AccessDenied
  // means the credentials were accepted but a policy or ACL forbids this request.
  if (code == "AccessDenied") {
    return Status(Code::kPermissionDenied, text + ": the credentials are not allowed this request on s3://" +
                                               options_.bucket + " (bucket policy, ACL or IAM)");
  }
  if (r.status == 403 || r.status == 401) return Status(Code::kPermissionDenied, text + ": check the S3 credentials");
  if (RetryableStatus(r.status)) return Unavailable(text);
  return Failed(text);
}

Result<Credentials> ResolveCredentials(const std::string& access_key, const std::string& secret_key) {
  if (!access_key.empty() && !secret_key.empty()) return Credentials{access_key, secret_key, ""};
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (id && secret && *id && *secret) {
    const char* token = std::getenv("AWS_SESSION_TOKEN");
    return Credentials{id, secret, token ? token : ""};
  }
  const char* home = std::getenv("HOME");
  const char* profile_env = std::getenv("AWS_PROFILE");
  std::string profile = profile_env && *profile_env ? profile_env : "default";
  std::string path = std::string(home ? home : "") + "/.aws/credentials";
  std::ifstream in(path);
  std::string line, section;
  Credentials c;
  while (std::getline(in, line)) {
    std::string_view l = TrimWhitespace(line);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    if (l.front() == '[' && l.back() == ']') {
      section = std::string(TrimWhitespace(l.substr(1, l.size() - 2)));
      continue;
    }
    auto eq = l.find('=');
    if (section != profile || eq == std::string_view::npos) continue;
    std::string k(TrimWhitespace(l.substr(0, eq))), v(TrimWhitespace(l.substr(eq + 1)));
    if (k == "aws_access_key_id") c.access_key = v;
    if (k == "aws_secret_access_key") c.secret_key = v;
    if (k == "aws_session_token") c.session_token = v;
  }
  if (!c.access_key.empty() && !c.secret_key.empty()) return c;
  return ConfigError("no S3 credentials: set access_key_id/secret_access_key in the configuration, "
                     "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or profile '" + profile + "' in " + path);
}

}  // namespace dr::net::s3
