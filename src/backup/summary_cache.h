// Summaries of snapshots kept between listings (issue 12): listing 10,000
// backups costs one LIST of the snapshot objects plus one read of this cache;
// only a snapshot not in it, or whose object changed size, is read from the
// repository (BackupManager::ListAllBackups).
//
// An entry is valid while the snapshot object has the size it had when the
// summary was read: snapshots are written once, and the one rewrite (pin,
// unpin) changes the size. A snapshot altered in place at the same size (a
// flipped bit on the storage) is therefore not noticed by a listing that has
// it cached; `repo check` and `verify` read the object itself and still do.
//
// Entries are keyed by repository (RepositoryKey: the id in its config object)
// and backup id. What an entry says is trusted like the audit log and the
// event history beside it: whoever can write the state directory can make a
// listing (and so retention, which decides on the listing) see other
// summaries, as they could rewrite the history. Restores, verifications and
// checks never read the cache.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "dr/result.h"
#include "repo/repository.h"
#include "repo/snapshot/snapshot.h"

namespace dr::backup {

class SummaryCache {
 public:
  struct Entry {
    uint64_t size = 0;       // of the sealed snapshot object the summary was read from
    repo::Snapshot summary;  // repo::SummaryOf: no items, item counts set
  };
  using Entries = std::map<std::string, Entry>;  // by backup id

  virtual ~SummaryCache() = default;
  // Every entry of the repository. An entry that cannot be read back (a
  // damaged row) is left out, so its snapshot is read again and the entry
  // replaced. An error means the cache as a whole could not be read: callers
  // list as with an empty cache, never fail for it.
  virtual Result<Entries> Load(const std::string& repository) = 0;
  // Adds the entries, replacing any of the same backup ids; all or none.
  virtual Status Put(const std::string& repository, const Entries& entries) = 0;
  // Removes the entries of these backup ids (ids without one are ignored).
  virtual Status Remove(const std::string& repository, const std::vector<std::string>& backup_ids) = 0;
};

// The cache's key for a repository: the id in its config object (random at
// `repo init`, copied to replicas, which hold the same snapshots), or its
// location when it has none.
std::string RepositoryKey(const repo::Repository& repository);

// In memory, for one process: what a manager uses when it is given no cache
// (no state directory). Safe for concurrent use.
class MemorySummaryCache : public SummaryCache {
 public:
  Result<Entries> Load(const std::string& repository) override;
  Status Put(const std::string& repository, const Entries& entries) override;
  Status Remove(const std::string& repository, const std::vector<std::string>& backup_ids) override;

 private:
  std::mutex mu_;
  std::map<std::string, Entries> repositories_;
};

}  // namespace dr::backup
