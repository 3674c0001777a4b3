#include "drill/scratch_dir.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"

namespace dr::drill {

std::string ScratchBase(const std::string& root) { return root.empty() ? std::string("/tmp/ecap-dr-drill") : root; }

bool IsDrillDirectory(const std::filesystem::directory_entry& entry) {
  std::error_code ec;
  return entry.path().filename().string().rfind("drill-", 0) == 0 && entry.is_directory(ec) &&
         !entry.is_symlink(ec);
}

int LockDirectory(const std::string& dir, bool wait) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

Result<std::unique_ptr<ScratchDirectory>> ScratchDirectory::Hold(const std::string& root, const std::string& drill_id) {
  std::unique_ptr<ScratchDirectory> d(new ScratchDirectory());
  std::string base = ScratchBase(root);
  if (base.empty() || base[0] != '/') {
    return InvalidArgument("drill.scratch_dir must be an absolute path, not '" + base + "'");
  }
  d->path_ = base + "/" + drill_id;
  std::error_code ec;
  bool made_base = !std::filesystem::exists(base, ec);
  DR_RETURN_IF_ERROR(MakeDirs(d->path_, 0755));
  // The postgres user walks through them to a scratch data directory; a base
  // that was there (/tmp, say) keeps its own mode.
  if (made_base) ::chmod(base.c_str(), 0755);
  ::chmod(d->path_.c_str(), 0755);
  d->fd_ = LockDirectory(d->path_, true);
  if (d->fd_ < 0) return ErrnoStatus(errno, "unable to lock the drill's scratch directory " + d->path_);
  // Another drill's stale-target pass may have removed it between mkdir and flock.
  struct stat locked {}, named {};
  if (::fstat(d->fd_, &locked) != 0 || ::stat(d->path_.c_str(), &named) != 0 || locked.st_ino != named.st_ino ||
      locked.st_dev != named.st_dev) {
    return Failed("the drill's scratch directory " + d->path_ + " was removed as it was made: run the drill again");
  }
  return d;
}

ScratchDirectory::~ScratchDirectory() {
  if (fd_ >= 0) ::close(fd_);
}

Status HandToPostgres(const std::string& dir) {
  if (::geteuid() != 0) return Status::Ok();
  passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) return Failed("no 'postgres' user to run the scratch PostgreSQL server as");
  if (::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) return ErrnoStatus(errno, "unable to give '" + dir + "' to postgres");
  return Status::Ok();
}

}  // namespace dr::drill
