// Continuous WAL archiving: what `archive_command = 'ecap-dr wal push %p'` and
// `restore_command = 'ecap-dr wal fetch %f %p'` do. Each WAL file (segment,
// timeline history, backup label) is one sealed, compressed object in the
// repository (wal/<name>), never deduplicated and never overwritten.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "dr/result.h"
#include "repo/repository.h"

namespace dr::source::pg {

// 24 hex digits (a segment), 8 hex digits + ".history", a segment + ".partial",
// or a segment + ".XXXXXXXX.backup".
bool IsWalFileName(const std::string& name);

// Archives the file at path (relative paths are relative to the current
// directory, which PostgreSQL sets to the data directory). Pushing a file that
// is archived already with the same content succeeds (PostgreSQL may retry
// after a crash); with different content it fails and names both.
Status PushWal(repo::Repository& repo, const std::string& path, int compression_level);

// Asynchronous archiving, for a server that writes WAL faster than one push at
// a time can keep up with: besides `path`, pushes up to 4x`jobs` other files
// the server has marked ready (pg_wal/archive_status/*.ready) in parallel, and
// leaves a marker in spool_dir for each one that is durably archived; when the
// server then asks for those, the marker answers at once. Only `path`'s own
// result decides the exit status.
struct AsyncPushStats {
  uint64_t pushed = 0;        // files written to the repository by this call
  bool from_spool = false;    // `path` had been pushed ahead by an earlier call
};
Result<AsyncPushStats> PushWalAsync(repo::Repository& repo, const std::string& path, int compression_level,
                                    const std::string& spool_dir, int jobs);

// Writes the archived file `name` to dest (atomically). kNotFound when it was
// never archived: PostgreSQL asks for files that may not exist, and a non-zero
// exit is how it learns that.
Status FetchWal(repo::Repository& repo, const std::string& name, const std::string& dest);

// The newest archived segment name ("" when none) and how many WAL files there
// are; when the backend says when objects were written, the newest time a
// segment (or a .partial one) was archived.
struct ArchiveState {
  std::string newest_segment;
  uint64_t files = 0;
  std::optional<std::chrono::system_clock::time_point> newest_archived_at;
};
Result<ArchiveState> ReadArchiveState(Backend& backend);

// Whether a replay of the archive can reach `target` (recovery_target_time):
// PostgreSQL stops at the first commit stamped after the target, and every
// record in a segment was written before the segment was archived, so a target
// later than the newest segment's archiving ends the replay before the target
// (PostgreSQL 13+: "recovery ended before configured recovery target was
// reached", once the whole base backup is restored and replayed). kNotFound
// then, naming the newest segment and when it was archived. `skew` allows for
// the storage's clock being behind the database server's (and S3's whole
// seconds). No segment, or a backend that does not say when: Ok (PostgreSQL
// judges). A copy of the archive (a replica, written by replication) is newer
// than the archiving: the check is looser there, never wrong.
Status CheckArchiveReaches(const ArchiveState& state, std::chrono::system_clock::time_point target,
                           std::chrono::seconds skew = std::chrono::seconds(5));

}  // namespace dr::source::pg
