// Scratch directories of drills: <root>/<drill_id> (root "" is
// /tmp/ecap-dr-drill). A drill holds a flock on its directory while it runs
// (the kernel drops it when the process dies), so a directory nobody holds is
// stale: the next drill's pass over stale targets (scratch_restore.h) stops a
// scratch server left in <dir>/pg/data and removes it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "dr/result.h"

namespace dr::drill {

std::string ScratchBase(const std::string& root);  // root, or /tmp/ecap-dr-drill

// A directory a drill made in the scratch base ("drill-...", not a symlink):
// the only entries a pass over stale targets may remove.
bool IsDrillDirectory(const std::filesystem::directory_entry& entry);

// Opens `dir` and locks it: blocking when `wait`, else -1 when another
// process holds it. -1 also when it cannot be opened. The fd releases it.
int LockDirectory(const std::string& dir, bool wait);

// Makes <base>/<drill_id> (readable by the postgres user on the way to a
// scratch data directory; a base the drill makes is too, one that exists is
// left as it is) and locks it for as long as the object lives. The base must
// be an absolute path.
class ScratchDirectory {
 public:
  static Result<std::unique_ptr<ScratchDirectory>> Hold(const std::string& root, const std::string& drill_id);
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const std::string& path() const { return path_; }

 private:
  ScratchDirectory() = default;
  std::string path_;
  int fd_ = -1;
};

// When ecap-dr runs as root: gives `dir` to the postgres user, who runs the
// scratch PostgreSQL servers (PostgreSQL refuses root). Otherwise nothing.
Status HandToPostgres(const std::string& dir);

}  // namespace dr::drill
