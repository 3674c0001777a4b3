#include "security/audit/audit_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/fs.h"
#include "base/ownership.h"
#include "base/time_util.h"

namespace dr::security {

using nlohmann::json;

namespace {

const std::string kGenesis(64, '0');

std::string HashOf(json record) {
  record.erase("hash");
  return HexEncode(crypto::Sha256(record.dump()));
}

// Holds an exclusive flock on "<log>.lock" for its lifetime.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ >= 0) GiveToDirectoryOwner(fd_, path);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct Head {
  uint64_t count = 0;
  std::string hash = kGenesis;
};

Result<Head> ReadHead(const std::string& path) {
  auto text = ReadFile(path + ".head");
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, false);
  if (!j.is_object()) return Corrupt("audit head file '" + path + ".head' is damaged");
  return Head{j.value("count", uint64_t{0}), j.value("hash", kGenesis)};
}

std::vector<std::string> Lines(const std::string& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace

json AuditVerifyResult::ToJson() const {
  return json{{"status", ok ? "passed" : "failed"}, {"records", records}, {"files", files}, {"problem", problem}};
}

std::vector<std::string> AuditLog::Files() const {
  std::vector<std::string> files;
  for (int n = 1;; ++n) {
    std::string rotated = path_ + "." + std::to_string(n);
    if (::access(rotated.c_str(), F_OK) != 0) break;
    files.insert(files.begin(), rotated);
  }
  if (::access(path_.c_str(), F_OK) == 0) files.push_back(path_);
  return files;
}

Status AuditLog::Append(const Identity& who, const AuditEvent& event) {
  if (!enabled()) return Status::Ok();
  auto slash = path_.rfind('/');
  if (slash != std::string::npos && slash > 0) DR_RETURN_IF_ERROR(MakeDirs(path_.substr(0, slash), 0700));
  FileLock lock(path_ + ".lock");
  if (!lock.ok()) return ErrnoStatus(errno, "unable to lock audit log '" + path_ + "'");
  Head head;
  auto stored = ReadHead(path_);
  if (stored.ok()) {
    head = *stored;
  } else if (stored.status().code() != Code::kNotFound) {
    return stored.status();
  }
  json record{{"seq", head.count + 1},
              {"time", FormatUtc(clock_.Now(), /*millis=*/true)},
              {"user", who.user},
              {"session", who.session},
              {"source", who.source},
              {"operation", event.operation},
              {"target", event.target},
              {"result", event.result},
              {"details", event.details},
              {"prev_hash", head.hash}};
  record["hash"] = HashOf(record);
  std::string line = record.dump() + "\n";
  // Never through a symlink: whoever owns the log's directory could point it anywhere.
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, "unable to open audit log '" + path_ + "'");
  GiveToDirectoryOwner(fd, path_);
  ssize_t n = ::write(fd, line.data(), line.size());
  int err = errno;
  bool synced = n == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return ErrnoStatus(n < 0 ? err : EIO, "unable to write audit log '" + path_ + "'");
  json new_head{{"count", head.count + 1}, {"hash", record["hash"]}};
  return WriteFileAtomic(path_ + ".head", new_head.dump() + "\n", {.mode = 0600, .overwrite = true, .sync = true});
}

Result<std::vector<json>> AuditLog::Read(const std::string& since_iso, const std::string& user) const {
  std::vector<json> out;
  for (const auto& file : Files()) {
    for (const auto& line : Lines(file)) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_object()) continue;
      if (!since_iso.empty() && j.value("time", "") < since_iso) continue;
      if (!user.empty() && j.value("user", "") != user) continue;
      out.push_back(std::move(j));
    }
  }
  return out;
}

AuditVerifyResult AuditLog::Verify() const {
  AuditVerifyResult r;
  r.files = Files();
  std::string prev_hash;
  uint64_t prev_seq = 0;
  bool first = true;
  for (const auto& file : r.files) {
    auto lines = Lines(file);
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string where = "line " + std::to_string(i + 1) + " of " + file;
      json j = json::parse(lines[i], nullptr, false);
      if (!j.is_object() || !j.contains("hash") || !j.contains("prev_hash") || !j.contains("seq")) {
        r.ok = false;
        r.problem = where + " is not an audit record (damaged or inserted)";
        return r;
      }
      uint64_t seq = j["seq"].get<uint64_t>();
      std::string name = "record " + std::to_string(seq) + " (" + where + ")";
      if (HashOf(j) != j["hash"].get<std::string>()) {
        r.ok = false;
        r.problem = name + ": its content does not match its hash (the record was edited)";
        return r;
      }
      // The chain may start after records rotated away; it must link from then on.
      if (first) {
        if (seq == 1 && j["prev_hash"] != kGenesis) {
          r.ok = false;
          r.problem = name + ": the first record does not start the chain";
          return r;
        }
      } else if (j["prev_hash"].get<std::string>() != prev_hash || seq != prev_seq + 1) {
        r.ok = false;
        r.problem = name + ": it does not follow record " + std::to_string(prev_seq) +
                    " (a record was deleted, inserted or reordered)";
        return r;
      }
      first = false;
      prev_hash = j["hash"].get<std::string>();
      prev_seq = seq;
      r.records++;
    }
  }
  auto head = ReadHead(path_);
  if (!head.ok()) {
    if (r.records == 0) return r;  // no log yet
    r.ok = false;
    r.problem = "the head file '" + path_ + ".head' is missing or unreadable: the end of the log cannot be checked";
    return r;
  }
  if (head->count != prev_seq || (prev_seq > 0 && head->hash != prev_hash)) {
    r.ok = false;
    r.problem = "the log ends at record " + std::to_string(prev_seq) + " but " + std::to_string(head->count) +
                " were written (records were cut off the end, or the log was replaced)";
  }
  return r;
}

Status AuditLog::Rotate() {
  FileLock lock(path_ + ".lock");
  if (!lock.ok()) return ErrnoStatus(errno, "unable to lock audit log '" + path_ + "'");
  int last = 0;
  while (::access((path_ + "." + std::to_string(last + 1)).c_str(), F_OK) == 0) ++last;
  for (int n = last; n >= 1; --n) {
    std::string from = path_ + "." + std::to_string(n), to = path_ + "." + std::to_string(n + 1);
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus(errno, "unable to rotate '" + from + "'");
  }
  if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, "unable to rotate '" + path_ + "'");
  }
  return Status::Ok();
}

}  // namespace dr::security
