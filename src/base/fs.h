// Small POSIX file helpers with errors as Status values naming the path.
#pragma once

#include <string>
#include <string_view>

#include "dr/result.h"

namespace dr {

Result<std::string> ReadFile(const std::string& path);

struct WriteFileOptions {
  int mode = 0644;
  bool overwrite = true;  // false: kAlreadyExists when path exists (atomic: link(2), not rename(2))
  bool sync = true;       // fsync the file and its directory
};

// Writes data to path atomically: a temporary file beside it, fsync, then
// rename (or link when overwrite is false), then fsync of the directory. A
// process killed at any point leaves either the old state or the whole new file,
// plus at most a ".tmp-*" file that readers ignore. Run as root, the new file
// keeps the owner of the one it replaces, or gets its directory's owner
// (base/ownership.h: GiveReplacementOwner), before the rename.
Status WriteFileAtomic(const std::string& path, std::string_view data, const WriteFileOptions& options);

// mkdir -p with the given mode for directories it creates.
Status MakeDirs(const std::string& path, int mode = 0755);

Status SyncDir(const std::string& dir);

bool IsTempName(std::string_view filename);

}  // namespace dr
