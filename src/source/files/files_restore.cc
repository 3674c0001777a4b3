// Restoring the files component (RestoreFiles in files_source.h).
//
// Two passes over the component's items, each a walk of its item list when it
// has one (snapshot format 2), so memory does not grow with the number of
// items: the first checks names and the target and writes nothing, the second
// writes. Small files are read in batches (ItemReader::ReadItems), their blobs
// fetched together, instead of one read per file; a directory's metadata is
// applied once what is in it has been written.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <optional>
#include <utility>

#include "base/fs.h"
#include "source/files/files_source.h"

namespace dr::source {

using nlohmann::json;

namespace {

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

// --item selections as item names: no slash at either end.
std::vector<std::string> SelectionNames(const std::vector<std::string>& items) {
  std::vector<std::string> names;
  for (std::string s : items) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    while (!s.empty() && s[0] == '/') s.erase(0, 1);
    names.push_back(std::move(s));
  }
  return names;
}

bool Selected(const std::string& name, const std::vector<std::string>& selection) {
  if (selection.empty()) return true;
  for (const auto& s : selection) {
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

// The selected items in walk order: the list's own order, or (format 1, items
// in memory) the items sorted into it, which the directory stack relies on.
class Items {
 public:
  Items(const repo::SnapshotComponent& component, const FilesRestoreOptions& options)
      : component_(component), options_(options), selection_(SelectionNames(options.items)) {
    if (component.list && options.open_list) return;
    for (const auto& item : component.items) sorted_.push_back(&item);
    std::stable_sort(sorted_.begin(), sorted_.end(),
                     [](const auto* a, const auto* b) { return WalkBefore(a->name, b->name); });
  }
  // fn(item, selected) for every item, each name checked first.
  Status ForEach(const std::function<Status(const repo::SnapshotItem&, bool)>& fn) const {
    auto one = [&](const repo::SnapshotItem& item) {
      if (!SafeName(item.name)) return Corrupt("backup item '" + item.name + "' has an unsafe name; refusing to restore it");
      return fn(item, Selected(item.name, selection_));
    };
    if (component_.list && options_.open_list) return ForEachComponentItem(component_, options_.open_list, one);
    for (const auto* item : sorted_) DR_RETURN_IF_ERROR(one(*item));
    return Status::Ok();
  }
  const std::vector<std::string>& selection() const { return selection_; }

 private:
  const repo::SnapshotComponent& component_;
  const FilesRestoreOptions& options_;
  std::vector<std::string> selection_;
  std::vector<const repo::SnapshotItem*> sorted_;
};

// What restoring the items into target would collide with: an existing file
// without overwrite, a directory where a file goes (or a file where a directory
// goes, or in the path above either). Every collision is counted and the first
// few named; the directories above an item are looked at once while the walk
// is under them (items come in walk order).
class TargetCheck {
 public:
  TargetCheck(std::string target, bool overwrite) : target_(std::move(target)), overwrite_(overwrite) {}

  void Add(const repo::SnapshotItem& item) {
    std::string path = target_ + "/" + item.name;
    // Each directory above the item must be a directory or not exist yet.
    for (size_t slash = path.find('/', target_.size() + 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      // Checked for the previous item already when the paths agree up to here.
      if (slash < last_.size() && last_.compare(0, slash + 1, path, 0, slash + 1) == 0) continue;
      std::string parent = path.substr(0, slash);
      if (KindAt(parent) == 2) Conflict("'" + parent + "' exists and is not a directory");
    }
    last_ = path;
    int existing = KindAt(path);
    if (existing == 0) return;
    if (item.kind == "dir") {
      if (existing == 2) Conflict("'" + path + "' exists and is not a directory");
    } else if (existing == 1) {
      Conflict("'" + path + "' exists and is a directory");
    } else if (!overwrite_) {
      Conflict("'" + path + "' already exists");
      needs_overwrite_ = true;
    }
  }

  Status Result() const {
    if (count_ == 0) return Status::Ok();
    std::string message = "the restore target " + target_ + " has " + std::to_string(count_) +
                          (count_ == 1 ? " conflict" : " conflicts") + "; nothing was written: ";
    for (size_t i = 0; i < shown_.size(); ++i) message += (i > 0 ? "; " : "") + shown_[i];
    if (count_ > shown_.size()) message += "; and " + std::to_string(count_ - shown_.size()) + " more";
    if (needs_overwrite_) message += " (use --overwrite to replace existing files)";
    return AlreadyExists(message);
  }

 private:
  static int KindAt(const std::string& path) {  // 0 none, 1 directory, 2 something else
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return 0;
    return S_ISDIR(st.st_mode) ? 1 : 2;
  }
  void Conflict(std::string what) {
    if (shown_.size() < kShown) shown_.push_back(std::move(what));
    ++count_;
  }

  static constexpr size_t kShown = 5;
  std::string target_;
  bool overwrite_;
  std::string last_;  // the previous item's path
  std::vector<std::string> shown_;
  size_t count_ = 0;
  bool needs_overwrite_ = false;
};

// The second pass: writes the selected items under the target as they come.
// A file goes to a temporary name and is renamed into place once its bytes
// matched their SHA-256. Files of up to kBatchItemBytes are read kBatchItems at
// a time (ItemReader::ReadItems) and made durable by one syncfs at the end; a
// larger file is read alone and fsynced before its rename.
class TreeWriter : public ItemSinks {
 public:
  TreeWriter(std::string target, bool overwrite, ItemReader& reader)
      : target_(std::move(target)), overwrite_(overwrite), reader_(reader) {}
  ~TreeWriter() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Add(const repo::SnapshotItem& item) {
    std::string path = target_ + "/" + item.name;
    LeaveDirectoriesAbove(path);
    if (item.kind == "dir") {
      DR_RETURN_IF_ERROR(MakeDirs(path, 0755));
      open_dirs_.emplace_back(path, item.meta);
      ++stats_.items;
      return Status::Ok();
    }
    if (item.kind == "symlink") {
      DR_RETURN_IF_ERROR(PrepareTarget(path));
      ::unlink(path.c_str());
      if (::symlink(item.meta.value("target", "").c_str(), path.c_str()) != 0) {
        return ErrnoStatus(errno, "unable to create symlink '" + path + "'");
      }
      ++stats_.items;
      return Status::Ok();
    }
    if (item.size <= kBatchItemBytes) {
      batch_.push_back(item);
      batch_bytes_ += item.size;
      if (batch_.size() >= kBatchItems || batch_bytes_ >= kBatchBytes) return Flush();
      return Status::Ok();
    }
    DR_RETURN_IF_ERROR(PrepareTarget(path));
    DR_ASSIGN_OR_RETURN(ByteSink * sink, OpenFile(path));
    Status s = reader_.ReadItem(item, *sink);  // names the item in its errors
    if (s.ok() && ::fsync(fd_) != 0) s = ErrnoStatus(errno, "unable to sync '" + path + "'");
    if (s.ok()) s = Place(item);
    if (!s.ok()) Discard();
    return s;
  }

  // Writes what is pending, applies the metadata of the directories still
  // open, and makes the batched files durable.
  Result<FilesRestoreStats> Finish() {
    DR_RETURN_IF_ERROR(Flush());
    LeaveDirectoriesAbove("");
    ApplyDirectoryMeta();
    if (synced_pending_) {
      int dir = ::open(target_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir < 0) return ErrnoStatus(errno, "unable to open the restore target " + target_);
      int rc = ::syncfs(dir);
      int err = errno;
      ::close(dir);
      if (rc != 0) return ErrnoStatus(err, "unable to sync the restore target " + target_);
    }
    return stats_;
  }

  // ItemSinks, for a batch.
  Result<ByteSink*> Open(size_t i) override {
    std::string path = target_ + "/" + batch_[i].name;
    DR_RETURN_IF_ERROR(PrepareTarget(path));
    return OpenFile(path);
  }
  Status Done(size_t i) override {
    synced_pending_ = true;
    return Place(batch_[i]);
  }
  void Abandon(size_t) override { Discard(); }

 private:
  static constexpr uint64_t kBatchItemBytes = 1u << 20;
  static constexpr size_t kBatchItems = 1024;
  static constexpr uint64_t kBatchBytes = 32u << 20;

  Status Flush() {
    if (batch_.empty()) return Status::Ok();
    std::vector<const repo::SnapshotItem*> items;
    for (const auto& item : batch_) items.push_back(&item);
    Status s = reader_.ReadItems(items, *this);
    batch_.clear();
    batch_bytes_ = 0;
    // The directories left while the batch was pending hold its files: their
    // metadata goes on now that these are written.
    if (s.ok()) ApplyDirectoryMeta();
    return s;
  }

  // The directories that path is not in are done with: their metadata is
  // applied once the files pending for them are written (innermost first).
  void LeaveDirectoriesAbove(const std::string& path) {
    while (!open_dirs_.empty()) {
      const std::string& dir = open_dirs_.back().first;
      if (!path.empty() && path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/') {
        break;
      }
      left_dirs_.push_back(std::move(open_dirs_.back()));
      open_dirs_.pop_back();
    }
    if (batch_.empty()) ApplyDirectoryMeta();
  }
  void ApplyDirectoryMeta() {
    for (const auto& [dir, meta] : left_dirs_) ApplyMeta(dir, meta);
    left_dirs_.clear();
  }

  // The directories above path exist, and path itself may be replaced.
  Status PrepareTarget(const std::string& path) {
    std::string parent = path.substr(0, path.rfind('/'));
    if (parent != made_) {
      DR_RETURN_IF_ERROR(MakeDirs(parent, 0755));
      made_ = parent;
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!overwrite_) return AlreadyExists("'" + path + "' already exists; use --overwrite to replace it");
      if (S_ISDIR(st.st_mode)) return AlreadyExists("'" + path + "' exists and is a directory");
    }
    return Status::Ok();
  }

  Result<ByteSink*> OpenFile(const std::string& path) {
    size_t slash = path.rfind('/');
    path_ = path;
    tmp_ = path.substr(0, slash + 1) + ".ecap-dr-partial-" + path.substr(slash + 1);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) return ErrnoStatus(errno, "unable to create '" + tmp_ + "'");
    sink_.emplace(fd_, path);
    return &*sink_;
  }
  // The file written and checked: under its name, with its metadata.
  Status Place(const repo::SnapshotItem& item) {
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) return ErrnoStatus(errno, "unable to write '" + path_ + "'");
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      Status s = ErrnoStatus(errno, "unable to rename into '" + path_ + "'");
      ::unlink(tmp_.c_str());
      return s;
    }
    ApplyMeta(path_, item.meta);
    ++stats_.items;
    stats_.bytes += item.size;
    return Status::Ok();
  }
  // Nothing partial is left, under either name.
  void Discard() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    ::unlink(tmp_.c_str());
  }

  std::string target_;
  bool overwrite_;
  ItemReader& reader_;
  FilesRestoreStats stats_;
  std::vector<std::pair<std::string, json>> open_dirs_;  // the directories the walk is in, outermost first
  std::vector<std::pair<std::string, json>> left_dirs_;  // left, their metadata not yet applied
  std::vector<repo::SnapshotItem> batch_;                // files to read together
  uint64_t batch_bytes_ = 0;
  std::string made_;  // the last directory made sure of
  int fd_ = -1;       // the file being written, under tmp_
  std::string path_, tmp_;
  std::optional<WritebackSink> sink_;
  bool synced_pending_ = false;  // batched files await the syncfs
};

}  // namespace

Result<FilesRestoreStats> RestoreFiles(const repo::SnapshotComponent& component, ItemReader& reader,
                                       const FilesRestoreOptions& options) {
  Items items(component, options);
  if (options.target_dir.empty() && options.single_sink == nullptr) {
    return InvalidArgument("no restore target: give --target DIR or --stdout");
  }
  // The first pass writes nothing: every conflict is found before the first
  // byte is written, since a refusal after 30 MB would leave a half-restored
  // target for the user to clean up.
  uint64_t selected = 0, streams = 0;
  std::optional<repo::SnapshotItem> single;  // --stdout's item
  TargetCheck check(options.target_dir, options.overwrite);
  DR_RETURN_IF_ERROR(items.ForEach([&](const repo::SnapshotItem& item, bool chosen) {
    if (!chosen) return Status::Ok();
    ++selected;
    if (options.single_sink == nullptr) {
      check.Add(item);
    } else if (item.kind == "file" || item.kind == "stream") {
      if (++streams == 1) single = item;
    }
    return Status::Ok();
  }));
  if (!items.selection().empty() && selected == 0) {
    return NotFound("no item named '" + items.selection().front() + "' in component 'files'");
  }
  if (options.single_sink != nullptr) {
    if (streams != 1) {
      return InvalidArgument("--stdout needs exactly one file item, the selection has " + std::to_string(streams));
    }
    DR_RETURN_IF_ERROR(reader.ReadItem(*single, *options.single_sink));
    return FilesRestoreStats{1, single->size};
  }
  DR_RETURN_IF_ERROR(check.Result());
  DR_RETURN_IF_ERROR(MakeDirs(options.target_dir, 0755));
  TreeWriter writer(options.target_dir, options.overwrite, reader);
  DR_RETURN_IF_ERROR(items.ForEach([&](const repo::SnapshotItem& item, bool chosen) {
    return chosen ? writer.Add(item) : Status::Ok();
  }));
  return writer.Finish();
}

}  // namespace dr::source
