#include "source/files/files_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "base/fs.h"

namespace dr::source {

using nlohmann::json;

namespace {

std::string ItemNameOf(const std::string& abs_path) {
  size_t start = abs_path.find_first_not_of('/');
  return start == std::string::npos ? "" : abs_path.substr(start);
}

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

std::string Normalize(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

int64_t Nanos(const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }

json MetaOf(const struct stat& st, int64_t settled_before_ns = 0) {
  json meta{{"mode", st.st_mode & 07777}, {"mtime", static_cast<int64_t>(st.st_mtime)},
            {"uid", st.st_uid}, {"gid", st.st_gid}};
  if (S_ISREG(st.st_mode) && Nanos(st.st_ctim) < settled_before_ns) {
    // What the next backup compares to decide a file is unchanged (FilesOptions::previous).
    meta["mtime_ns"] = Nanos(st.st_mtim);
    meta["ctime_ns"] = Nanos(st.st_ctim);
    meta["inode"] = static_cast<uint64_t>(st.st_ino);
  }
  return meta;
}

}  // namespace

bool WalkBefore(std::string_view a, std::string_view b) {
  while (true) {
    size_t ea = a.find('/'), eb = b.find('/');
    std::string_view ca = a.substr(0, ea), cb = b.substr(0, eb);
    if (ca != cb) return ca < cb;
    if (ea == std::string_view::npos) return eb != std::string_view::npos;  // a is b, or above it
    if (eb == std::string_view::npos) return false;
    a.remove_prefix(ea + 1);
    b.remove_prefix(eb + 1);
  }
}

FilesSource::FilesSource(FilesOptions options) : options_(std::move(options)) {}
FilesSource::~FilesSource() = default;

const repo::SnapshotItem* FilesSource::Unchanged(const std::string& name, const struct stat& st, BaseItems& base) const {
  const repo::SnapshotItem* found = base.Find(name);
  if (found == nullptr || found->kind != "file") return nullptr;
  const repo::SnapshotItem& item = *found;
  const json& meta = item.meta;
  auto same = [&](const char* key, auto value) {
    auto field = meta.find(key);
    return field != meta.end() && field->is_number_integer() && field->get<decltype(value)>() == value;
  };
  bool unchanged = item.size == static_cast<uint64_t>(st.st_size) && same("mtime_ns", Nanos(st.st_mtim)) &&
                   same("ctime_ns", Nanos(st.st_ctim)) && same("inode", static_cast<uint64_t>(st.st_ino));
  return unchanged ? &item : nullptr;
}

bool FilesSource::Excluded(const std::string& path) const {
  for (const auto& pattern : options_.exclude) {
    if (::fnmatch(pattern.c_str(), path.c_str(), 0) == 0) return true;
  }
  return false;
}

Status FilesSource::AddPath(ItemWriter& writer, const std::string& path) {
  if (Excluded(path)) return Status::Ok();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "unable to read '" + path + "'");
  std::string name = ItemNameOf(path);
  if (S_ISDIR(st.st_mode)) {
    if (!name.empty()) DR_RETURN_IF_ERROR(writer.AddEntry({name, "dir", MetaOf(st)}));
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return ErrnoStatus(errno, "unable to list directory '" + path + "'");
    std::vector<std::string> children;
    while (dirent* entry = ::readdir(dir)) {
      std::string child = entry->d_name;
      if (child != "." && child != "..") children.push_back(child);
    }
    ::closedir(dir);
    std::sort(children.begin(), children.end());  // stable item order, stable dedup
    for (const auto& child : children) {
      DR_RETURN_IF_ERROR(AddPath(writer, (path == "/" ? "" : path) + "/" + child));
    }
    return Status::Ok();
  }
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    if (n < 0) return ErrnoStatus(errno, "unable to read link '" + path + "'");
    json meta = MetaOf(st);
    meta["target"] = std::string(target, static_cast<size_t>(n));
    return writer.AddEntry({name, "symlink", meta});
  }
  if (!S_ISREG(st.st_mode)) return Status::Ok();  // sockets, fifos, devices: nothing to restore
  if (const repo::SnapshotItem* item = Unchanged(name, st, base_)) {
    // Its data must still be in the repository (a prune may have removed it); if not, it is read.
    if (writer.AddUnchanged(*item).ok()) {
      ++files_unchanged_;
      return Status::Ok();
    }
  }
  ++files_read_;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "unable to open '" + path + "'");
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);  // read once, front to back: larger readahead
  FdSource source(fd, path);
  int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.clock->Now().time_since_epoch()).count();
  Status s = writer.AddStream({name, "file", MetaOf(st, now_ns - 1000000000)}, source);
  ::close(fd);
  return s;
}

uint64_t FilesSource::SizeUnder(const std::string& path) const {
  if (Excluded(path)) return 0;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;  // AddPath reports it
  if (S_ISREG(st.st_mode)) {
    return Unchanged(ItemNameOf(path), st, size_base_) ? 0 : static_cast<uint64_t>(st.st_size);
  }
  if (!S_ISDIR(st.st_mode)) return 0;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return 0;
  std::vector<std::string> children;
  while (dirent* entry = ::readdir(dir)) {
    std::string child = entry->d_name;
    if (child != "." && child != "..") children.push_back(child);
  }
  ::closedir(dir);
  std::sort(children.begin(), children.end());  // the walk's order: the base is read in it
  uint64_t total = 0;
  for (const auto& child : children) total += SizeUnder((path == "/" ? "" : path) + "/" + child);
  return total;
}

std::vector<std::string> FilesSource::Roots() const {
  std::vector<std::string> roots;
  for (const auto& p : options_.paths) roots.push_back(Normalize(Absolute(p)));
  // Walked in order, so that the items are in walk order (BaseItems).
  std::stable_sort(roots.begin(), roots.end(),
                   [](const std::string& a, const std::string& b) { return WalkBefore(ItemNameOf(a), ItemNameOf(b)); });
  // A root given twice, or inside another (the walk does not follow symlinks,
  // so it is reached there as it is), would be walked twice: its items twice
  // in the list, out of walk order.
  std::vector<std::string> distinct;
  for (auto& root : roots) {
    if (!distinct.empty()) {
      const std::string& above = distinct.back();
      if (root == above || above == "/" || root.rfind(above + "/", 0) == 0) continue;
    }
    distinct.push_back(std::move(root));
  }
  return distinct;
}

Status FilesSource::Backup(ItemWriter& writer) {
  base_ = BaseItems(options_.previous, options_.open_list, WalkBefore);
  size_base_ = base_.Again();
  std::vector<std::string> roots = Roots();
  // A walk over the metadata first, as restic's scanner does, so that progress
  // can show a total, a percentage and an ETA. Standard input counts when it is
  // a file; from a pipe its size is unknown, and then so is the total.
  uint64_t expected = 0;
  bool known = true;
  for (const auto& root : roots) expected += SizeUnder(root);
  for (const auto& stream : options_.streams) {
    struct stat st {};
    if (::fstat(stream.fd, &st) == 0 && S_ISREG(st.st_mode)) {
      expected += static_cast<uint64_t>(st.st_size);
    } else {
      known = false;
    }
  }
  if (known) writer.ExpectBytes(expected);
  for (const auto& root : roots) DR_RETURN_IF_ERROR(AddPath(writer, root));
  for (const auto& stream : options_.streams) {
    FdSource source(stream.fd, stream.name);
    DR_RETURN_IF_ERROR(writer.AddStream({stream.name, "stream", json::object()}, source));
  }
  json meta{{"paths", roots}, {"files_read", files_read_}, {"files_unchanged", files_unchanged_}};
  if (!base_.error().ok()) {
    meta["warnings"] = json::array({"the previous backup's item list could not be read (" + base_.error().message() +
                                    "): the files after that point were read again"});
  }
  writer.SetComponentMeta(std::move(meta));
  return Status::Ok();
}

bool FilesBaseFits(const repo::SnapshotComponent& earlier, const std::vector<std::string>& paths) {
  auto roots = earlier.meta.find("paths");
  if (roots == earlier.meta.end() || !roots->is_array() || paths.empty()) return false;
  for (const auto& p : paths) {
    std::string path = Normalize(Absolute(p));
    bool covered = false;
    for (const auto& r : *roots) {
      if (!r.is_string()) continue;
      const std::string& root = r.get_ref<const std::string&>();
      covered = covered || path == root || root == "/" || path.rfind(root + "/", 0) == 0;
    }
    if (!covered) return false;
  }
  return true;
}

}  // namespace dr::source
