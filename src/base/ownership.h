// Files root writes for another user. PostgreSQL runs ecap-dr as postgres
// (archive_command: wal push), while people and timers often run it as root,
// against the same repository, key file, audit log and state directory. A
// file or directory root creates there as root-owned 0600/0700 would lock
// postgres out (archiving stops: "Permission denied"). So when the process is
// root and the directory it creates something in belongs to another user,
// the new file or directory is given to that user and group: whoever owns a
// directory of ecap-dr keeps being able to read and replace what is in it.
// Not root, or root's own directory: nothing changes.
#pragma once

#include <string>

#include "dr/status.h"

namespace dr {

// The open file `fd`, just created in directory `dir`, to dir's owner.
Status GiveToDirectoryOwner(int fd, const std::string& dir);
// The directory or file `path`, just created in `parent`, to parent's owner.
Status GiveToParentOwner(const std::string& path, const std::string& parent);

}  // namespace dr
