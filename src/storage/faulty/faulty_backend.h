// A test-only wrapper that injects failures into a Backend (leveldb ErrorEnv,
// Kopia FaultyStorage): fail the next N calls of an operation with a given
// Status, or fail every Put once a byte budget is spent (a disk filling up).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "dr/backend.h"

namespace dr::storage {

enum class Op { kPut, kGet, kStat, kList, kRemove };

class FaultyBackend : public BackendWrapper {
 public:
  explicit FaultyBackend(std::unique_ptr<Backend> target) : BackendWrapper(std::move(target)) {}

  // The next `count` calls of op return status instead of reaching the target.
  void FailNext(Op op, Status status, int count = 1);
  // Puts succeed until `bytes` more bytes have been written, then fail with kNoSpace.
  void SetSpaceLeft(uint64_t bytes);
  // Corrupts data returned by Get for objects of this kind: flips the byte at offset.
  void CorruptReads(ObjectKind kind, uint64_t offset);
  // Every Get of `name` whose range covers byte `offset` of the object returns
  // status: one blob of a pack unreadable, at a place the test chooses.
  void FailReadsAt(const ObjectName& name, uint64_t offset, Status status);
  void Reset();

  Status Put(const ObjectName& name, std::string_view data, const PutOptions& options) override;
  Result<std::string> Get(const ObjectName& name, ByteRange range) override;
  Result<ObjectInfo> Stat(const ObjectName& name) override;
  Status List(ObjectKind kind, const std::function<Status(const ObjectInfo&)>& visit) override;
  Status Remove(const ObjectName& name) override;

 private:
  Status Take(Op op);

  std::mutex mu_;
  Op fail_op_ = Op::kPut;
  Status fail_status_;
  int fail_count_ = 0;
  bool space_limited_ = false;
  uint64_t space_left_ = 0;
  bool corrupt_reads_ = false;
  ObjectKind corrupt_kind_ = ObjectKind::kPack;
  uint64_t corrupt_offset_ = 0;
  struct ReadFault {
    ObjectName name;
    uint64_t offset;
    Status status;
  };
  std::vector<ReadFault> read_faults_;
};

}  // namespace dr::storage
