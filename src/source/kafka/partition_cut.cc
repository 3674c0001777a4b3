#include "source/kafka/partition_cut.h"

namespace dr::source::kafka {

PartitionCut::PartitionCut(std::map<int32_t, Range> ranges) : ranges_(std::move(ranges)) {
  for (const auto& [p, r] : ranges_) {
    if (r.from < r.to) next_[p] = r.from;
  }
}

PartitionCut::Verdict PartitionCut::OnMessage(int32_t partition, int64_t offset, bool* done) {
  *done = false;
  auto it = next_.find(partition);
  if (it == next_.end() || offset < it->second) return Verdict::kSkip;  // done already, or seen
  const Range& r = ranges_.at(partition);
  if (offset >= r.to) {  // produced after the backup started: the partition is complete
    next_.erase(it);
    *done = true;
    return Verdict::kSkip;
  }
  it->second = offset + 1;
  if (offset + 1 >= r.to) {
    next_.erase(it);
    *done = true;
  }
  return Verdict::kKeep;
}

bool PartitionCut::OnEnd(int32_t partition, int64_t offset) {
  auto it = next_.find(partition);
  if (it == next_.end() || offset < ranges_.at(partition).to) return false;
  next_.erase(it);
  return true;
}

}  // namespace dr::source::kafka
