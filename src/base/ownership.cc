#include "base/ownership.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dr {
namespace {

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// The owner of path's directory when root makes something there that is not root's directory.
bool DirectoryOwner(const std::string& path, struct stat* owner) {
  return ::geteuid() == 0 && ::stat(ParentOf(path).c_str(), owner) == 0 && owner->st_uid != 0;
}

// What root just made: still root's, a directory or a regular file with one link.
bool MadeByRoot(const struct stat& made) {
  return made.st_uid == 0 && (S_ISDIR(made.st_mode) || (S_ISREG(made.st_mode) && made.st_nlink == 1));
}

}  // namespace

void GiveToDirectoryOwner(int fd, const std::string& path) {
  struct stat owner {}, made {};
  if (!DirectoryOwner(path, &owner) || ::fstat(fd, &made) != 0 || !MadeByRoot(made)) return;
  (void)::fchown(fd, owner.st_uid, owner.st_gid);
}

void GiveReplacementOwner(int fd, const std::string& path) {
  if (::geteuid() != 0) return;
  struct stat replaced {}, made {};
  // A symlink planted under the name is replaced itself, never its target's owner taken.
  if (::lstat(path.c_str(), &replaced) != 0 || !S_ISREG(replaced.st_mode) || replaced.st_uid == 0) {
    return GiveToDirectoryOwner(fd, path);
  }
  if (::fstat(fd, &made) != 0 || !MadeByRoot(made) || !S_ISREG(made.st_mode)) return;
  (void)::fchown(fd, replaced.st_uid, replaced.st_gid);
}

void GiveToParentOwner(const std::string& path) {
  // By path, never by opening it: closing any descriptor of a file drops the
  // POSIX locks this process holds on it (SQLite's, on its database).
  struct stat owner {}, made {};
  if (!DirectoryOwner(path, &owner) || ::lstat(path.c_str(), &made) != 0 || !MadeByRoot(made)) return;
  (void)::fchownat(AT_FDCWD, path.c_str(), owner.st_uid, owner.st_gid, AT_SYMLINK_NOFOLLOW);
}

}  // namespace dr
