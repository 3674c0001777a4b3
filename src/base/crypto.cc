#include "base/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>

namespace dr::crypto {
namespace {
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
}  // namespace

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  DR_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) == 1)
      << "the system random generator failed";
  return out;
}

std::string Sha256(std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  DR_CHECK(EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len, EVP_sha256(),
                      nullptr) == 1);
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  DR_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), U(data), data.size(),
                reinterpret_cast<unsigned char*>(out.data()), &len) != nullptr);
  return out;
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  DR_CHECK(EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) == 1);
}
Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256Stream::Update(std::string_view data) {
  DR_CHECK(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) == 1);
}
std::string Sha256Stream::Finish() {
  std::string out(32, '\0');
  unsigned int len = 0;
  DR_CHECK(EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), reinterpret_cast<unsigned char*>(out.data()), &len) ==
           1);
  return out;
}

void AesGcmSeal(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view plaintext,
                std::string& out) {
  DR_CHECK(key.size() == kKeySize && nonce.size() == kNonceSize);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  DR_CHECK(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(nonce)) == 1);
  int len = 0;
  if (!aad.empty()) {
    DR_CHECK(EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1);
  }
  size_t start = out.size();
  out.resize(start + plaintext.size() + kTagSize);
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + start);
  DR_CHECK(EVP_EncryptUpdate(ctx.get(), dst, &len, U(plaintext), static_cast<int>(plaintext.size())) == 1);
  int final_len = 0;
  DR_CHECK(EVP_EncryptFinal_ex(ctx.get(), dst + len, &final_len) == 1);
  DR_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, dst + plaintext.size()) == 1);
}

Result<std::string> AesGcmOpen(std::string_view key, std::string_view nonce, std::string_view aad,
                               std::string_view sealed) {
  DR_CHECK(key.size() == kKeySize && nonce.size() == kNonceSize);
  if (sealed.size() < kTagSize) return Corrupt("sealed data is shorter than its tag");
  std::string out(sealed.size() - kTagSize, '\0');
  DR_RETURN_IF_ERROR(AesGcmOpenInto(key, nonce, aad, sealed, out.data()));
  return out;
}

Status AesGcmOpenInto(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view sealed,
                      char* out) {
  DR_CHECK(key.size() == kKeySize && nonce.size() == kNonceSize);
  if (sealed.size() < kTagSize) return Corrupt("sealed data is shorter than its tag");
  size_t ct_len = sealed.size() - kTagSize;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  DR_CHECK(EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(nonce)) == 1);
  int len = 0;
  if (!aad.empty()) {
    DR_CHECK(EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1);
  }
  auto* dst = reinterpret_cast<unsigned char*>(out);
  DR_CHECK(EVP_DecryptUpdate(ctx.get(), dst, &len, U(sealed), static_cast<int>(ct_len)) == 1);
  std::string tag(sealed.substr(ct_len));
  DR_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) == 1);
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), dst + len, &final_len) != 1) {
    return Corrupt("authentication failed (AES-256-GCM tag mismatch)");
  }
  return Status::Ok();
}

}  // namespace dr::crypto
