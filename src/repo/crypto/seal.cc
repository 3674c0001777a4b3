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

namespace {

// A sealed object whose header this key and type accept.
struct Sealed {
  CipherId cipher;
  CompressionId compression;
  std::string_view header;
  std::string_view body;  // ciphertext and tag
};

Result<Sealed> CheckHeader(const SealKey& key, ObjectType type, std::string_view sealed) {
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
  if (cipher != CipherId::kAes256Gcm && cipher != CipherId::kNone) {
    return Corrupt("unknown cipher id " + std::to_string(static_cast<int>(cipher)));
  }
  return Sealed{cipher, compression, sealed.substr(0, kSealHeaderSize), sealed.substr(kSealHeaderSize)};
}

// The payload of an unencrypted object once its tag matched.
Result<std::string_view> CheckNoneTag(const Sealed& s, std::string_view aad) {
  std::string_view data = s.body.substr(0, s.body.size() - kSealTagSize);
  if (NoneTag(aad, data) != s.body.substr(data.size())) return Corrupt("checksum mismatch (SHA-256)");
  return data;
}

}  // namespace

Result<Payload> OpenPayload(const SealKey& key, ObjectType type, std::string_view sealed, std::string_view context) {
  DR_ASSIGN_OR_RETURN(Sealed s, CheckHeader(key, type, sealed));
  std::string aad = std::string(s.header) + std::string(context);
  Payload p;
  p.compression = s.compression;
  if (s.cipher == CipherId::kAes256Gcm) {
    DR_ASSIGN_OR_RETURN(p.data, crypto::AesGcmOpen(key.key, s.header.substr(8), aad, s.body));
  } else {
    DR_ASSIGN_OR_RETURN(std::string_view data, CheckNoneTag(s, aad));
    p.data.assign(data);
  }
  return p;
}

Status UnsealInto(const SealKey& key, ObjectType type, std::string_view sealed, std::string_view context, char* out,
                  size_t raw_length, std::string& scratch) {
  DR_ASSIGN_OR_RETURN(Sealed s, CheckHeader(key, type, sealed));
  std::string aad = std::string(s.header) + std::string(context);
  if (s.cipher == CipherId::kNone) {
    DR_ASSIGN_OR_RETURN(std::string_view data, CheckNoneTag(s, aad));
    return compress::DecompressInto(s.compression, data, out, raw_length);
  }
  size_t payload = s.body.size() - crypto::kTagSize;
  if (s.compression == CompressionId::kNone) {
    // Stored raw: decrypted straight into place.
    if (payload != raw_length) {
      return Corrupt("stored data is " + std::to_string(payload) + " bytes, expected " + std::to_string(raw_length));
    }
    return crypto::AesGcmOpenInto(key.key, s.header.substr(8), aad, s.body, out);
  }
  if (scratch.size() < payload) scratch.resize(payload);  // grows only: reused without being zeroed again
  DR_RETURN_IF_ERROR(crypto::AesGcmOpenInto(key.key, s.header.substr(8), aad, s.body, scratch.data()));
  return compress::DecompressInto(s.compression, std::string_view(scratch.data(), payload), out, raw_length);
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
