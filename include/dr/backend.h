// The storage seam: a Backend stores immutable named objects (packs, indexes,
// snapshots, keys, locks) and nothing else. Everything the repository knows
// about storage goes through these six operations; paths are decided by
// storage/layout so that every backend lays objects out the same way.
//
// Contract every implementation guarantees (test/conformance/backend_suite.h
// checks it):
//  - Safe for concurrent use from many threads.
//  - Put is atomic: a reader sees the whole object or kNotFound, never a prefix,
//    also when the writing process is killed mid-way.
//  - Put with overwrite=false fails with kAlreadyExists when the object exists,
//    and two racing Puts of the same name let exactly one win.
//  - A missing object is always kNotFound; running out of space is kNoSpace;
//    errors worth retrying (timeouts, 5xx) are kUnavailable.
//  - Objects are bounded in size (packs are ~16 MiB), so whole-object buffers
//    are fine: Put takes the bytes, Get returns them.
//
// Optional: ListLeftovers/RemoveLeftover expose what interrupted writes leave
// behind outside the object namespace (local: ".tmp-*" files of a killed Put).
// Backends that leave nothing keep the defaults (none, kInvalidArgument).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dr/result.h"

namespace dr {

enum class ObjectKind : uint8_t { kConfig, kKey, kPack, kIndex, kSnapshot, kLock, kWal };

const char* ObjectKindName(ObjectKind kind);

struct ObjectName {
  ObjectKind kind;
  std::string id;  // [0-9A-Za-z._-], never empty; kConfig uses "config"
  std::string ToString() const;
  bool operator==(const ObjectName&) const = default;
};

struct ObjectInfo {
  ObjectName name;
  uint64_t size = 0;
  // When the object was written, where the backend knows it (local: the
  // file's mtime; S3: LastModified, in a listing, not from Stat; memory: its
  // Put); nullopt elsewhere.
  std::optional<std::chrono::system_clock::time_point> modified;
};

struct ByteRange {
  static constexpr uint64_t kToEnd = std::numeric_limits<uint64_t>::max();
  uint64_t offset = 0;
  uint64_t length = kToEnd;  // a range past the end is kCorrupt (the object is shorter than indexed)
};

struct PutOptions {
  bool overwrite = false;
};

// Something an interrupted write left behind; never an object, invisible to List.
struct Leftover {
  std::string name;  // backend-specific, for messages and RemoveLeftover: "snapshots/.tmp-12-0-ab"
  uint64_t size = 0;
  // Last written: a writer still running touches it; one that was killed does not.
  std::chrono::system_clock::time_point modified;
};

struct BackendProperties {
  std::string location;     // human-readable: "/opt/ecap/backups", "s3://bucket/prefix"
  int max_connections = 4;  // how many calls are worth running at once
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendProperties Properties() const = 0;
  virtual Status Put(const ObjectName& name, std::string_view data, const PutOptions& options) = 0;
  virtual Result<std::string> Get(const ObjectName& name, ByteRange range) = 0;
  virtual Result<ObjectInfo> Stat(const ObjectName& name) = 0;
  // Calls visit for every object of one kind, in no particular order; stops at the first error.
  virtual Status List(ObjectKind kind, const std::function<Status(const ObjectInfo&)>& visit) = 0;
  // Removing a missing object is kNotFound.
  virtual Status Remove(const ObjectName& name) = 0;
  // Calls visit for every leftover of an interrupted write; stops at the first error.
  virtual Status ListLeftovers(const std::function<Status(const Leftover&)>& /*visit*/) { return Status::Ok(); }
  // Removes one leftover that ListLeftovers reported; a missing one is kNotFound.
  virtual Status RemoveLeftover(const Leftover& leftover) {
    return InvalidArgument("'" + leftover.name + "' is not a leftover of " + Properties().location);
  }
};

// Forwards every call to target; wrappers (retry, faults, metrics) override what they change.
class BackendWrapper : public Backend {
 public:
  explicit BackendWrapper(std::unique_ptr<Backend> target) : target_(std::move(target)) {}
  BackendProperties Properties() const override { return target_->Properties(); }
  Status Put(const ObjectName& name, std::string_view data, const PutOptions& options) override {
    return target_->Put(name, data, options);
  }
  Result<std::string> Get(const ObjectName& name, ByteRange range) override {
    return target_->Get(name, range);
  }
  Result<ObjectInfo> Stat(const ObjectName& name) override { return target_->Stat(name); }
  Status List(ObjectKind kind, const std::function<Status(const ObjectInfo&)>& visit) override {
    return target_->List(kind, visit);
  }
  Status Remove(const ObjectName& name) override { return target_->Remove(name); }
  Status ListLeftovers(const std::function<Status(const Leftover&)>& visit) override {
    return target_->ListLeftovers(visit);
  }
  Status RemoveLeftover(const Leftover& leftover) override { return target_->RemoveLeftover(leftover); }

 protected:
  std::unique_ptr<Backend> target_;
};

}  // namespace dr
