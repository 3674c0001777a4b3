// Where a backup of a partition stops. Each partition is read from `from` up to
// `to`, the high watermark seen when the backup started; messages at or past it
// were produced later and belong to the next backup. Offsets may skip (a
// compacted topic, transaction markers), so the message at to - 1 may never
// come: reaching the partition's end at or past `to` also ends it.
#pragma once

#include <cstdint>
#include <map>

namespace dr::source::kafka {

struct Range {
  int64_t from = 0;  // first offset to read
  int64_t to = 0;    // read below this
};

class PartitionCut {
 public:
  explicit PartitionCut(std::map<int32_t, Range> ranges);

  enum class Verdict { kKeep, kSkip };
  // A message arrived. kSkip: not this backup's (a duplicate, past the cut, a
  // partition already done). `done` is set when the partition just finished.
  Verdict OnMessage(int32_t partition, int64_t offset, bool* done);
  // The consumer reached the partition's end; offset is where the next message
  // would go. True when that finished the partition.
  bool OnEnd(int32_t partition, int64_t offset);

  bool all_done() const { return next_.empty(); }
  // A partition not done yet and the offset it waits for (for error messages); all_done() must be false.
  std::pair<int32_t, int64_t> first_pending() const { return *next_.begin(); }
  const Range& range(int32_t partition) const { return ranges_.at(partition); }
  const std::map<int32_t, Range>& ranges() const { return ranges_; }

 private:
  std::map<int32_t, Range> ranges_;
  std::map<int32_t, int64_t> next_;  // partitions not done -> next offset expected
};

}  // namespace dr::source::kafka
