// Prune: remove the data no remaining snapshot references. Runs under the
// exclusive lock. Packs whose blobs are all unused are deleted; packs that are
// mostly unused (more than `repack_threshold` of their bytes) have their used
// blobs copied, still sealed, into new packs and are then deleted.
//
// Order, for crash safety: new packs and their index; then one new set of
// index files for everything kept; then the old index files are deleted; then
// the packs. Killed at any point, every snapshot still finds all its blobs (at
// worst some twice), and packs left without an index are picked up again.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "base/progress.h"
#include "repo/lock.h"
#include "repo/repository.h"

namespace dr::repo {

struct PruneOptions {
  bool dry_run = false;
  double repack_threshold = 0.5;  // repack a pack once more than this share of its bytes is unused
  Progress* progress = nullptr;
  // The caller's exclusive lock: confirmed before anything is deleted, so a
  // prune whose lock was lost (taken over as stale) deletes nothing.
  RepoLock* lock = nullptr;
};

struct PruneStats {
  uint64_t snapshots = 0;
  uint64_t packs = 0;
  uint64_t packs_deleted = 0;
  uint64_t packs_repacked = 0;
  uint64_t packs_written = 0;
  uint64_t blobs_used = 0;
  uint64_t blobs_unused = 0;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  uint64_t index_files_replaced = 0;
  nlohmann::json ToJson() const;
};

// The caller holds the exclusive lock (RepoLock::AcquireExclusive).
Result<PruneStats> Prune(Repository& repo, const PruneOptions& options);

}  // namespace dr::repo
