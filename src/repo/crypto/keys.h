// Repository keys (docs/format.md §Keys). A repository has one set of data keys,
// generated at init: an AES-256 key for sealing, an HMAC key for blob ids, and
// the chunker seed. A key file (keys/<id>) holds them sealed with the user's
// 32-byte master key. Rotating the master key writes a new key file wrapping
// the same data keys, so every backup stays readable.
#pragma once

#include <cstdint>
#include <string>

#include "dr/result.h"
#include "repo/crypto/seal.h"

namespace dr::repo {

struct DataKeys {
  bool encrypted = true;
  uint32_t key_id = 1;
  std::string encryption_key;  // 32 bytes (unused when !encrypted)
  std::string id_key;          // 32 bytes: blob id = HMAC-SHA256(id_key, plaintext)
  uint64_t chunker_seed = 0;

  static DataKeys Generate(bool encrypted);
  SealKey seal_key() const;
};

// A short, stable, non-secret name for a master key: shown by `key check`,
// stored in key files so a wrong key is recognised without trying to decrypt.
std::string MasterKeyId(std::string_view master_key);

// The JSON text of a key file wrapping keys with master_key (empty when unencrypted).
std::string WrapDataKeys(const DataKeys& keys, std::string_view master_key, const std::string& created);

struct KeyFileInfo {
  std::string master_key_id;  // empty for an unencrypted repository
  std::string created;
  bool encrypted = true;
};
Result<KeyFileInfo> ReadKeyFileInfo(std::string_view key_file);

// Unwraps a key file. kWrongKey when master_key is not the one it was wrapped
// with; kCorrupt when the file is damaged.
Result<DataKeys> UnwrapDataKeys(std::string_view key_file, std::string_view master_key);

}  // namespace dr::repo
