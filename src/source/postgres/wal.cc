#include "source/postgres/wal.h"

#include <cctype>

#include "base/fs.h"

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

Status PushWal(repo::Repository& repo, const std::string& path, int compression_level) {
  std::string name = path.substr(path.rfind('/') + 1);
  if (!IsWalFileName(name)) return InvalidArgument("'" + name + "' is not a WAL file name");
  DR_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
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

Status FetchWal(repo::Repository& repo, const std::string& name, const std::string& dest) {
  if (!IsWalFileName(name)) return InvalidArgument("'" + name + "' is not a WAL file name");
  auto data = repo.LoadObject(ObjectKind::kWal, name);
  if (!data.ok()) {
    if (data.status().code() == Code::kNotFound) return NotFound("WAL file '" + name + "' is not in the archive");
    return data.status();
  }
  // PostgreSQL reads the file as soon as restore_command returns: it must be whole.
  return WriteFileAtomic(dest, *data, {.mode = 0600, .overwrite = true, .sync = false});
}

Result<ArchiveState> ReadArchiveState(Backend& backend) {
  ArchiveState state;
  DR_RETURN_IF_ERROR(backend.List(ObjectKind::kWal, [&](const ObjectInfo& info) {
    state.files++;
    // Segment names sort in WAL order within and across timelines.
    if (info.name.id.size() == 24 && info.name.id > state.newest_segment) state.newest_segment = info.name.id;
    return Status::Ok();
  }));
  return state;
}

}  // namespace dr::source::pg
