// Where objects live inside a repository, the same for every backend
// (docs/format.md §Layout):
//   config                     repository config (plaintext JSON)
//   keys/<id>                  master-key-wrapped data keys
//   data/<first 2 hex>/<id>    pack files
//   index/<id>                 index files
//   snapshots/<backup id>      one per backup
//   locks/<id>                 lock files
//   wal/<segment name>         archived PostgreSQL WAL files (their own objects, not deduplicated)
#pragma once

#include <optional>
#include <string>

#include "dr/backend.h"

namespace dr::storage {

std::string ObjectPath(const ObjectName& name);
// The directory (relative) that holds objects of a kind; "" for kConfig.
std::string KindDir(ObjectKind kind);
// Checks that an id is safe as a path component: [0-9A-Za-z._-], not starting with '.'.
Status ValidateObjectId(const ObjectName& name);

}  // namespace dr::storage
