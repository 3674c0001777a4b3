// The "files" component: paths (files, directories, symlinks, recursively) and
// named streams from stdin, for everything that is not a database, a bucket or
// a topic (configuration, keys of other systems, exports).
//
// Items are named by their absolute path without the leading '/'
// ("etc/ecap/app.yaml") or by the name given to a stream ("orders.csv").
#pragma once

#include <sys/stat.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dr/clock.h"
#include "dr/source.h"
#include "repo/snapshot/snapshot.h"
#include "source/component_items.h"

namespace dr::source {

struct StreamInput {
  std::string name;  // item name, e.g. "orders.csv"
  int fd = 0;        // read until EOF; not closed
};

struct FilesOptions {
  std::vector<std::string> paths;
  std::vector<std::string> exclude;  // fnmatch(3) patterns, matched against the absolute path
  std::vector<StreamInput> streams;
  // The newest earlier backup's files component, or null. A regular file whose
  // size, mtime, ctime (to the nanosecond) and inode match its item there is
  // taken from it unread, as restic does with its parent snapshot: a write
  // changes mtime and ctime, and a file put in place by rename changes the
  // inode. Items of older backups, which recorded none of these, are read.
  // A format-2 base comes as a summary (its list, no items) and is read in walk
  // order through open_list (BaseItems, component_items.h): memory does not
  // grow with the base.
  const repo::SnapshotComponent* previous = nullptr;
  // Timestamps have a granularity (the kernel's clock tick): a file changed
  // again within the tick of its last change keeps its mtime and ctime. So a
  // file whose ctime is within a second of the time it is backed up is not
  // recorded as comparable, and the next backup reads it again (git's "racy
  // clean" rule).
  const Clock* clock = &RealClock();
  OpenList open_list;
};

// Whether item name a comes before b in the walk's order: component by
// component, bytewise, a directory before what is in it ("a" < "a/b" < "a-c").
bool WalkBefore(std::string_view a, std::string_view b);

class FilesSource : public Source {
 public:
  explicit FilesSource(FilesOptions options);
  ~FilesSource() override;
  std::string component() const override { return "files"; }
  Status Backup(ItemWriter& writer) override;

 private:
  Status AddPath(ItemWriter& writer, const std::string& path);
  bool Excluded(const std::string& path) const;
  // The bytes of the regular files under path that AddPath will read (0 for what cannot be read).
  uint64_t SizeUnder(const std::string& path) const;
  // The previous backup's item for this file when the file has not changed
  // since, else null. `base`: the walk's own lookup, or SizeUnder's (each
  // reads a list base in its own order).
  const repo::SnapshotItem* Unchanged(const std::string& name, const struct stat& st, BaseItems& base) const;
  // The roots in walk order, absolute and normalized.
  std::vector<std::string> Roots() const;

  FilesOptions options_;
  BaseItems base_;               // the previous backup's items, for the walk
  mutable BaseItems size_base_;  // and for SizeUnder's walk before it
  uint64_t files_read_ = 0;
  uint64_t files_unchanged_ = 0;
};

// Whether an earlier backup's files component can be the base of a backup of
// `paths`: it recorded its roots (component meta "paths") and each of these is
// one of them or under one. Another job's tree, or a stdin-only backup, is not.
bool FilesBaseFits(const repo::SnapshotComponent& earlier, const std::vector<std::string>& paths);

struct FilesRestoreOptions {
  std::string target_dir;            // restore under this directory
  std::vector<std::string> items;    // only these items (and, for a directory, what is under it); empty = all
  bool overwrite = false;            // replace existing files instead of refusing
  ByteSink* single_sink = nullptr;   // write the one selected item here (--stdout) instead
  // Opens a cursor over the component's item list (snapshot format 2): the
  // restore walks it rather than holding the items. Unset, or a component
  // without a list: its items, loaded.
  OpenList open_list;
};

struct FilesRestoreStats {
  uint64_t items = 0;
  uint64_t bytes = 0;
};

// Files of up to 1 MiB are restored this many at a time (files_restore.cc):
// read as one stream, then made durable by one syncfs before their renames.
// A syncfs costs ~80 ms here, so a batch is large: 8,192 files.
inline constexpr size_t kRestoreBatchFiles = 8192;

// Restores the files component (files_restore.cc). Files are written to a
// temporary name and renamed into place only once all their bytes were
// authenticated and their size matched, so a
// failed restore never leaves a partial file under the real name. Nothing is
// written before the whole selection was checked against the target. Memory
// does not grow with the number of items when the component has a list.
Result<FilesRestoreStats> RestoreFiles(const repo::SnapshotComponent& component, ItemReader& reader,
                                       const FilesRestoreOptions& options);

}  // namespace dr::source
