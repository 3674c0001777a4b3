// Writes a component's items as an item list (snapshot format 2, docs/format.md
// §Item lists) while the backup runs: items go to storage in blobs of a few
// KiB as they come, so a backup holds one blob's worth of items and one id
// list blob per level, not its millions of items.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "repo/repository.h"
#include "repo/snapshot/item_lines.h"

namespace dr::repo {

// Not thread-safe: one writer per component, fed from one thread.
class ItemListWriter {
 public:
  // top_max: how many blobs the snapshot may name (kItemListTopMax); tests
  // lower it to reach several levels with few items.
  explicit ItemListWriter(Repository& repo, size_t top_max = kItemListTopMax);
  Status Add(const SnapshotItem& item);
  // Writes what is pending and returns the list to name in the snapshot. The
  // blobs are in the open packs: Repository::Flush makes them durable.
  Result<ItemList> Finish();
  uint64_t count() const { return count_; }
  uint64_t bytes() const { return bytes_; }

 private:
  Status CutItems();
  Status AddId(size_t level, const BlobId& id);
  Status CutIds(size_t level);

  Repository& repo_;
  size_t top_max_;
  Status error_;  // the first failure: the items of a failed cut are gone, so every later call fails
  std::string items_;  // item lines of the blob being filled
  struct Level {
    std::string ids;  // raw ids of the blob being filled at this level
    size_t count = 0;
  };
  std::vector<Level> levels_;  // levels_[0] holds ids of item blobs
  uint64_t count_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace dr::repo
