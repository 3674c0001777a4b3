#include "base/ownership.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

namespace dr {
namespace {

// dir's owner and group when root creates in a directory that is not root's.
std::optional<struct stat> OwnerToGive(const std::string& dir) {
  if (::geteuid() != 0) return std::nullopt;
  struct stat st {};
  if (::stat(dir.empty() ? "." : dir.c_str(), &st) != 0 || st.st_uid == 0) return std::nullopt;
  return st;
}

}  // namespace

Status GiveToDirectoryOwner(int fd, const std::string& dir) {
  auto owner = OwnerToGive(dir);
  if (!owner || ::fchown(fd, owner->st_uid, owner->st_gid) == 0) return Status::Ok();
  return ErrnoStatus(errno, "unable to give a new file in '" + dir + "' to its owner (uid " +
                                std::to_string(owner->st_uid) + ")");
}

Status GiveToParentOwner(const std::string& path, const std::string& parent) {
  auto owner = OwnerToGive(parent);
  if (!owner || ::chown(path.c_str(), owner->st_uid, owner->st_gid) == 0) return Status::Ok();
  return ErrnoStatus(errno, "unable to give '" + path + "' to the owner of '" + parent + "'");
}

}  // namespace dr
