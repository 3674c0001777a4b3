// The encoding of item lists (docs/format.md §Item lists, snapshot format 2):
// a component's items as JSON lines cut into metadata blobs at item
// boundaries, and the lists of those blobs' ids cut the same way, level upon
// level, until few enough remain to name in the snapshot itself.
//
// Cuts are content-defined, so an unchanged run of items gives the same blobs
// as last time and costs nothing to store again: what an incremental backup
// writes grows with what changed, not with the number of items (restic's trees
// and Kopia's indirect objects do the same per directory and per object).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dr/result.h"
#include "repo/blob_id.h"
#include "repo/snapshot/snapshot.h"

namespace dr::repo {

// An item list blob holds whole lines; one is cut once it holds at least
// kItemBlobMin bytes and an item's name says so (about one cut per
// kItemBlobTarget bytes), or once it holds kItemBlobMax bytes.
inline constexpr size_t kItemBlobMin = 1u << 10;
inline constexpr size_t kItemBlobTarget = 4u << 10;
inline constexpr size_t kItemBlobMax = 64u << 10;
// An id list blob holds raw 32-byte ids: cut after an id whose last byte is a
// multiple of kIdCutModulus once it holds kIdBlobMin ids, or at kIdBlobMax.
inline constexpr size_t kIdBlobMin = 8;
inline constexpr size_t kIdCutModulus = 64;
inline constexpr size_t kIdBlobMax = 512;
// The snapshot names at most this many blobs per component; more go one level down.
inline constexpr size_t kItemListTopMax = 64;

// One item as one line of JSON ending in '\n' (the fields of a format-1 item).
std::string EncodeItemLine(const SnapshotItem& item);
Result<SnapshotItem> DecodeItemLine(std::string_view line);

// Whether an item list blob that holds `bytes` bytes, the last line being
// `line_size` bytes for the item `name`, ends here. `seed` is the
// repository's chunker seed: cut points reveal nothing of the names.
bool CutAfterItem(uint64_t seed, std::string_view name, size_t line_size, size_t bytes);
// Whether an id list blob holding `count` ids, the last being `id`, ends here.
bool CutAfterId(const BlobId& id, size_t count);

// Splits a concatenation of item lines, calling fn with each line (without its
// '\n'); kCorrupt when the text does not end in '\n'.
Status ForEachLine(std::string_view text, const std::function<Status(std::string_view)>& fn);
// The same, calling fn with each line decoded as an item.
Status ForEachItemLine(std::string_view text, const std::function<Status(SnapshotItem&&)>& fn);
// The ids of an id list blob's plaintext (raw 32-byte ids, in order); the
// caller checks that its size is a multiple of 32.
std::vector<BlobId> SplitIds(std::string_view raw);

}  // namespace dr::repo
