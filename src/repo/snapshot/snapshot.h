// Snapshots (docs/format.md §Snapshots): one sealed JSON manifest per backup,
// stored as snapshots/<backup id> and written last, after its packs and index
// are durable. What a component's items mean is the sources' business; the
// repository only needs each item's blob list (for check and prune) and its
// SHA-256 (for verify).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/result.h"
#include "repo/blob_id.h"

namespace dr::repo {

struct SnapshotItem {
  std::string name;          // unique within the component: "etc/ecap/app.yaml", "orders.csv"
  std::string kind;          // "file", "dir", "symlink", "stream", ...
  uint64_t size = 0;         // bytes of the restored stream
  std::string sha256;        // hex SHA-256 of the restored stream ("" for items without data)
  std::vector<BlobId> blobs; // in stream order
  nlohmann::json meta = nlohmann::json::object();  // source-specific: mode, mtime, link target, ...
};

// Where a component's items are stored in snapshot format 2 (docs/format.md
// §Item lists): `blobs` are item list blobs when levels is 0, else id list
// blobs one level up. Built by ItemListWriter, read by Repository::ForEachItem.
struct ItemList {
  int levels = 0;
  std::vector<BlobId> blobs;
  bool operator==(const ItemList&) const = default;
};

struct SnapshotComponent {
  std::string name;  // "files", "postgresql", "s3", "kafka"
  std::vector<SnapshotItem> items;  // empty in a summary (ParseSnapshot without items)
  nlohmann::json meta = nlohmann::json::object();
  uint64_t item_count = 0;  // set by parsing, with or without the items
  uint64_t item_bytes = 0;
  // Format 2: the stored item list. When set, it is what SaveSnapshot writes
  // (items, if also loaded, are ignored there); format-1 manifests have none.
  std::optional<ItemList> list;
};

struct SnapshotStats {
  uint64_t input_bytes = 0;    // bytes read from the sources
  uint64_t new_bytes = 0;      // plaintext bytes of blobs this backup added
  uint64_t stored_bytes = 0;   // bytes this backup added to storage (sealed, packed)
  uint64_t blob_count = 0;     // blobs referenced
  uint64_t new_blob_count = 0; // blobs added
  uint64_t metadata_bytes = 0; // plaintext bytes of item list blobs this backup added (format 2)
};

struct Snapshot {
  std::string backup_id;
  std::string backup_type = "full";
  std::string status = "completed";
  std::string start_time;  // ISO 8601 UTC
  std::string end_time;
  double duration_seconds = 0;
  std::vector<std::string> tags;
  std::string hostname;
  std::string username;
  std::string tool_version;
  SnapshotStats stats;
  std::vector<SnapshotComponent> components;

  nlohmann::json ToJson(bool with_blobs = true) const;
  static Result<Snapshot> FromJson(const nlohmann::json& j);
};

// One item as JSON (the manifest's and the item lines' form) and back;
// ItemFromJson is kCorrupt for what it cannot read.
nlohmann::json ItemToJson(const SnapshotItem& item, bool with_blobs);
Result<SnapshotItem> ItemFromJson(const nlohmann::json& j);

// Parses a snapshot manifest. Without items, each item is read and dropped as
// soon as it is counted: a summary of a backup of millions of files costs
// kilobytes, not the whole manifest (listing, retention). A format-2 manifest
// holds no items, only each component's ItemList and counts: its items are
// read through the repository (Repository::LoadSnapshot, ForEachItem).
Result<Snapshot> ParseSnapshot(std::string_view text, bool with_items);
// A summary is a Snapshot without items, each component carrying its
// item_count and item_bytes: what ParseSnapshot(text, false) returns.
// SummaryOf makes one of a whole snapshot (a backup just written) equal to
// the one parsing its manifest gives.
Snapshot SummaryOf(const Snapshot& whole);
// A summary as JSON and back, item counts included, for keeping summaries
// outside the repository (backup/summary_cache.h). Not the manifest format:
// no items are written. SummaryFromJson is kCorrupt for JSON it cannot read.
nlohmann::json SummaryToJson(const Snapshot& summary);
Result<Snapshot> SummaryFromJson(const nlohmann::json& j);

// Calls fn for every blob id the manifest references, without building it
// (nlohmann's SAX interface): prune's memory is its set of used ids.
Status ForEachSnapshotBlob(std::string_view text, const std::function<void(const BlobId&)>& fn);
// Calls fn with each item (and the index of its component in the manifest)
// without building the manifest: memory is one item, not 100,000 (backup show).
// The first error fn returns ends the walk and is returned.
Status ForEachSnapshotItem(std::string_view text, const std::function<Status(size_t, SnapshotItem&&)>& fn);

// Whether any component's items are in an item list (format 2), read from packs.
bool HasItemLists(const Snapshot& snapshot);

// The indices of the components in the order of their names, as a JSON object
// keyed by name lists them (the public JSON, `backup show`); of two components
// with the same name (no writer makes them) only the later is listed, as such
// an object keeps it.
std::vector<size_t> ComponentsByName(const Snapshot& snapshot);

// Backup ids are object names: [A-Za-z0-9._-], 1..128 characters, not starting with '.' or '-'.
Status ValidateBackupId(const std::string& id);

}  // namespace dr::repo
