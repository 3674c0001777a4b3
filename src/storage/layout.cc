#include "storage/layout.h"

namespace dr {

const char* ObjectKindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kConfig: return "config";
    case ObjectKind::kKey: return "key";
    case ObjectKind::kPack: return "pack";
    case ObjectKind::kIndex: return "index";
    case ObjectKind::kSnapshot: return "snapshot";
    case ObjectKind::kLock: return "lock";
    case ObjectKind::kWal: return "WAL file";
  }
  return "object";
}

std::string ObjectName::ToString() const {
  return std::string(ObjectKindName(kind)) + " '" + id + "'";
}

}  // namespace dr

namespace dr::storage {

std::string KindDir(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kConfig: return "";
    case ObjectKind::kKey: return "keys";
    case ObjectKind::kPack: return "data";
    case ObjectKind::kIndex: return "index";
    case ObjectKind::kSnapshot: return "snapshots";
    case ObjectKind::kLock: return "locks";
    case ObjectKind::kWal: return "wal";
  }
  return "other";
}

std::string ObjectPath(const ObjectName& name) {
  if (name.kind == ObjectKind::kConfig) return "config";
  if (name.kind == ObjectKind::kPack) return "data/" + name.id.substr(0, 2) + "/" + name.id;
  return KindDir(name.kind) + "/" + name.id;
}

Status ValidateObjectId(const ObjectName& name) {
  const std::string& id = name.id;
  bool ok = !id.empty() && id.size() <= 200 && id[0] != '.';
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) ok = false;
  }
  if (name.kind == ObjectKind::kPack && id.size() < 2) ok = false;
  if (!ok) return InvalidArgument("invalid " + std::string(ObjectKindName(name.kind)) + " name '" + id + "'");
  return Status::Ok();
}

}  // namespace dr::storage
