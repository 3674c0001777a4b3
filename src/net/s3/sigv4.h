// AWS Signature Version 4 for S3 requests, signed with OpenSSL (no AWS SDK in
// Debian; libcurl's CURLOPT_AWS_SIGV4 in 7.88 neither sends the payload hash
// header nor canonicalizes the query, see shared/TESTENV.md). Written by hand
// from the AWS "Signature Version 4 signing process" specification and checked
// against its published example.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dr::net::s3 {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // optional (STS)
};

// Lowercase hex SHA-256, as S3 wants payload hashes.
std::string Sha256Hex(std::string_view data);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters stay, '/' stays only when asked.
std::string UriEncode(std::string_view s, bool keep_slash);

struct SignedRequest {
  std::string method;
  std::string host;                                        // "s3.amazonaws.com", "127.0.0.1:7480"
  std::string path;                                        // already encoded: "/bucket/key%20x"
  std::vector<std::pair<std::string, std::string>> query;  // raw (unencoded) names and values
  std::map<std::string, std::string> headers;              // lowercase names; host and x-amz-* are added
  std::string payload_sha256;                              // hex, or "UNSIGNED-PAYLOAD"
};

// The canonical query string: names and values encoded, sorted by name, "k=v" joined by '&'.
std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);

// Adds host, x-amz-date, x-amz-content-sha256 (and x-amz-security-token) and the
// Authorization header to request.headers.
void Sign(SignedRequest& request, const Credentials& credentials, const std::string& region,
          std::chrono::system_clock::time_point now);

}  // namespace dr::net::s3
