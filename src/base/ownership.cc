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
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;
  GiveToDirectoryOwner(fd, parent);
  ::close(fd);
}

}  // namespace dr
