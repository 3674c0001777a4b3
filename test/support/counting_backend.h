// A Backend wrapper for tests of the summary cache (backup/summary_cache.h).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "dr/backend.h"

namespace dr::test {

// Counts reads (Get) of snapshot objects, to prove a listing used its cached
// summaries: into `reads` when given (it must outlive the backend: the
// backend of a manager that ops/ makes dies with the operation), else into
// snapshot_reads.
class CountingBackend : public BackendWrapper {
 public:
  explicit CountingBackend(std::unique_ptr<Backend> target, std::atomic<int>* reads = nullptr)
      : BackendWrapper(std::move(target)), reads_(reads != nullptr ? reads : &snapshot_reads) {}
  Result<std::string> Get(const ObjectName& name, ByteRange range) override {
    if (name.kind == ObjectKind::kSnapshot) ++*reads_;
    return BackendWrapper::Get(name, range);
  }
  std::atomic<int> snapshot_reads = 0;

 private:
  std::atomic<int>* reads_;
};

}  // namespace dr::test
