// Prune: remove the data no remaining snapshot references. Runs under the
// exclusive lock. Packs whose blobs are all unused are deleted; packs that are
// mostly unused (more than `repack_threshold` of their bytes) have their used
// blobs copied, still sealed, into new packs and are then deleted.
//
// Order, for crash safety: new packs and their index; then one new set of
// index files for everything kept; then the old index files are deleted; then
// the packs. Killed at any point, every snapshot still finds all its blobs (at
// worst some twice), and packs left without an index are picked up again.
//
// Asked to stop (Repository::CheckStop: the repository's stop token or an
// interrupt), prune ends with kCancelled only where the repository is
// consistent: before writing anything; between two repacked packs (what was
// copied so far is flushed with its index first: blobs twice, never none);
// after the new index files are written and before the old ones are deleted
// (both sets present); and between two pack deletions, after the index swap
// (the packs not yet deleted are unindexed and unused: `repo check` warns of
// them, and the next prune, which reads the trailer of every unindexed pack,
// deletes them). The old index files are deleted as one step, never stopped
// halfway, since the packs they alone list would be left unindexed for nothing.
//
// Last, prune removes the leftovers of killed writers (Backend::ListLeftovers:
// local ".tmp-*" files) last written more than `leftover_min_age` ago. Backups
// run beside prune without the exclusive lock, so a leftover may belong to a Put
// still in progress; such a file is being written (a pack is at most ~16 MiB),
// so its mtime is recent. One hour leaves a wide margin over any live Put.
#pragma once

#include <chrono>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "base/progress.h"
#include "dr/clock.h"
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
  std::chrono::seconds leftover_min_age = std::chrono::hours(1);
  Clock* clock = &RealClock();  // "now", for leftover_min_age
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
  uint64_t leftovers_removed = 0;       // temporary files of killed writers (dry run: would remove)
  uint64_t leftover_bytes_removed = 0;
  uint64_t leftovers_kept = 0;          // younger than leftover_min_age: maybe a live writer's
  nlohmann::json ToJson() const;
};

// The caller holds the exclusive lock (RepoLock::AcquireExclusive).
Result<PruneStats> Prune(Repository& repo, const PruneOptions& options);

}  // namespace dr::repo
