// Where the master key comes from (the guide's "Key Management"): the
// ECAP_BACKUP_ENCRYPTION_KEY environment variable (base64 of 32 bytes), else
// encryption.key_file, else, when encryption.auto_generate_key is set and the
// caller allows it (at `repo init`), a new key written to key_file with mode
// 0600. Bad keys are kConfig errors (exit 2) naming the variable or the file.
#pragma once

#include <string>

#include "config/config.h"
#include "dr/result.h"

namespace dr::security {

inline constexpr const char* kKeyEnvVar = "ECAP_BACKUP_ENCRYPTION_KEY";

struct MasterKey {
  std::string bytes;   // 32 bytes
  std::string source;  // for messages: "environment variable ...", "key file '...'"
  bool generated = false;
};

// Decodes a key given as base64 text (a trailing newline is fine) or as 32 raw bytes.
Result<std::string> ParseKey(std::string_view text, const std::string& what);

// The master key from $ECAP_BACKUP_ENCRYPTION_KEY, else from encryption.key_file.
// allow_generate is set only when creating a repository: then a missing key file
// is generated (with auto_generate_key) or `key generate` is suggested. Opening an
// existing repository never suggests a new key, which could not open it.
// kConfig for a missing or malformed key, kPermissionDenied for an unreadable file.
Result<MasterKey> LoadMasterKey(const config::EncryptionConfig& encryption, bool allow_generate);

// Writes a fresh random key (base64, one line) to path with mode 0600, creating
// parent directories with mode 0700. Refuses (kAlreadyExists) to overwrite.
Result<MasterKey> GenerateKeyFile(const std::string& path);

}  // namespace dr::security
