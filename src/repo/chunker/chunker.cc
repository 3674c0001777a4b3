#include "repo/chunker/chunker.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace dr::repo {

GearTable MakeGearTable(uint64_t seed) {
  // splitmix64: a fixed, well-mixed expansion of the seed into 256 words.
  GearTable table{};
  uint64_t x = seed;
  for (auto& v : table) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    v = z ^ (z >> 31);
  }
  return table;
}

size_t FindCutPoint(const GearTable& gear, const ChunkerParams& params, const unsigned char* data, size_t len) {
  if (len <= params.min_size) return len;
  size_t max = std::min(len, params.max_size);
  size_t normal = std::min(max, params.avg_size);
  // Normalized chunking, level 2: a harder mask (2 more bits) before the average
  // size and an easier one (2 fewer) after it pulls sizes towards the average.
  // The hash shifts left, so its high bits depend on the most bytes: mask those.
  int bits = std::countr_zero(params.avg_size);
  uint64_t mask_small = ~0ULL << (64 - (bits + 2));
  uint64_t mask_large = ~0ULL << (64 - (bits - 2));
  uint64_t fp = 0;
  size_t i = params.min_size;
  for (; i < normal; ++i) {
    fp = (fp << 1) + gear[data[i]];
    if ((fp & mask_small) == 0) return i + 1;
  }
  for (; i < max; ++i) {
    fp = (fp << 1) + gear[data[i]];
    if ((fp & mask_large) == 0) return i + 1;
  }
  return max;
}

Chunker::Chunker(ByteSource& source, const GearTable& gear, const ChunkerParams& params)
    : source_(source), gear_(gear), params_(params) {}

Status Chunker::Fill() {
  if (pos_ > 0 && end_ - pos_ < params_.max_size) {
    std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  while (!eof_ && end_ - pos_ < params_.max_size) {
    if (end_ == capacity_) {
      // Here pos_ is 0 and end_ < max_size, so 2 x max_size always has room.
      size_t grown = std::min(std::max<size_t>(capacity_ * 2, 64 << 10), params_.max_size * 2);
      std::unique_ptr<char[]> bigger(new char[grown]);
      if (end_ > 0) std::memcpy(bigger.get(), buf_.get(), end_);
      buf_ = std::move(bigger);
      capacity_ = grown;
    }
    DR_ASSIGN_OR_RETURN(size_t got, source_.Read(buf_.get() + end_, capacity_ - end_));
    if (got == 0) eof_ = true;
    end_ += got;
  }
  return Status::Ok();
}

Result<bool> Chunker::Next(std::string* chunk) {
  DR_RETURN_IF_ERROR(Fill());
  if (pos_ == end_) return false;
  auto* data = reinterpret_cast<const unsigned char*>(buf_.get() + pos_);
  size_t len = FindCutPoint(gear_, params_, data, end_ - pos_);
  chunk->assign(buf_.get() + pos_, len);
  pos_ += len;
  return true;
}

}  // namespace dr::repo
