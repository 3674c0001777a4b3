#include "source/files/files_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <set>

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

// Refuses names that would escape the restore target.
bool SafeName(const std::string& name) {
  if (name.empty() || name[0] == '/') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    std::string part = name.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part == ".." || part == "." || part.empty()) return false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return true;
}

bool Selected(const std::string& name, const std::vector<std::string>& items) {
  if (items.empty()) return true;
  for (const auto& sel : items) {
    std::string s = Normalize(sel);
    while (!s.empty() && s[0] == '/') s.erase(0, 1);
    if (name == s || name.rfind(s + "/", 0) == 0) return true;
  }
  return false;
}

void ApplyMeta(const std::string& path, const json& meta) {
  // Best effort, as tar does: ownership needs privileges the restoring user may not have.
  if (meta.contains("mode")) ::chmod(path.c_str(), static_cast<mode_t>(meta["mode"].get<int>()));
  if (meta.contains("uid") && ::geteuid() == 0) {
    if (::lchown(path.c_str(), meta["uid"].get<uid_t>(), meta.value("gid", 0u)) != 0) { /* keep going */ }
  }
  if (meta.contains("mtime")) {
    struct timeval tv[2] = {{meta["mtime"].get<time_t>(), 0}, {meta["mtime"].get<time_t>(), 0}};
    ::utimes(path.c_str(), tv);
  }
}

// Writes a restored file and keeps the kernel writing it back as it goes
// (sync_file_range every 32 MiB), so the fsync before the rename does not wait
// for gigabytes of dirty pages at the end: compute and disk overlap.
class WritebackSink : public ByteSink {
 public:
  WritebackSink(int fd, std::string name) : sink_(fd, name), fd_(fd) {}
  Status Write(std::string_view data) override {
    DR_RETURN_IF_ERROR(sink_.Write(data));
    written_ += data.size();
    if (written_ - flushed_ >= kWindow) {
      // Start writeback without waiting for it: the disk works while we decrypt
      // the next window, and the final fsync only waits for the tail.
      ::sync_file_range(fd_, static_cast<off_t>(flushed_), static_cast<off_t>(written_ - flushed_),
                        SYNC_FILE_RANGE_WRITE);
      flushed_ = written_;
    }
    return Status::Ok();
  }

 private:
  static constexpr uint64_t kWindow = 32u << 20;
  FdSink sink_;
  int fd_;
  uint64_t written_ = 0;
  uint64_t flushed_ = 0;
};

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

// An incremental base read as a list, in walk order: the walk visits names in
// the order the previous walk wrote them (sorted roots, sorted children, a
// directory before what is in it), so each lookup moves a cursor forward and
// the base is never held whole. A list out of that order (a backup whose roots
// were walked unsorted) or one that cannot be read turns it off: the files
// after that are read, which is slower, never wrong.
class OrderedBase {
 public:
  explicit OrderedBase(std::unique_ptr<ItemCursor> cursor) : cursor_(std::move(cursor)) {}
  // The base's item named `name`, or null. Names are asked in walk order.
  const repo::SnapshotItem* Find(const std::string& name) {
    if (off_) return nullptr;
    if (asked_ && !WalkBefore(last_, name)) return TurnOff(Status::Ok());
    asked_ = true;
    last_ = name;
    if (!started_) {
      started_ = true;
      if (!Advance()) return nullptr;
    }
    while (current_ != nullptr && WalkBefore(current_->name, name)) {
      std::string before = current_->name;
      if (!Advance()) return nullptr;
      if (current_ != nullptr && !WalkBefore(before, current_->name)) return TurnOff(Status::Ok());
    }
    return current_ != nullptr && current_->name == name ? current_ : nullptr;
  }
  // Why it was turned off when the list could not be read.
  const Status& error() const { return error_; }

 private:
  bool Advance() {
    auto next = cursor_->Next();
    if (!next.ok()) {
      TurnOff(next.status());
      return false;
    }
    current_ = *next;
    return true;
  }
  const repo::SnapshotItem* TurnOff(Status why) {
    off_ = true;
    current_ = nullptr;
    if (error_.ok()) error_ = std::move(why);
    return nullptr;
  }
  std::unique_ptr<ItemCursor> cursor_;
  const repo::SnapshotItem* current_ = nullptr;
  bool started_ = false, asked_ = false, off_ = false;
  std::string last_;
  Status error_;
};

FilesSource::FilesSource(FilesOptions options) : options_(std::move(options)) {}
FilesSource::~FilesSource() = default;

const repo::SnapshotItem* FilesSource::Unchanged(const std::string& name, const struct stat& st, OrderedBase* ordered) const {
  const repo::SnapshotItem* found = nullptr;
  if (ordered != nullptr) {
    found = ordered->Find(name);
  } else if (auto it = previous_.find(name); it != previous_.end()) {
    found = it->second;
  }
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
  if (const repo::SnapshotItem* item = Unchanged(name, st, base_.get())) {
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
    return Unchanged(ItemNameOf(path), st, size_base_.get()) ? 0 : static_cast<uint64_t>(st.st_size);
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
  // Walked in order, so that the items are in walk order (OrderedBase).
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
  if (const repo::SnapshotComponent* base = options_.previous) {
    if (base->list && options_.open_list) {
      base_ = std::make_unique<OrderedBase>(options_.open_list(*base->list));
      size_base_ = std::make_unique<OrderedBase>(options_.open_list(*base->list));
    } else {
      for (const auto& item : base->items) {
        if (item.kind == "file") previous_[item.name] = &item;
      }
    }
  }
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
  if (base_ && !base_->error().ok()) {
    meta["warnings"] = json::array({"the previous backup's item list could not be read (" + base_->error().message() +
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

namespace {

// What restoring `selected` into target would collide with: an existing file
// without overwrite, a directory where a file goes (or a file where a directory
// goes, or in the path above either). Every collision is named, up to a few.
Status CheckTarget(const std::string& target, const std::vector<const repo::SnapshotItem*>& selected, bool overwrite) {
  std::vector<std::string> conflicts;
  bool needs_overwrite = false;
  auto kind_at = [](const std::string& path) -> int {  // 0 none, 1 directory, 2 something else
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return 0;
    return S_ISDIR(st.st_mode) ? 1 : 2;
  };
  std::set<std::string> parents_checked;
  for (const auto* item : selected) {
    std::string path = target + "/" + item->name;
    // Each directory above the item must be a directory or not exist yet.
    for (size_t slash = path.find('/', target.size() + 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      std::string parent = path.substr(0, slash);
      if (!parents_checked.insert(parent).second) continue;
      if (kind_at(parent) == 2) conflicts.push_back("'" + parent + "' exists and is not a directory");
    }
    int existing = kind_at(path);
    if (existing == 0) continue;
    if (item->kind == "dir") {
      if (existing == 2) conflicts.push_back("'" + path + "' exists and is not a directory");
    } else if (existing == 1) {
      conflicts.push_back("'" + path + "' exists and is a directory");
    } else if (!overwrite) {
      conflicts.push_back("'" + path + "' already exists");
      needs_overwrite = true;
    }
  }
  if (conflicts.empty()) return Status::Ok();
  constexpr size_t kShown = 5;
  std::string message = "the restore target " + target + " has " + std::to_string(conflicts.size()) +
                        (conflicts.size() == 1 ? " conflict" : " conflicts") + "; nothing was written: ";
  for (size_t i = 0; i < conflicts.size() && i < kShown; ++i) message += (i > 0 ? "; " : "") + conflicts[i];
  if (conflicts.size() > kShown) message += "; and " + std::to_string(conflicts.size() - kShown) + " more";
  if (needs_overwrite) message += " (use --overwrite to replace existing files)";
  return AlreadyExists(message);
}

}  // namespace

Result<FilesRestoreStats> RestoreFiles(const repo::SnapshotComponent& component, ItemReader& reader,
                                       const FilesRestoreOptions& options) {
  FilesRestoreStats stats;
  std::vector<const repo::SnapshotItem*> selected;
  for (const auto& item : component.items) {
    if (!SafeName(item.name)) return Corrupt("backup item '" + item.name + "' has an unsafe name; refusing to restore it");
    if (Selected(item.name, options.items)) selected.push_back(&item);
  }
  if (!options.items.empty() && selected.empty()) {
    return NotFound("no item named '" + options.items.front() + "' in component 'files'");
  }
  if (options.single_sink != nullptr) {
    std::vector<const repo::SnapshotItem*> streams;
    for (const auto* item : selected) {
      if (item->kind == "file" || item->kind == "stream") streams.push_back(item);
    }
    if (streams.size() != 1) {
      return InvalidArgument("--stdout needs exactly one file item, the selection has " + std::to_string(streams.size()));
    }
    DR_RETURN_IF_ERROR(reader.ReadItem(*streams[0], *options.single_sink));
    return FilesRestoreStats{1, streams[0]->size};
  }
  if (options.target_dir.empty()) return InvalidArgument("no restore target: give --target DIR or --stdout");
  // Every conflict is found before the first byte is written: a refusal after
  // 30 MB would leave a half-restored target for the user to clean up.
  DR_RETURN_IF_ERROR(CheckTarget(options.target_dir, selected, options.overwrite));
  DR_RETURN_IF_ERROR(MakeDirs(options.target_dir, 0755));
  std::vector<std::pair<std::string, json>> dirs;  // metadata applied last, after their content
  for (const auto* item : selected) {
    std::string path = options.target_dir + "/" + item->name;
    auto slash = path.rfind('/');
    DR_RETURN_IF_ERROR(MakeDirs(path.substr(0, slash), 0755));
    if (item->kind == "dir") {
      DR_RETURN_IF_ERROR(MakeDirs(path, 0755));
      dirs.emplace_back(path, item->meta);
      ++stats.items;
      continue;
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!options.overwrite) {
        return AlreadyExists("'" + path + "' already exists; use --overwrite to replace it");
      }
      if (S_ISDIR(st.st_mode)) return AlreadyExists("'" + path + "' exists and is a directory");
    }
    if (item->kind == "symlink") {
      ::unlink(path.c_str());
      if (::symlink(item->meta.value("target", "").c_str(), path.c_str()) != 0) {
        return ErrnoStatus(errno, "unable to create symlink '" + path + "'");
      }
      ++stats.items;
      continue;
    }
    std::string tmp = path.substr(0, slash + 1) + ".ecap-dr-partial-" + item->name.substr(item->name.rfind('/') + 1);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus(errno, "unable to create '" + tmp + "'");
    WritebackSink sink(fd, path);
    Status s = reader.ReadItem(*item, sink);  // names the item in its errors
    if (s.ok() && ::fsync(fd) != 0) s = ErrnoStatus(errno, "unable to sync '" + path + "'");
    ::close(fd);
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoStatus(errno, "unable to rename into '" + path + "'");
    if (!s.ok()) {
      ::unlink(tmp.c_str());  // nothing partial is left, under either name
      return s;
    }
    ApplyMeta(path, item->meta);
    ++stats.items;
    stats.bytes += item->size;
  }
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) ApplyMeta(it->first, it->second);
  return stats;
}

}  // namespace dr::source
