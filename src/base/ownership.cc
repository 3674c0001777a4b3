#include "base/ownership.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dr {

void GiveToDirectoryOwner(int fd, const std::string& dir) {
  if (::geteuid() != 0) return;
  struct stat parent {}, made {};
  if (::stat(dir.empty() ? "." : dir.c_str(), &parent) != 0 || parent.st_uid == 0) return;
  if (::fstat(fd, &made) != 0 || made.st_uid != 0) return;  // not root's: not ours to give
  const bool file = S_ISREG(made.st_mode) && made.st_nlink == 1;
  if (!file && !S_ISDIR(made.st_mode)) return;
  (void)::fchown(fd, parent.st_uid, parent.st_gid);
}

void GiveToParentOwner(const std::string& path, const std::string& parent) {
  if (::geteuid() != 0) return;
  // By path, never by opening it: closing any descriptor of a file drops the
  // POSIX locks this process holds on it (SQLite's, on its database).
  struct stat owner {}, made {};
  if (::stat(parent.empty() ? "." : parent.c_str(), &owner) != 0 || owner.st_uid == 0) return;
  if (::lstat(path.c_str(), &made) != 0 || made.st_uid != 0) return;  // a symlink is never followed
  const bool file = S_ISREG(made.st_mode) && made.st_nlink == 1;
  if (!file && !S_ISDIR(made.st_mode)) return;
  (void)::fchownat(AT_FDCWD, path.c_str(), owner.st_uid, owner.st_gid, AT_SYMLINK_NOFOLLOW);
}

}  // namespace dr
