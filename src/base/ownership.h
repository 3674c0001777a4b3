// Files root writes for another user. PostgreSQL runs ecap-dr as postgres
// (archive_command: wal push), while people and timers often run it as root,
// against the same repository, key file, audit log and state directory. A
// file or directory root creates there as root-owned 0600/0700 would lock
// postgres out (archiving stops: "Permission denied"). So when the process is
// root and the directory it creates something in belongs to another user,
// the new file or directory is given to that user and group: whoever owns a
// directory of ecap-dr keeps being able to read and replace what is in it.
// And a file root replaces keeps its owner when that is not root. Not root,
// or root's own directory and files: nothing changes.
//
// Only what root itself just made is given away: a regular file or a
// directory that is still root's, with one link, reached without following a
// symlink. The directory's owner could otherwise point root's chown at any
// file of the system (a symlink or hard link planted under the expected
// name). Best effort: root without CAP_CHOWN (a container, root-squashed NFS)
// keeps what it made, as before.
#pragma once

#include <string>

namespace dr {

// The open file or directory `fd`, just made at `path`, to its directory's owner.
void GiveToDirectoryOwner(int fd, const std::string& path);
// The open file `fd`, about to replace `path` (rename): to the owner of the
// regular file it replaces when that is not root (a key file postgres reads
// in root's directory stays postgres's), else as GiveToDirectoryOwner.
void GiveReplacementOwner(int fd, const std::string& path);
// The file or directory at `path`, just made (by path, without following a
// symlink or opening it), to its directory's owner.
void GiveToParentOwner(const std::string& path);

}  // namespace dr
