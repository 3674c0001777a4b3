// Files root writes for another user. PostgreSQL runs ecap-dr as postgres
// (archive_command: wal push), while people and timers often run it as root,
// against the same repository, key file, audit log and state directory. A
// file or directory root creates there as root-owned 0600/0700 would lock
// postgres out (archiving stops: "Permission denied"). So when the process is
// root and the directory it creates something in belongs to another user,
// the new file or directory is given to that user and group: whoever owns a
// directory of ecap-dr keeps being able to read and replace what is in it.
// Not root, or root's own directory: nothing changes.
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

// The open file or directory `fd`, just made in directory `dir`, to dir's owner.
void GiveToDirectoryOwner(int fd, const std::string& dir);
// The file or directory `path` in `parent` (by path, without following a
// symlink or opening it), to parent's owner.
void GiveToParentOwner(const std::string& path, const std::string& parent);

}  // namespace dr
