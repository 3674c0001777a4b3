#include "base/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <random>

#include "base/ownership.h"

namespace dr {

static constexpr std::string_view kTempPrefix = ".tmp-";

bool IsTempName(std::string_view filename) { return filename.substr(0, kTempPrefix.size()) == kTempPrefix; }

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "unable to open '" + path + "'");
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoStatus(err, "unable to read '" + path + "'");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

static std::string DirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

static std::string TempNameFor(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, "%d-%llu-%llx", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(counter++), static_cast<unsigned long long>(rng()));
  return DirName(path) + "/" + std::string(kTempPrefix) + suffix;
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "unable to open directory '" + dir + "'");
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(err, "unable to sync directory '" + dir + "'");
  return Status::Ok();
}

Status WriteFileAtomic(const std::string& path, std::string_view data, const WriteFileOptions& options) {
  std::string tmp = TempNameFor(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, options.mode);
  if (fd < 0) return ErrnoStatus(errno, "unable to create '" + tmp + "'");
  auto fail = [&](int err, const std::string& what) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoStatus(err, what);
  };
  // open(2) applies the umask; the mode asked for (0600 for keys) must hold exactly.
  if (::fchmod(fd, static_cast<mode_t>(options.mode)) != 0) return fail(errno, "unable to chmod '" + tmp + "'");
  // O_EXCL made it: never a planted link. Before the rename: no moment when the file is root's.
  GiveReplacementOwner(fd, path);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno, "unable to write '" + path + "'");
    }
    off += static_cast<size_t>(n);
  }
  if (options.sync && ::fsync(fd) != 0) return fail(errno, "unable to sync '" + path + "'");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus(err, "unable to close '" + path + "'");
  }
  if (options.overwrite) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return ErrnoStatus(err, "unable to rename into '" + path + "'");
    }
  } else {
    // link(2) fails with EEXIST instead of replacing: exactly one racing writer wins.
    int rc = ::link(tmp.c_str(), path.c_str());
    int err = errno;
    ::unlink(tmp.c_str());
    if (rc != 0) {
      if (err == EEXIST) return AlreadyExists("'" + path + "' already exists");
      return ErrnoStatus(err, "unable to link into '" + path + "'");
    }
  }
  if (options.sync) return SyncDir(DirName(path));
  return Status::Ok();
}

Status MakeDirs(const std::string& path, int mode) {
  if (path.empty()) return Status::Ok();
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return IoError("'" + path + "' exists and is not a directory");
  }
  std::string parent = DirName(path);
  if (parent != path) DR_RETURN_IF_ERROR(MakeDirs(parent, mode));
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    if (errno == EEXIST) return Status::Ok();  // made by another process meanwhile
    return ErrnoStatus(errno, "unable to create directory '" + path + "'");
  }
  GiveToParentOwner(path);
  return Status::Ok();
}

}  // namespace dr
