// `s3 mirror`: keeps a data-lake bucket mirrored to a bucket in the backup
// region (storage failover). New and changed objects are copied (ranged reads,
// multipart writes for large ones, content type and user metadata kept);
// deleted ones are removed from the target when asked. What was copied is
// remembered in a local state file (key, size, source ETag), so a run costs the
// two listings plus one copy per changed object, never a HEAD per object.
// The lag (age of the oldest source change not yet mirrored) is the storage RPO.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "net/s3/s3_client.h"

namespace dr::source {

struct MirrorOptions {
  net::s3::S3Options source;  // with bucket
  net::s3::S3Options target;  // with bucket (may be another endpoint and region)
  std::string prefix;
  bool delete_removed = false;
  std::string state_file;
};

struct MirrorResult {
  uint64_t source_objects = 0;
  uint64_t copied = 0;
  uint64_t bytes_copied = 0;
  uint64_t deleted = 0;
  uint64_t unchanged = 0;
  double lag_seconds_before = 0;  // oldest pending change when the pass started
  double lag_seconds = 0;         // after the pass: 0 when everything is mirrored
  uint64_t requests = 0;
  nlohmann::json ToJson() const;
};

Result<MirrorResult> MirrorOnce(const MirrorOptions& options, Clock& clock);

// Beside the state file, each pass leaves {"finished_at", "lag_seconds"}: the
// storage RPO is that lag plus the time since (what changed since is unmirrored).
std::string MirrorPassFile(const std::string& state_file);
// The storage RPO at `now` from a pass file: the last pass's lag plus the time
// since it ended. nullopt when there is no completed pass (no file, or one
// that cannot be read or parsed).
std::optional<double> MirrorLagSeconds(const std::string& pass_file, std::chrono::system_clock::time_point now);

}  // namespace dr::source
