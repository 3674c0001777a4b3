#include "storage/local/local_backend.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

#include "base/fs.h"
#include "storage/layout.h"

namespace dr::storage {
namespace {

class LocalBackend : public Backend {
 public:
  explicit LocalBackend(LocalOptions options) : options_(std::move(options)) {}

  BackendProperties Properties() const override { return {.location = options_.root, .max_connections = 8}; }

  Status Put(const ObjectName& name, std::string_view data, const PutOptions& put) override {
    DR_RETURN_IF_ERROR(ValidateObjectId(name));
    std::string path = PathOf(name);
    auto slash = path.rfind('/');
    DR_RETURN_IF_ERROR(MakeDirs(path.substr(0, slash), 0700));
    Status s = WriteFileAtomic(path, data, {.mode = 0600, .overwrite = put.overwrite, .sync = options_.sync});
    if (s.code() == Code::kAlreadyExists) return AlreadyExists(name.ToString() + " already exists in " + options_.root);
    return s;
  }

  Result<std::string> Get(const ObjectName& name, ByteRange range) override {
    DR_RETURN_IF_ERROR(ValidateObjectId(name));
    std::string path = PathOf(name);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return OpenError(errno, name);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoStatus(err, "unable to stat '" + path + "'");
    }
    auto size = static_cast<uint64_t>(st.st_size);
    uint64_t length = range.length == ByteRange::kToEnd ? size - std::min(size, range.offset) : range.length;
    if (range.offset > size || length > size - range.offset) {
      ::close(fd);
      return Corrupt(name.ToString() + " in " + options_.root + " is " + std::to_string(size) +
                     " bytes, shorter than the range " + std::to_string(range.offset) + "+" + std::to_string(length));
    }
    std::string out(length, '\0');
    size_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(range.offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int err = n < 0 ? errno : EIO;
        ::close(fd);
        return ErrnoStatus(err, "unable to read '" + path + "'");
      }
      done += static_cast<size_t>(n);
    }
    ::close(fd);
    return out;
  }

  Result<ObjectInfo> Stat(const ObjectName& name) override {
    DR_RETURN_IF_ERROR(ValidateObjectId(name));
    struct stat st {};
    if (::stat(PathOf(name).c_str(), &st) != 0) return OpenError(errno, name);
    return InfoOf(name, st);
  }

  Status List(ObjectKind kind, const std::function<Status(const ObjectInfo&)>& visit) override {
    if (kind == ObjectKind::kConfig) {
      auto info = Stat({kind, "config"});
      if (info.ok()) return visit(*info);
      return info.status().code() == Code::kNotFound ? Status::Ok() : info.status();
    }
    std::string dir = options_.root + "/" + KindDir(kind);
    if (kind == ObjectKind::kPack) {
      // data/ holds one level of 2-hex-digit subdirectories.
      return ListDir(dir, [&](const std::string& sub, bool is_dir) -> Status {
        if (!is_dir) return Status::Ok();
        return ListDir(dir + "/" + sub, [&](const std::string& file, bool file_is_dir) -> Status {
          if (file_is_dir) return Status::Ok();
          return VisitFile(kind, dir + "/" + sub + "/" + file, file, visit);
        });
      });
    }
    return ListDir(dir, [&](const std::string& file, bool is_dir) -> Status {
      if (is_dir) return Status::Ok();
      return VisitFile(kind, dir + "/" + file, file, visit);
    });
  }

  Status Remove(const ObjectName& name) override {
    DR_RETURN_IF_ERROR(ValidateObjectId(name));
    std::string path = PathOf(name);
    if (::unlink(path.c_str()) != 0) return OpenError(errno, name);
    if (options_.sync) return SyncDir(path.substr(0, path.rfind('/')));
    return Status::Ok();
  }

  // ".tmp-*" files sit beside the final names: in the root (config), in each
  // kind's directory, and in data/<2 hex>/.
  Status ListLeftovers(const std::function<Status(const Leftover&)>& visit) override {
    std::vector<std::string> dirs{""};
    for (ObjectKind kind : {ObjectKind::kKey, ObjectKind::kIndex, ObjectKind::kSnapshot, ObjectKind::kLock,
                            ObjectKind::kWal, ObjectKind::kPack}) {
      dirs.push_back(KindDir(kind) + "/");
    }
    DR_RETURN_IF_ERROR(ListDir(options_.root + "/" + KindDir(ObjectKind::kPack), [&](const std::string& sub, bool is_dir) {
      if (is_dir) dirs.push_back(KindDir(ObjectKind::kPack) + "/" + sub + "/");
      return Status::Ok();
    }));
    for (const auto& dir : dirs) {
      DR_RETURN_IF_ERROR(ListDir(options_.root + "/" + dir, [&](const std::string& file, bool is_dir) -> Status {
        if (is_dir || !IsTempName(file)) return Status::Ok();
        struct stat st {};
        if (::stat((options_.root + "/" + dir + file).c_str(), &st) != 0) {
          if (errno == ENOENT) return Status::Ok();  // renamed into place or removed meanwhile
          return ErrnoStatus(errno, "unable to stat '" + options_.root + "/" + dir + file + "'");
        }
        auto modified = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
        return visit(Leftover{dir + file, static_cast<uint64_t>(st.st_size), modified});
      }));
    }
    return Status::Ok();
  }

  Status RemoveLeftover(const Leftover& leftover) override {
    const std::string& name = leftover.name;
    auto slash = name.rfind('/');
    std::string file = slash == std::string::npos ? name : name.substr(slash + 1);
    if (!IsTempName(file) || name.find("..") != std::string::npos || name.starts_with('/')) {
      return InvalidArgument("'" + name + "' is not a temporary file of " + options_.root);
    }
    std::string path = options_.root + "/" + name;
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return NotFound("temporary file '" + name + "' not found in " + options_.root);
      return ErrnoStatus(errno, "unable to remove '" + path + "'");
    }
    return Status::Ok();
  }

 private:
  std::string PathOf(const ObjectName& name) const { return options_.root + "/" + ObjectPath(name); }

  Status OpenError(int err, const ObjectName& name) const {
    if (err == ENOENT) return NotFound(name.ToString() + " not found in " + options_.root);
    return ErrnoStatus(err, "unable to open " + name.ToString() + " in " + options_.root);
  }

  Status VisitFile(ObjectKind kind, const std::string& path, const std::string& file,
                   const std::function<Status(const ObjectInfo&)>& visit) {
    if (IsTempName(file)) return Status::Ok();
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return Status::Ok();  // removed while listing
      return ErrnoStatus(errno, "unable to stat '" + path + "'");
    }
    return visit(InfoOf({kind, file}, st));
  }

  static ObjectInfo InfoOf(const ObjectName& name, const struct stat& st) {
    auto since_epoch = std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
    return ObjectInfo{name, static_cast<uint64_t>(st.st_size),
                      std::chrono::system_clock::time_point(
                          std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch))};
  }

  static Status ListDir(const std::string& dir, const std::function<Status(const std::string&, bool)>& fn) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) return Status::Ok();
      return ErrnoStatus(errno, "unable to list '" + dir + "'");
    }
    Status status;
    while (dirent* entry = ::readdir(d)) {
      std::string file = entry->d_name;
      if (file == "." || file == "..") continue;
      bool is_dir = entry->d_type == DT_DIR;
      if (entry->d_type == DT_UNKNOWN) {
        struct stat st {};
        is_dir = ::stat((dir + "/" + file).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      status = fn(file, is_dir);
      if (!status.ok()) break;
    }
    ::closedir(d);
    return status;
  }

  LocalOptions options_;
};

}  // namespace

Result<std::unique_ptr<Backend>> NewLocalBackend(const LocalOptions& options) {
  if (options.root.empty()) return ConfigError("the repository path is empty");
  if (options.create_root) {
    DR_RETURN_IF_ERROR(MakeDirs(options.root, 0700).WithContext("unable to create repository directory"));
  }
  return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(options));
}

}  // namespace dr::storage
