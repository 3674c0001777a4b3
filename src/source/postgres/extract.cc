#include "source/postgres/extract.h"

#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>

#include "base/fs.h"

namespace dr::source {

namespace {

bool Contains(const std::vector<std::string>& list, const std::string& x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

// Item names are written as file names: anything with a path in it is refused.
bool SafeFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

}  // namespace

Result<PostgresExtractStats> ExtractPostgres(const repo::SnapshotComponent& component, ItemReader& reader,
                                             const PostgresExtractOptions& options) {
  std::string names;
  for (const auto& item : component.items) names += (names.empty() ? "" : ", ") + item.name;
  for (const auto& want : options.items) {
    bool found = std::any_of(component.items.begin(), component.items.end(), [&](const auto& i) { return i.name == want; });
    if (!found) return NotFound("no item named '" + want + "' in component 'postgresql' (it has: " + names + ")");
  }
  for (const auto& db : options.databases) {
    bool found = std::any_of(component.items.begin(), component.items.end(),
                             [&](const auto& i) { return i.kind == "pg_dump" && i.meta.value("database", "") == db; });
    if (!found) return NotFound("the backup holds no dump of database '" + db + "' (it has: " + names + ")");
  }
  std::vector<const repo::SnapshotItem*> selected;
  for (const auto& item : component.items) {
    bool by_name = Contains(options.items, item.name);
    bool by_db = item.kind == "pg_dump" && Contains(options.databases, item.meta.value("database", ""));
    if ((options.items.empty() && options.databases.empty()) || by_name || by_db) selected.push_back(&item);
  }
  PostgresExtractStats stats;
  if (options.single_sink != nullptr) {
    if (selected.size() != 1) {
      return InvalidArgument("--stdout writes exactly one item; choose it with --item (component 'postgresql' has: " +
                             names + ")");
    }
    Status s = reader.ReadItem(*selected[0], *options.single_sink);
    if (!s.ok()) return s.WithContext("extract item '" + selected[0]->name + "' to standard output");
    stats.items = 1;
    stats.bytes = selected[0]->size;
    stats.written.push_back(selected[0]->name);
    return stats;
  }
  if (options.target_dir.empty()) return InvalidArgument("extracting needs --target DIR or --item X --stdout");
  // All conflicts first: a refusal must come before anything is written.
  for (const auto* item : selected) {
    if (!SafeFileName(item->name)) return Corrupt("backup item '" + item->name + "' has an unsafe name; refusing to write it");
    std::string path = options.target_dir + "/" + item->name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return AlreadyExists("'" + path + "' exists and is a directory");
      if (!options.overwrite) return AlreadyExists("'" + path + "' already exists; use --overwrite to replace it");
    }
  }
  DR_RETURN_IF_ERROR(MakeDirs(options.target_dir, 0755));
  for (const auto* item : selected) {
    std::string path = options.target_dir + "/" + item->name;
    std::string tmp = options.target_dir + "/.ecap-dr-partial-" + item->name;
    // 0600: a dump holds every row of the database, globals.sql the role passwords.
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus(errno, "unable to create '" + tmp + "'");
    FdSink sink(fd, path);
    Status s = reader.ReadItem(*item, sink);
    if (s.ok() && ::fsync(fd) != 0) s = ErrnoStatus(errno, "unable to sync '" + path + "'");
    ::close(fd);
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoStatus(errno, "unable to rename into '" + path + "'");
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s.WithContext("extract item '" + item->name + "' to '" + path + "'");
    }
    stats.items++;
    stats.bytes += item->size;
    stats.written.push_back(path);
  }
  return stats;
}

}  // namespace dr::source
