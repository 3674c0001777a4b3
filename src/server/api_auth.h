// Who is calling the daemon's HTTP API: the bearer tokens of
// automation.api.tokens, each mapped to a user of access_control.
//
// Tokens are read from their files once, at start (never inline in the
// configuration). A request names its token as
//   Authorization: Bearer <token>           (scripts, the API)
//   Authorization: Basic base64(user:token) (a browser's login prompt: the
//                                            status page's read-only login)
// and is then that user; with Basic the user must be the token's own. Tokens
// are compared by their SHA-256 in constant time, and only the digest is kept.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "dr/result.h"

namespace dr::server {

class TokenAuth {
 public:
  // kConfig naming the token file when one cannot be read, is empty or is
  // shorter than 16 characters, or when two users share a token. `warnings`
  // gets one line per token file others may read (group or world bits).
  static Result<TokenAuth> Load(const std::vector<config::ApiTokenConfig>& tokens,
                                std::vector<std::string>* warnings = nullptr);

  bool empty() const { return users_.empty(); }

  // The user an Authorization header's value names, or nullopt: no header,
  // an unknown token, a malformed header, or a Basic user not the token's.
  std::optional<std::string> UserFor(std::string_view authorization) const;

  // A session id for a request with this Authorization header: a short digest
  // of the credential (stable for the token, reveals nothing of it), joined to
  // a per-request id by the caller. Empty without a credential.
  static std::string CredentialId(std::string_view authorization);

 private:
  struct Entry {
    std::string user;
    std::string digest;  // SHA-256 of the token
  };
  std::optional<std::string> Match(std::string_view token) const;
  std::vector<Entry> users_;
};

}  // namespace dr::server
