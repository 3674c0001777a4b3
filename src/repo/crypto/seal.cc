#include "repo/crypto/seal.h"

#include <cstring>

#include "base/crypto.h"
#include "base/encoding.h"
#include "repo/compress/compress.h"

namespace dr::repo {

Payload EncodePayload(std::string_view plaintext, int level) {
  Payload p;
  if (level > 0) p.compression = compress::Compress(plaintext, level, p.data);
  if (p.compression == CompressionId::kNone) p.data.assign(plaintext);
  return p;
}

// The tag of an unencrypted object: SHA-256 over header, context and payload, truncated.
static std::string NoneTag(std::string_view aad, std::string_view payload) {
  crypto::Sha256Stream sha;
  sha.Update(aad);
  sha.Update(payload);
  return sha.Finish().substr(0, kSealTagSize);
}

static std::string MakeHeader(const SealKey& key, ObjectType type, CompressionId compression) {
  std::string header;
  header.reserve(kSealHeaderSize);
  header.push_back(static_cast<char>(kSealVersion));
  header.push_back(static_cast<char>(key.cipher));
  header.push_back(static_cast<char>(compression));
  header.push_back(static_cast<char>(type));
  PutU32(header, key.key_id);
  if (key.cipher == CipherId::kNone) {
    header.append(crypto::kNonceSize, '\0');
  } else {
    header += crypto::RandomBytes(crypto::kNonceSize);
  }
  return header;
}

std::string SealPayload(const SealKey& key, ObjectType type, const Payload& payload, std::string_view context) {
  std::string out = MakeHeader(key, type, payload.compression);
  out.reserve(kSealOverhead + payload.data.size());
  std::string_view header(out.data(), kSealHeaderSize);
  std::string aad = std::string(header) + std::string(context);
  if (key.cipher == CipherId::kAes256Gcm) {
    crypto::AesGcmSeal(key.key, aad.substr(8, crypto::kNonceSize), aad, payload.data, out);
  } else {
    out += payload.data;
    out += NoneTag(aad, payload.data);
  }
  return out;
}

Result<Payload> OpenPayload(const SealKey& key, ObjectType type, std::string_view sealed, std::string_view context) {
  if (sealed.size() < kSealOverhead) return Corrupt("sealed object is truncated (" + std::to_string(sealed.size()) + " bytes)");
  auto version = static_cast<uint8_t>(sealed[0]);
  auto cipher = static_cast<CipherId>(sealed[1]);
  auto compression = static_cast<CompressionId>(sealed[2]);
  auto stored_type = static_cast<ObjectType>(sealed[3]);
  if (version != kSealVersion) return Corrupt("unknown sealed object version " + std::to_string(version));
  if (stored_type != type) {
    return Corrupt("sealed object has type " + std::to_string(static_cast<int>(stored_type)) + ", expected " +
                   std::to_string(static_cast<int>(type)));
  }
  if (cipher != key.cipher) {
    return Corrupt(cipher == CipherId::kNone ? "object is unencrypted but the repository is encrypted"
                                             : "object is encrypted but the repository is not");
  }
  if (GetU32(sealed.data() + 4) != key.key_id) {
    return Corrupt("object was sealed with key id " + std::to_string(GetU32(sealed.data() + 4)) +
                   ", the repository key has id " + std::to_string(key.key_id));
  }
  std::string_view header = sealed.substr(0, kSealHeaderSize);
  std::string_view body = sealed.substr(kSealHeaderSize);
  std::string aad = std::string(header) + std::string(context);
  Payload p;
  p.compression = compression;
  if (cipher == CipherId::kAes256Gcm) {
    DR_ASSIGN_OR_RETURN(p.data, crypto::AesGcmOpen(key.key, header.substr(8), aad, body));
  } else if (cipher == CipherId::kNone) {
    std::string_view data = body.substr(0, body.size() - kSealTagSize);
    if (NoneTag(aad, data) != body.substr(data.size())) {
      return Corrupt("checksum mismatch (SHA-256)");
    }
    p.data.assign(data);
  } else {
    return Corrupt("unknown cipher id " + std::to_string(static_cast<int>(cipher)));
  }
  return p;
}

Result<std::string> DecodePayload(const Payload& payload, size_t max_size) {
  return compress::Decompress(payload.compression, payload.data, max_size);
}

std::string Seal(const SealKey& key, ObjectType type, std::string_view plaintext, int level,
                 std::string_view context) {
  return SealPayload(key, type, EncodePayload(plaintext, level), context);
}

Result<std::string> Unseal(const SealKey& key, ObjectType type, std::string_view sealed, size_t max_size,
                           std::string_view context) {
  DR_ASSIGN_OR_RETURN(Payload p, OpenPayload(key, type, sealed, context));
  return DecodePayload(p, max_size);
}

}  // namespace dr::repo
