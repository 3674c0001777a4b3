// Reads an item list (snapshot format 2) front to back, one batch of its list
// blobs at a time: the pull side of Repository::ForEachItem, for a walk that
// looks items up in the order the list has them (an incremental backup's
// base). Memory is one batch of items and one id list blob per level.
#pragma once

#include <cstddef>
#include <vector>

#include "repo/repository.h"

namespace dr::repo {

class ItemListReader {
 public:
  ItemListReader(Repository& repo, ItemList list);
  // The next item, or nullptr after the last; valid until the next call.
  Result<const SnapshotItem*> Next();

 private:
  // Loads the next batch of items; false at the end of the list.
  Result<bool> Refill();

  // List blobs restored at once: neighbouring ones are read together.
  static constexpr size_t kBatchBlobs = 64;
  Repository& repo_;
  struct Frame {
    int level = 0;  // of the blobs in ids: 0 item list blobs, above that id lists
    std::vector<BlobId> ids;
    size_t next = 0;
  };
  std::vector<Frame> stack_;
  std::vector<SnapshotItem> batch_;
  size_t pos_ = 0;
  Status error_;  // the first failure: every later Next returns it
};

}  // namespace dr::repo
