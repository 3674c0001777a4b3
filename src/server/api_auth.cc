#include "server/api_auth.h"

#include <sys/stat.h>

#include <cstdio>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/fs.h"

namespace dr::server {
namespace {

// Equal digests, in time that does not depend on where they differ.
bool SameDigest(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// "Bearer x" -> ("bearer", "x"): the scheme lowercased, as RFC 9110 compares it.
std::pair<std::string, std::string_view> SplitScheme(std::string_view header) {
  header = TrimWhitespace(header);
  auto space = header.find(' ');
  if (space == std::string_view::npos) return {"", {}};
  std::string scheme(header.substr(0, space));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return {scheme, TrimWhitespace(header.substr(space + 1))};
}

std::string Octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", mode);
  return buf;
}

}  // namespace

Result<TokenAuth> TokenAuth::Load(const std::vector<config::ApiTokenConfig>& tokens, std::vector<std::string>* warnings) {
  TokenAuth auth;
  for (const auto& t : tokens) {
    std::string where = "automation.api.tokens (user '" + t.user + "'): token_file " + t.token_file;
    auto text = ReadFile(t.token_file);
    if (!text.ok()) return ConfigError(where + " cannot be read: " + text.status().message());
    std::string_view token = TrimWhitespace(*text);
    if (token.empty()) return ConfigError(where + " is empty");
    if (token.size() < 16) return ConfigError(where + " holds a token of " + std::to_string(token.size()) +
                                              " characters; use at least 16 (e.g. openssl rand -hex 32)");
    std::string digest = crypto::Sha256(token);
    for (const auto& other : auth.users_) {
      if (SameDigest(other.digest, digest)) {
        return ConfigError(where + " holds the same token as user '" + other.user + "'; give each user its own");
      }
    }
    struct stat st {};
    if (warnings != nullptr && ::stat(t.token_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      warnings->push_back(where + " may be read by others (mode " + Octal(st.st_mode & 0777) + "); chmod 600 it");
    }
    auth.users_.push_back({t.user, std::move(digest)});
  }
  return auth;
}

std::optional<std::string> TokenAuth::Match(std::string_view token) const {
  std::string digest = crypto::Sha256(token);
  std::optional<std::string> found;
  // Every entry is compared, so the time does not say which one matched.
  for (const auto& e : users_) {
    if (SameDigest(e.digest, digest)) found = e.user;
  }
  return found;
}

std::optional<std::string> TokenAuth::UserFor(std::string_view authorization) const {
  auto [scheme, credential] = SplitScheme(authorization);
  if (credential.empty()) return std::nullopt;
  if (scheme == "bearer") return Match(credential);
  if (scheme != "basic") return std::nullopt;
  auto decoded = Base64Decode(credential);
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto user = Match(std::string_view(*decoded).substr(colon + 1));
  if (!user || *user != decoded->substr(0, colon)) return std::nullopt;
  return user;
}

std::string TokenAuth::CredentialId(std::string_view authorization) {
  auto [scheme, credential] = SplitScheme(authorization);
  if (credential.empty()) return "";
  return HexEncode(crypto::Sha256(credential)).substr(0, 8);
}

}  // namespace dr::server
