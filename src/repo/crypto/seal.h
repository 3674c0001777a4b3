// Sealed objects (docs/format.md §Sealed objects): a 20-byte header (format
// version, cipher, compression, object type, key id, nonce), the payload, and a
// 16-byte tag. With AES-256-GCM the header is the AAD and the tag authenticates
// both; in an unencrypted repository the tag is a truncated SHA-256, so damage
// is still detected.
//
// The two halves are separate so the repository can check its own output
// (restic's verifyCiphertext): EncodePayload compresses, SealPayload encrypts,
// OpenPayload authenticates and decrypts, DecodePayload decompresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dr/result.h"
#include "repo/format.h"

namespace dr::repo {

struct SealKey {
  CipherId cipher = CipherId::kAes256Gcm;
  uint32_t key_id = 0;
  std::string key;  // 32 bytes for AES-256-GCM, empty for kNone
};

struct Payload {
  CompressionId compression = CompressionId::kNone;
  std::string data;
};

// Compresses with zstd at level (level <= 0: never compress).
Payload EncodePayload(std::string_view plaintext, int level);
// `context` is authenticated with the object but not stored: a data blob passes
// its id, so a blob moved to another id's place fails authentication (and
// restore need not re-hash it). Opening must pass the same context.
std::string SealPayload(const SealKey& key, ObjectType type, const Payload& payload, std::string_view context = {});
// Authenticates and decrypts. kCorrupt names what failed; kWrongKey is never
// returned here: callers that know a wrong key is likely say so.
Result<Payload> OpenPayload(const SealKey& key, ObjectType type, std::string_view sealed,
                            std::string_view context = {});
Result<std::string> DecodePayload(const Payload& payload, size_t max_size = kMaxPlaintext);
// OpenPayload and DecodePayload at once into out, which has room for exactly
// raw_length bytes (kCorrupt when the object holds another length). scratch
// holds a compressed payload between the two steps; pass the same string again
// and nothing is allocated (restore's hot path: no allocation, no zeroing).
Status UnsealInto(const SealKey& key, ObjectType type, std::string_view sealed, std::string_view context, char* out,
                  size_t raw_length, std::string& scratch);

// Both halves at once, for small objects (indexes, snapshots, key files).
std::string Seal(const SealKey& key, ObjectType type, std::string_view plaintext, int level,
                 std::string_view context = {});
Result<std::string> Unseal(const SealKey& key, ObjectType type, std::string_view sealed,
                           size_t max_size = kMaxPlaintext, std::string_view context = {});

}  // namespace dr::repo
