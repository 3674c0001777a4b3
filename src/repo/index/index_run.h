// A sorted run of index entries kept in an unlinked temporary file, so that
// the index of a repository with millions of blobs does not live in memory
// (issue 15). What stays in memory per run is a blocked Bloom filter (10 bits
// per entry: a lookup of a blob the run does not hold reads nothing) and the
// first id of every block of entries (a lookup that may hit reads one block
// with one pread, from the page cache as a rule). About 1.6 bytes per entry
// (10 bits of filter, a 32-byte key per 85 entries).
//
// The file is private to the process and gone when it exits, crashed or not
// (O_TMPFILE, or a name unlinked at once): it is a cache of the repository's
// index files, which stay the truth.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dr/result.h"
#include "repo/blob_id.h"

namespace dr::repo {

// Where one blob is: the pack by its number in the index's pack table.
struct IndexEntry {
  BlobId id;
  uint32_t pack = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
  uint32_t raw_length = 0;
};
static_assert(sizeof(IndexEntry) == 48, "index entries are stored as they are in memory");

inline bool IdLess(const BlobId& a, const BlobId& b) { return a.bytes < b.bytes; }

class IndexRun {
 public:
  ~IndexRun();
  IndexRun(const IndexRun&) = delete;
  IndexRun& operator=(const IndexRun&) = delete;

  // Writes entries, sorted by id with no id twice, to a new file in dir.
  static Result<std::unique_ptr<IndexRun>> Write(const std::string& dir, const std::vector<IndexEntry>& sorted);
  // One run holding every entry of `runs`, each sorted; an id in several keeps
  // the entry of the first run that has it. Reads and writes sequentially,
  // with buffers of a few MiB whatever the runs' sizes.
  static Result<std::unique_ptr<IndexRun>> Merge(const std::string& dir, const std::vector<const IndexRun*>& runs);

  // Thread-safe. kIoError when the file cannot be read.
  Result<std::optional<IndexEntry>> Find(const BlobId& id) const;
  bool MayHave(const BlobId& id) const;
  size_t count() const { return count_; }
  // Memory the run holds (filter and block keys), for tests and benchmarks.
  size_t memory_bytes() const;

 private:
  class Builder;
  class Cursor;
  IndexRun() = default;

  int fd_ = -1;
  size_t count_ = 0;
  std::vector<uint64_t> filter_;  // blocks of 8 words (512 bits)
  std::vector<BlobId> block_first_;
};

}  // namespace dr::repo
