// An S3 client on libcurl: SigV4-signed requests (sigv4.h) with the payload's
// SHA-256, path-style or virtual-hosted addressing against any endpoint (AWS,
// Ceph, MinIO), connection reuse through the shared HTTP transport (net/http.h), and retries
// with exponential backoff and jitter on 5xx, 429/503 SlowDown, timeouts and
// dropped connections. A rejected signature or credentials is never retried.
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "dr/clock.h"
#include "dr/result.h"
#include "net/http.h"
#include "net/s3/sigv4.h"

namespace dr::net::s3 {

struct S3Options {
  std::string endpoint = "https://s3.amazonaws.com";  // scheme://host[:port]
  std::string region = "us-east-1";
  std::string bucket;
  bool path_style = true;  // false: https://bucket.host/key
  Credentials credentials;
  int max_retries = 4;
  long timeout_seconds = 120;
  std::string ca_bundle;  // for https; $AWS_CA_BUNDLE when empty
  Clock* clock = &RealClock();
};

struct ListedObject {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  std::string last_modified;
};

struct S3Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
};

class S3Client {
 public:
  explicit S3Client(S3Options options);
  ~S3Client();

  // key empty: a bucket request. Retries what is worth retrying; the result is
  // the last response (any status) or kUnavailable when no response came.
  Result<S3Response> Send(const std::string& method, const std::string& key,
                          const std::vector<std::pair<std::string, std::string>>& query,
                          std::map<std::string, std::string> headers, std::string_view body);
  // The Status for an error response: 404 kNotFound, 403 kPermissionDenied, other kFailed/kUnavailable,
  // with S3's error code and message and `what` ("get s3://bucket/key").
  Status ErrorOf(const S3Response& response, const std::string& what) const;
  // ListObjectsV2 over every page under prefix; stops at the visitor's first error.
  Status ListObjects(const std::string& prefix, const std::function<Status(const ListedObject&)>& visit);
  // The names of the buckets these credentials own on the endpoint (ListBuckets, a service request).
  Result<std::vector<std::string>> ListBuckets();
  std::string Url(const std::string& key) const;  // s3://bucket/key, for messages
  const S3Options& options() const { return options_; }
  uint64_t requests() const;  // requests sent, retries included

 private:
  S3Options options_;
  std::string scheme_;
  std::string host_;
  HttpTransport transport_;  // its handles keep their connections to the endpoint
  mutable std::mutex mu_;    // guards requests_
  uint64_t requests_ = 0;
};

// Credentials from the configuration, else $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY
// (+ $AWS_SESSION_TOKEN), else ~/.aws/credentials ([$AWS_PROFILE or default]).
Result<Credentials> ResolveCredentials(const std::string& access_key, const std::string& secret_key);

}  // namespace dr::net::s3
