#include "repo/crypto/keys.h"

#include <nlohmann/json.hpp>

#include "base/crypto.h"
#include "base/encoding.h"

namespace dr::repo {

using nlohmann::json;

DataKeys DataKeys::Generate(bool encrypted) {
  DataKeys k;
  k.encrypted = encrypted;
  k.encryption_key = encrypted ? crypto::RandomBytes(32) : std::string();
  k.id_key = crypto::RandomBytes(32);
  k.chunker_seed = GetU64(crypto::RandomBytes(8).data());
  return k;
}

SealKey DataKeys::seal_key() const {
  if (!encrypted) return {.cipher = CipherId::kNone, .key_id = key_id, .key = ""};
  return {.cipher = CipherId::kAes256Gcm, .key_id = key_id, .key = encryption_key};
}

std::string MasterKeyId(std::string_view master_key) {
  return HexEncode(crypto::HmacSha256(master_key, "ecap-dr master key id").substr(0, 8));
}

static json KeysToJson(const DataKeys& keys) {
  return json{{"key_id", keys.key_id},
              {"encryption_key", Base64Encode(keys.encryption_key)},
              {"id_key", Base64Encode(keys.id_key)},
              {"chunker_seed", std::to_string(keys.chunker_seed)}};
}

std::string WrapDataKeys(const DataKeys& keys, std::string_view master_key, const std::string& created) {
  json file{{"version", 1}, {"created", created}};
  std::string inner = KeysToJson(keys).dump();
  if (keys.encrypted) {
    SealKey master{.cipher = CipherId::kAes256Gcm, .key_id = 0, .key = std::string(master_key)};
    file["cipher"] = "aes-256-gcm";
    file["master_key_id"] = MasterKeyId(master_key);
    file["wrapped"] = Base64Encode(Seal(master, ObjectType::kKeyFile, inner, 0));
  } else {
    file["cipher"] = "none";
    file["data"] = json::parse(inner);
  }
  return file.dump(2) + "\n";
}

static Result<json> ParseKeyFile(std::string_view key_file) {
  json file = json::parse(key_file, nullptr, /*allow_exceptions=*/false);
  if (!file.is_object() || !file.contains("cipher")) return Corrupt("key file is not valid JSON");
  return file;
}

Result<KeyFileInfo> ReadKeyFileInfo(std::string_view key_file) {
  DR_ASSIGN_OR_RETURN(json file, ParseKeyFile(key_file));
  KeyFileInfo info;
  info.encrypted = file.value("cipher", "") != "none";
  info.master_key_id = file.value("master_key_id", "");
  info.created = file.value("created", "");
  return info;
}

static Result<DataKeys> KeysFromJson(const json& j, bool encrypted) {
  if (!j.is_object()) return Corrupt("key file holds no keys");
  DataKeys k;
  k.encrypted = encrypted;
  auto enc = Base64Decode(j.value("encryption_key", ""));
  auto id = Base64Decode(j.value("id_key", ""));
  if (!id || id->size() != 32 || (encrypted && (!enc || enc->size() != 32))) return Corrupt("key file holds malformed keys");
  k.encryption_key = encrypted ? *enc : std::string();
  k.id_key = *id;
  k.key_id = j.value("key_id", 1u);
  try {
    k.chunker_seed = std::stoull(j.value("chunker_seed", "0"));
  } catch (const std::exception&) {
    return Corrupt("key file holds a malformed chunker seed");
  }
  return k;
}

Result<DataKeys> UnwrapDataKeys(std::string_view key_file, std::string_view master_key) {
  DR_ASSIGN_OR_RETURN(json file, ParseKeyFile(key_file));
  if (file.value("cipher", "") == "none") return KeysFromJson(file["data"], false);
  if (master_key.size() != 32) return Status(Code::kWrongKey, "the repository is encrypted and no key was given");
  if (file.value("master_key_id", "") != MasterKeyId(master_key)) {
    return Status(Code::kWrongKey, "key " + MasterKeyId(master_key) + " does not match key file of key " +
                                       file.value("master_key_id", "?"));
  }
  auto wrapped = Base64Decode(file.value("wrapped", ""));
  if (!wrapped) return Corrupt("key file has no wrapped keys");
  SealKey master{.cipher = CipherId::kAes256Gcm, .key_id = 0, .key = std::string(master_key)};
  DR_ASSIGN_OR_RETURN(std::string inner, Unseal(master, ObjectType::kKeyFile, *wrapped));
  json j = json::parse(inner, nullptr, false);
  return KeysFromJson(j, true);
}

}  // namespace dr::repo
