#include "source/postgres/wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <future>

#include "base/fs.h"
#include "base/thread_pool.h"
#include "base/time_util.h"

namespace dr::source::pg {

namespace {
bool AllHex(const std::string& s, size_t from, size_t n) {
  if (s.size() < from + n) return false;
  for (size_t i = from; i < from + n; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(s[i])) || std::islower(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}
}  // namespace

bool IsWalFileName(const std::string& n) {
  if (n.size() == 24) return AllHex(n, 0, 24);
  if (n.size() == 16 && n.substr(8) == ".history") return AllHex(n, 0, 8);
  if (n.size() == 32 && n.substr(24) == ".partial") return AllHex(n, 0, 24);
  if (n.size() == 40 && n[24] == '.' && n.substr(33) == ".backup") return AllHex(n, 0, 24) && AllHex(n, 25, 8);
  return false;
}

// A read-only mapping of a whole file, populated up front: archiving reads a
// 16 MiB segment once, and copying it into a fresh buffer cost ~4,000 page
// faults per segment (a third of wal push's time, docs/BENCHMARKS.md).
class MappedFile {
 public:
  ~MappedFile() {
    if (addr_ != nullptr) ::munmap(addr_, size_);
  }
  Status Open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "unable to open '" + path + "'");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoStatus(err, "unable to stat '" + path + "'");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* a = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (a == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        return ErrnoStatus(err, "unable to map '" + path + "'");
      }
      addr_ = a;
    }
    ::close(fd);
    return Status::Ok();
  }
  std::string_view view() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
};

Status PushWal(repo::Repository& repo, const std::string& path, int compression_level) {
  std::string name = path.substr(path.rfind('/') + 1);
  if (!IsWalFileName(name)) return InvalidArgument("'" + name + "' is not a WAL file name");
  MappedFile file;
  DR_RETURN_IF_ERROR(file.Open(path));
  std::string_view data = file.view();
  Status s = repo.SaveObject(ObjectKind::kWal, name, data, compression_level);
  if (s.code() != Code::kAlreadyExists) return s.WithContext("archive WAL file '" + name + "'");
  // Archived before (PostgreSQL retries after a crash between archiving and noting it):
  // identical content is success, different content must never be overwritten.
  DR_ASSIGN_OR_RETURN(std::string archived, repo.LoadObject(ObjectKind::kWal, name));
  if (archived == data) return Status::Ok();
  return Status(Code::kAlreadyExists, "WAL file '" + name + "' is already archived in " + repo.location() +
                                          " with different content (" + std::to_string(archived.size()) + " vs " +
                                          std::to_string(data.size()) + " bytes); refusing to overwrite it");
}

Result<AsyncPushStats> PushWalAsync(repo::Repository& repo, const std::string& path, int compression_level,
                                    const std::string& spool_dir, int jobs) {
  std::string name = path.substr(path.rfind('/') + 1);
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (!IsWalFileName(name)) return InvalidArgument("'" + name + "' is not a WAL file name");
  DR_RETURN_IF_ERROR(MakeDirs(spool_dir, 0700).WithContext("unable to create the WAL spool directory"));
  AsyncPushStats stats;
  std::string marker = spool_dir + "/" + name + ".done";
  if (::unlink(marker.c_str()) == 0) {
    stats.from_spool = true;
    return stats;
  }
  // The backlog: files the server has finished and not yet archived, oldest first.
  std::vector<std::string> backlog;
  if (DIR* d = ::opendir((dir + "/archive_status").c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string f = e->d_name;
      if (f.size() > 6 && f.substr(f.size() - 6) == ".ready") {
        std::string wal = f.substr(0, f.size() - 6);
        if (wal != name && IsWalFileName(wal) && ::access((spool_dir + "/" + wal + ".done").c_str(), F_OK) != 0) {
          backlog.push_back(wal);
        }
      }
    }
    ::closedir(d);
  }
  std::sort(backlog.begin(), backlog.end());
  if (backlog.size() > static_cast<size_t>(4 * jobs)) backlog.resize(static_cast<size_t>(4 * jobs));
  ThreadPool pool(static_cast<size_t>(std::max(1, jobs)));
  auto own = pool.Submit([&] { return PushWal(repo, path, compression_level); });
  std::vector<std::pair<std::string, std::future<Status>>> ahead;
  for (const auto& wal : backlog) {
    ahead.emplace_back(wal, pool.Submit([&repo, &dir, wal, compression_level] {
                         return PushWal(repo, dir + "/" + wal, compression_level);
                       }));
  }
  for (auto& [wal, result] : ahead) {
    // A failure here is not this call's: the server asks for that file again later.
    if (result.get().ok()) {
      stats.pushed++;
      (void)WriteFileAtomic(spool_dir + "/" + wal + ".done", "", {.mode = 0600, .overwrite = true, .sync = false});
    }
  }
  DR_RETURN_IF_ERROR(own.get());
  stats.pushed++;
  return stats;
}

Status FetchWal(repo::Repository& repo, const std::string& name, const std::string& dest) {
  if (!IsWalFileName(name)) return InvalidArgument("'" + name + "' is not a WAL file name");
  auto data = repo.LoadObject(ObjectKind::kWal, name);
  if (!data.ok()) {
    if (data.status().code() == Code::kNotFound) return NotFound("WAL file '" + name + "' is not in the archive");
    return data.status();
  }
  // PostgreSQL reads the file as soon as restore_command returns: it must be whole.
  Status written = WriteFileAtomic(dest, *data, {.mode = 0600, .overwrite = true, .sync = false});
  // `wal fetch` answers kNotFound quietly ("not in the archive", which PostgreSQL
  // takes as the end of the archive): a destination that cannot be written
  // (ENOENT for its directory) must stay a loud error, not end recovery early.
  if (written.code() == Code::kNotFound) return Status(Code::kIoError, written.message());
  return written;
}

Result<ArchiveState> ReadArchiveState(Backend& backend) {
  ArchiveState state;
  DR_RETURN_IF_ERROR(backend.List(ObjectKind::kWal, [&](const ObjectInfo& info) {
    state.files++;
    // Segment names sort in WAL order within and across timelines.
    const std::string& id = info.name.id;
    if (id.size() == 24 && id > state.newest_segment) state.newest_segment = id;
    const bool records = id.size() == 24 || (id.size() == 32 && id.ends_with(".partial"));
    if (records && info.modified && (!state.newest_archived_at || *info.modified > *state.newest_archived_at)) {
      state.newest_archived_at = info.modified;
    }
    return Status::Ok();
  }));
  return state;
}

Status CheckArchiveReaches(const ArchiveState& state, std::chrono::system_clock::time_point target,
                           std::chrono::seconds skew) {
  if (!state.newest_archived_at || target <= *state.newest_archived_at + skew) return Status::Ok();
  return NotFound("the WAL archive does not reach " + FormatUtc(target) + ": the newest WAL in it was archived at " +
                  FormatUtc(*state.newest_archived_at) + " (its newest segment: " + state.newest_segment +
                  ") and nothing in it is later, so a replay would end before the target. Choose an earlier "
                  "time, or have the primary archive its current WAL first (SELECT pg_switch_wal(); "
                  "`ecap-dr wal status` shows how far the archive is behind)");
}

}  // namespace dr::source::pg
