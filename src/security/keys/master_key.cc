#include "security/keys/master_key.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/fs.h"

namespace dr::security {

Result<std::string> ParseKey(std::string_view text, const std::string& what) {
  if (text.size() == 32 && !Base64Decode(text)) return std::string(text);  // raw key bytes
  auto key = Base64Decode(text);
  if (!key) return ConfigError(what + " is not valid base64 (expected base64 of 32 bytes)");
  if (key->size() != 32) {
    return ConfigError(what + " must be base64 of 32 bytes, got " + std::to_string(key->size()) + " bytes");
  }
  return *key;
}

Result<MasterKey> GenerateKeyFile(const std::string& path) {
  if (path.empty()) return ConfigError("no key file path given");
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    DR_RETURN_IF_ERROR(MakeDirs(path.substr(0, slash), 0700).WithContext("unable to create key directory"));
  }
  std::string key = crypto::RandomBytes(32);
  Status s = WriteFileAtomic(path, Base64Encode(key) + "\n", {.mode = 0600, .overwrite = false, .sync = true});
  if (s.code() == Code::kAlreadyExists) return AlreadyExists("key file '" + path + "' already exists; refusing to overwrite it");
  // A full disk and a directory the user may not write keep their codes (exit 6, 3).
  if (!s.ok()) {
    bool keep = s.code() == Code::kNoSpace || s.code() == Code::kPermissionDenied;
    return Status(keep ? s.code() : Code::kConfig, s.message());
  }
  return MasterKey{key, "key file '" + path + "'", true};
}

Result<MasterKey> LoadMasterKey(const config::EncryptionConfig& encryption, bool allow_generate) {
  if (const char* env = std::getenv(kKeyEnvVar); env != nullptr && *env != '\0') {
    std::string what = std::string("environment variable ") + kKeyEnvVar;
    DR_ASSIGN_OR_RETURN(std::string key, ParseKey(env, what));
    return MasterKey{key, what, false};
  }
  const std::string& path = encryption.key_file;
  if (path.empty()) {
    return ConfigError(std::string("no encryption key: set ") + kKeyEnvVar +
                       " (base64 of 32 bytes) or encryption.key_file in the configuration");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    if (encryption.auto_generate_key && allow_generate) return GenerateKeyFile(path);
    if (allow_generate) {  // a new repository: any new key will do
      return ConfigError("key file '" + path + "' does not exist (generate one with 'ecap-dr key generate --out " +
                         path + "', or set encryption.auto_generate_key)");
    }
    // An existing repository opens only with the key it was created with: a
    // freshly generated key would never open its backups, so do not suggest one.
    return ConfigError("key file '" + path + "' (encryption.key_file) does not exist: the repository can only be "
                       "opened with the master key it was created with; put that key back at " + path +
                       " from your copy, or give it in " + kKeyEnvVar +
                       " ('ecap-dr key generate' would make a new key, which cannot open existing backups)");
  }
  auto text = ReadFile(path);
  if (!text.ok()) {
    // An unreadable key file (wrong owner or mode) is a permission problem: exit 3.
    Code code = text.status().code() == Code::kPermissionDenied ? Code::kPermissionDenied : Code::kConfig;
    return Status(code, "unable to read key file: " + text.status().message());
  }
  DR_ASSIGN_OR_RETURN(std::string key, ParseKey(*text, "key file '" + path + "'"));
  return MasterKey{key, "key file '" + path + "'", false};
}

}  // namespace dr::security
