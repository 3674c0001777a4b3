// The public JSON of a backup: what `backup list`, `backup show` and the API
// print. It is built here, apart from the snapshot's on-disk serializer
// (repo/snapshot/snapshot.h, whose fields are the repository format), so the
// format can change without changing what scripts read, and the other way.
//
// One shape everywhere: "components" is an object keyed by component name,
// each {"items": <count>, "size_bytes": ..., "meta": {...}} as `backup create`
// prints it; `backup show` adds "item_details", the items one by one.
#pragma once

#include <nlohmann/json.hpp>

#include "repo/snapshot/snapshot.h"

namespace dr::ops {

// with_items: add each component's item_details (the snapshot must hold its items).
// For a backup of many items, BackupJsonWriter (backup_json_writer.h) prints
// the same document without building it.
nlohmann::json BackupJson(const repo::Snapshot& s, bool with_items);
// One entry of item_details.
nlohmann::json ItemJson(const repo::SnapshotItem& item);

}  // namespace dr::ops
