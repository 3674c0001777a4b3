// Repository checks, a user command (`repo check`, `verify`) and the test
// oracle run at the end of every test that writes a repository.
//
// Quick: every index opens, every indexed pack exists with the indexed size
// and its trailer (a few KiB at its end) authenticates and lists each
// referenced blob where the index says, every snapshot opens and every blob it
// references is indexed in a pack that exists. Full (read_data): additionally reads every pack (or, for one backup,
// every blob it references), authenticates and decompresses every blob, checks
// its id, and for a backup re-hashes each item against its recorded SHA-256.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/progress.h"
#include "repo/repository.h"

namespace dr::repo {

struct Finding {
  std::string severity;  // "error" or "warning"
  std::string message;
  std::string backup_id;
  std::string item;
  std::string pack;
  std::string blob;
  // What kind of problem: kCorrupt for damage; kUnavailable, kPermissionDenied,
  // ... when storage could not be read (that is not damage, and not exit 4);
  // kCancelled when the check was interrupted.
  Code code = Code::kCorrupt;
  nlohmann::json ToJson() const;
};

struct CheckReport {
  std::vector<Finding> findings;
  uint64_t packs = 0;
  uint64_t blobs = 0;
  uint64_t snapshots = 0;
  uint64_t bytes_read = 0;
  uint64_t leftovers = 0;  // temporary files of killed writers (a warning; prune removes old ones)
  uint64_t leftover_bytes = 0;
  bool ok() const;  // no error findings (warnings allowed)
  nlohmann::json ToJson() const;
};

struct CheckOptions {
  bool read_data = false;
  Progress* progress = nullptr;
};

// Asked to stop (Repository::CheckStop), ends between two snapshots or two
// packs with an error finding of code kCancelled; it only reads.
CheckReport CheckRepository(Repository& repo, const CheckOptions& options);

struct ItemVerification {
  std::string component;
  std::string item;
  std::string status;  // "passed" or "failed"
  std::vector<Finding> findings;
};

struct BackupVerification {
  std::string backup_id;
  bool full = false;
  std::vector<ItemVerification> items;
  std::vector<Finding> findings;  // problems not tied to an item (the snapshot itself)
  bool ok() const;
};

// Verifies one backup; an unreadable snapshot is a finding, not an error.
BackupVerification VerifyBackup(Repository& repo, const std::string& backup_id, bool full, Progress* progress);

}  // namespace dr::repo
