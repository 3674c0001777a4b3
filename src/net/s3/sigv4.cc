#include "net/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "base/encoding.h"
#include "base/time_util.h"

namespace dr::net::s3 {

std::string Sha256Hex(std::string_view data) {
  unsigned char out[32];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  return HexEncode({reinterpret_cast<const char*>(out), 32});
}

namespace {

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), 32);
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [k, v] : query) encoded.emplace_back(UriEncode(k, false), UriEncode(v, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

void Sign(SignedRequest& r, const Credentials& c, const std::string& region, std::chrono::system_clock::time_point now) {
  std::string amz_date = FormatUtcPattern(now, "%Y%m%dT%H%M%SZ");
  std::string day = amz_date.substr(0, 8);
  r.headers["host"] = r.host;
  r.headers["x-amz-date"] = amz_date;
  r.headers["x-amz-content-sha256"] = r.payload_sha256;
  if (!c.session_token.empty()) r.headers["x-amz-security-token"] = c.session_token;
  std::string canonical_headers, signed_headers;
  for (const auto& [name, value] : r.headers) {  // std::map: sorted by lowercase name
    if (name == "authorization") continue;
    canonical_headers += name + ":" + std::string(TrimWhitespace(value)) + "\n";
    signed_headers += (signed_headers.empty() ? "" : ";") + name;
  }
  std::string canonical = r.method + "\n" + r.path + "\n" + CanonicalQuery(r.query) + "\n" + canonical_headers + "\n" +
                          signed_headers + "\n" + r.payload_sha256;
  std::string scope = day + "/" + region + "/s3/aws4_request";
  std::string to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(canonical);
  std::string key = Hmac(Hmac(Hmac(Hmac("AWS4" + c.secret_key, day), region), "s3"), "aws4_request");
  r.headers["authorization"] = "AWS4-HMAC-SHA256 Credential=" + c.access_key + "/" + scope +
                               ",SignedHeaders=" + signed_headers + ",Signature=" + HexEncode(Hmac(key, to_sign));
}

}  // namespace dr::net::s3
