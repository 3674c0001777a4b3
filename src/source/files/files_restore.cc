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
  // Best effort, as tar does: ownership needs privileges the restoring user may
  // not have. A field that is not a number is left alone, never thrown on.
  auto number = [&](const char* key) -> std::optional<int64_t> {
    auto it = meta.find(key);
    if (it == meta.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<int64_t>();
  };
  if (auto mode = number("mode")) ::chmod(path.c_str(), static_cast<mode_t>(*mode));
  if (auto uid = number("uid"); uid && ::geteuid() == 0) {
    if (::lchown(path.c_str(), static_cast<uid_t>(*uid), static_cast<gid_t>(number("gid").value_or(0))) != 0) {
      /* keep going */
    }
  }
  if (auto mtime = number("mtime")) {
    struct timeval tv[2] = {{static_cast<time_t>(*mtime), 0}, {static_cast<time_t>(*mtime), 0}};
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
// were authenticated, matched its size and are on disk, so that neither a failed restore nor
// a crash leaves a partial file under its name. Files of up to kBatchItemBytes
// are read kRestoreBatchFiles at a time (ItemReader::ReadItems), written to their
// temporary names, made durable by one syncfs, then renamed; a larger file is
// read alone and fsynced before its rename.
class TreeWriter : public ItemSinks {
 public:
  // in_order: the items come in walk order (the first pass saw them). If not
  // (a stream named into a directory walked before it), every directory's
  // metadata waits until the end.
  TreeWriter(std::string target, bool overwrite, ItemReader& reader, bool in_order)
      : target_(std::move(target)), overwrite_(overwrite), reader_(reader), in_order_(in_order) {}
  ~TreeWriter() override {
    Discard();
    for (const auto& file : written_) ::unlink(file.tmp.c_str());
    if (target_fd_ >= 0) ::close(target_fd_);
  }

  // Opened before the first write: syncfs reports the write-back errors
  // that happened since its descriptor was opened (Linux 5.8+).
  Status Start() {
    target_fd_ = ::open(target_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (target_fd_ < 0) return ErrnoStatus(errno, "unable to open the restore target " + target_);
    return Status::Ok();
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
      if (batch_.size() >= kRestoreBatchFiles || batch_bytes_ >= kBatchBytes) return Flush();
      return Status::Ok();
    }
    DR_RETURN_IF_ERROR(PrepareTarget(path));
    DR_ASSIGN_OR_RETURN(ByteSink * sink, OpenFile(path));
    Status s = reader_.ReadItem(item, *sink);  // names the item in its errors
    if (s.ok() && ::fsync(fd_) != 0) s = ErrnoStatus(errno, "unable to sync '" + path + "'");
    if (s.ok()) s = Close();
    if (!s.ok()) {
      Discard();
      return s;
    }
    return Place({path_, tmp_, item.meta, item.size});
  }

  // Writes what is pending and applies the metadata of the directories still open.
  Result<FilesRestoreStats> Finish() {
    DR_RETURN_IF_ERROR(Flush());
    LeaveDirectoriesAbove("");
    in_order_ = true;
    ApplyDirectoryMeta();
    return stats_;
  }

  // ItemSinks, for a batch.
  Result<ByteSink*> Open(size_t i) override {
    std::string path = target_ + "/" + batch_[i].name;
    DR_RETURN_IF_ERROR(PrepareTarget(path));
    return OpenFile(path);
  }
  Status Done(size_t i) override {
    DR_RETURN_IF_ERROR(Close());
    written_.push_back({path_, tmp_, batch_[i].meta, batch_[i].size});
    return Status::Ok();
  }
  void Abandon(size_t) override { Discard(); }

 private:
  static constexpr uint64_t kBatchItemBytes = 1u << 20;
  static constexpr uint64_t kBatchBytes = 64u << 20;

  // A file written and checked under its temporary name.
  struct Written {
    std::string path, tmp;
    json meta;
    uint64_t size = 0;
  };

  // Reads the batch into temporary files, makes them durable, renames them
  // into place. What was read whole before an error is placed all the same,
  // as a restore one file at a time would have.
  Status Flush() {
    if (batch_.empty()) return Status::Ok();
    std::vector<const repo::SnapshotItem*> items;
    for (const auto& item : batch_) items.push_back(&item);
    Status read = reader_.ReadItems(items, *this);
    batch_.clear();
    batch_bytes_ = 0;
    Status placed = Status::Ok();
    if (!written_.empty() && ::syncfs(target_fd_) != 0) {
      placed = ErrnoStatus(errno, "unable to sync the restore target " + target_);
    }
    for (auto& file : written_) {
      if (placed.ok()) {
        placed = Place(file);
      } else {
        ::unlink(file.tmp.c_str());
      }
    }
    written_.clear();
    DR_RETURN_IF_ERROR(read);
    DR_RETURN_IF_ERROR(placed);
    // The directories left while the batch was pending hold its files: their
    // metadata goes on now that these are in place.
    ApplyDirectoryMeta();
    return Status::Ok();
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
    if (!in_order_) return;
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
  Status Close() {
    if (::close(std::exchange(fd_, -1)) != 0) return ErrnoStatus(errno, "unable to write '" + path_ + "'");
    return Status::Ok();
  }
  // The file under its name, with its metadata.
  Status Place(const Written& file) {
    if (::rename(file.tmp.c_str(), file.path.c_str()) != 0) {
      Status s = ErrnoStatus(errno, "unable to rename into '" + file.path + "'");
      ::unlink(file.tmp.c_str());
      return s;
    }
    ApplyMeta(file.path, file.meta);
    ++stats_.items;
    stats_.bytes += file.size;
    return Status::Ok();
  }
  // The file being written is given up: nothing of it is left.
  void Discard() {
    if (fd_ < 0) return;
    ::close(std::exchange(fd_, -1));
    ::unlink(tmp_.c_str());
  }

  std::string target_;
  bool overwrite_;
  ItemReader& reader_;
  int target_fd_ = -1;
  FilesRestoreStats stats_;
  bool in_order_;  // false: directory metadata waits for Finish
  std::vector<std::pair<std::string, json>> open_dirs_;  // the directories the walk is in, outermost first
  std::vector<std::pair<std::string, json>> left_dirs_;  // left, their metadata not yet applied
  std::vector<repo::SnapshotItem> batch_;                // files to read together
  uint64_t batch_bytes_ = 0;
  std::vector<Written> written_;  // the batch's files under their temporary names
  std::string made_;              // the last directory made sure of
  int fd_ = -1;                   // the file being written, under tmp_
  std::string path_, tmp_;
  std::optional<WritebackSink> sink_;
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
  std::string last;
  bool in_order = true;
  DR_RETURN_IF_ERROR(items.ForEach([&](const repo::SnapshotItem& item, bool chosen) {
    if (!chosen) return Status::Ok();
    ++selected;
    in_order = in_order && (last.empty() || WalkBefore(last, item.name));
    last = item.name;
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
  TreeWriter writer(options.target_dir, options.overwrite, reader, in_order);
  DR_RETURN_IF_ERROR(writer.Start());
  DR_RETURN_IF_ERROR(items.ForEach([&](const repo::SnapshotItem& item, bool chosen) {
    return chosen ? writer.Add(item) : Status::Ok();
  }));
  return writer.Finish();
}

}  // namespace dr::source
