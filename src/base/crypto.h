// Cryptographic primitives over OpenSSL EVP: SHA-256, HMAC-SHA256, AES-256-GCM,
// random bytes. Knows nothing of packs, blobs or storage.
#pragma once

#include <string>
#include <string_view>

#include "dr/result.h"

namespace dr::crypto {

inline constexpr size_t kKeySize = 32;
inline constexpr size_t kNonceSize = 12;
inline constexpr size_t kTagSize = 16;

std::string RandomBytes(size_t n);
std::string Sha256(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);

// Incremental SHA-256 for streams.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view data);
  std::string Finish();  // 32 raw bytes; the stream cannot be updated afterwards

 private:
  void* ctx_;  // EVP_MD_CTX*
};

// Appends ciphertext || tag to out.
void AesGcmSeal(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view plaintext,
                std::string& out);
// Returns plaintext, or kCorrupt when the tag does not authenticate (wrong key or damaged data).
Result<std::string> AesGcmOpen(std::string_view key, std::string_view nonce, std::string_view aad,
                               std::string_view ciphertext_and_tag);
// The same into out, which has room for the plaintext (the input less the tag):
// restore opens blobs into reused buffers, without allocating or zeroing them.
Status AesGcmOpenInto(std::string_view key, std::string_view nonce, std::string_view aad,
                      std::string_view ciphertext_and_tag, char* out);

}  // namespace dr::crypto
