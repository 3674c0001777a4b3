// The audit trail: append-only JSON lines at audit.log_file, one per operation
// (allowed, denied, failed). Each record carries the SHA-256 of the record
// before it and its own hash over both, so editing, deleting, inserting or
// reordering a record breaks the chain. A head file beside the log
// ("<log>.head") holds the newest hash and the record count, so cutting
// records off the end is found too. Rotation keeps the chain: the first record
// of a new file links to the last of the old one ("<log>.1", "<log>.2", ...).
//
// Appends are serialized between processes with flock(2) and fsynced before
// Append returns: a record is durable before the operation reports success.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/clock.h"
#include "dr/result.h"
#include "security/access/access_control.h"

namespace dr::security {

struct AuditEvent {
  std::string operation;  // "backup.create", ...
  std::string target;     // backup id, path, user, ...
  std::string result;     // "success", "denied", "failed"
  nlohmann::json details = nlohmann::json::object();  // never secrets
};

struct AuditVerifyResult {
  bool ok = true;
  uint64_t records = 0;
  std::vector<std::string> files;  // verified, oldest first
  std::string problem;             // names the first bad record: "record 17 (line 17 of audit.log): ..."
  nlohmann::json ToJson() const;
};

class AuditLog {
 public:
  AuditLog(std::string path, Clock& clock = RealClock()) : path_(std::move(path)), clock_(clock) {}
  bool enabled() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

  Status Append(const Identity& who, const AuditEvent& event);
  // Records, oldest first, across rotated files; filters are optional.
  Result<std::vector<nlohmann::json>> Read(const std::string& since_iso, const std::string& user) const;
  AuditVerifyResult Verify() const;
  // Moves the log to <log>.1 (shifting older ones) and starts a new file linked to it.
  Status Rotate();

 private:
  std::vector<std::string> Files() const;  // oldest first
  std::string path_;
  Clock& clock_;
};

}  // namespace dr::security
