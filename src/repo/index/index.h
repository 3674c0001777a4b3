// The index maps blob id -> (pack, offset, length). Index files (docs/format.md
// §Index) are sealed lists of packs with their entries; the Index is their
// union. An id may appear in several packs (two backups racing); any copy will
// do, and `repo check` accepts duplicates.
//
// Memory stays bounded whatever the number of blobs: the newest entries are
// in a hash map of at most `memory_entries`; when it is full they are sorted
// into a run on a temporary file (index_run.h), and runs of equal size are
// merged, so a lookup asks O(log n) runs, most answering from their filter
// alone. At 10 million blobs that is ~16 MB of filters and block keys instead
// of ~900 MB of map (docs/BENCHMARKS.md). The runs take ~48 bytes per blob on
// disk, twice that while two are merged.
//
// A spill (sorting a full map into a run, then the merges it triggers: seconds
// at 10 million blobs) runs outside the index's lock: the full map is frozen
// and still answers lookups while its run is written, and a run or a merged
// run joins the index in one short exclusive step. One spill at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "dr/result.h"
#include "repo/blob_id.h"
#include "repo/index/index_run.h"
#include "repo/pack/pack.h"

namespace dr::repo {

struct PackRecord {
  std::string pack_id;  // hex
  uint64_t size = 0;
  std::vector<PackEntry> entries;
};

std::string EncodeIndexFile(const std::vector<PackRecord>& packs);
Result<std::vector<PackRecord>> DecodeIndexFile(std::string_view plaintext);

struct BlobLocation {
  std::string pack_id;
  uint64_t pack_size = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
  uint32_t raw_length = 0;
};

struct IndexOptions {
  // Entries held in memory before they go to a run on disk (~90 bytes each).
  size_t memory_entries = 256 * 1024;
  // Where runs are kept; "": $TMPDIR, else /tmp.
  std::string spill_dir;
  // Called while a run is written, outside the index's lock (tests).
  std::function<void()> while_spilling;
};

// Thread-safe.
class Index {
 public:
  explicit Index(IndexOptions options = {});
  // Adds the pack's entries that the index does not know yet. Never fails: a
  // run that cannot be written (a full or missing spill_dir) keeps the entries
  // in memory, as before the index spilled, no further spill is tried, and
  // status() names the directory and why (a recovery host with a small /tmp
  // still opens its repository).
  // spill=false leaves a full map for SpillIfFull(): a caller that adds under
  // a lock of its own (the repository's, which its writers wait on) spills
  // after releasing it.
  void AddPack(const PackRecord& pack, bool spill = true);
  // Writes the in-memory entries to a run when they are at least
  // memory_entries (and merges runs), without holding the index's lock for it.
  void SpillIfFull();
  // A run that could not be read answers "not here" (a blob is stored twice,
  // a restore names the blob) and is kept in status().
  bool Has(const BlobId& id) const;
  std::optional<BlobLocation> Find(const BlobId& id) const;
  bool HasPack(const std::string& pack_id) const;
  // Every pack the index knows, with its size.
  std::vector<std::pair<std::string, uint64_t>> Packs() const;
  // Distinct blobs.
  size_t blob_count() const;
  // The first error writing or reading a run, or ok.
  Status status() const;
  // Runs on disk and the memory they hold (tests, benchmarks).
  size_t run_count() const;
  size_t run_memory_bytes() const;

 private:
  struct Entry {
    uint32_t pack = 0;
    uint32_t offset = 0;
    uint32_t length = 0;
    uint32_t raw_length = 0;
  };
  using Map = std::unordered_map<BlobId, Entry, BlobIdHash>;
  std::optional<IndexEntry> Lookup(const BlobId& id) const;  // mu_ held
  Status Spill();                                            // spill_mu_ held, mu_ not
  void Failed(const Status& s);                              // spill_mu_ held, mu_ not

  IndexOptions options_;
  std::mutex spill_mu_;      // one spill at a time; its holder alone changes runs_ and frozen_
  bool spill_ = true;        // false after a run could not be written (under mu_)
  mutable std::shared_mutex mu_;
  std::vector<std::pair<std::string, uint64_t>> packs_;
  std::unordered_map<std::string, uint32_t> pack_numbers_;
  Map blobs_;                                    // newest entries, not yet in a run
  std::unique_ptr<const Map> frozen_;            // a full map whose run is being written
  std::vector<std::unique_ptr<IndexRun>> runs_;  // oldest first, sizes falling
  mutable std::mutex error_mu_;
  mutable Status error_;
};

}  // namespace dr::repo
