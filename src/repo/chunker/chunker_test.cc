#include "repo/chunker/chunker.h"

#include "test/support/test_support.h"

namespace dr::repo {
namespace {

std::vector<size_t> ChunkSizes(const std::string& data, uint64_t seed) {
  StringSource src(data);
  GearTable gear = MakeGearTable(seed);
  Chunker chunker(src, gear, {});
  std::vector<size_t> sizes;
  std::string chunk;
  while (*chunker.Next(&chunk)) sizes.push_back(chunk.size());
  return sizes;
}

TEST(ChunkerTest, SizesStayWithinBoundsAndAverageNearTarget) {
  std::string data = test::RandomData(64 << 20, 1);
  auto sizes = ChunkSizes(data, 42);
  size_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    total += sizes[i];
    EXPECT_LE(sizes[i], kChunkMax);
    if (i + 1 < sizes.size()) {
      EXPECT_GE(sizes[i], kChunkMin);
    }
  }
  EXPECT_EQ(total, data.size());
  double avg = static_cast<double>(total) / static_cast<double>(sizes.size());
  EXPECT_GT(avg, 0.7 * kChunkAvg);
  EXPECT_LT(avg, 1.5 * kChunkAvg);
}

TEST(ChunkerTest, DeterministicPerSeedAndDifferentAcrossSeeds) {
  std::string data = test::RandomData(16 << 20, 2);
  EXPECT_EQ(ChunkSizes(data, 7), ChunkSizes(data, 7));
  EXPECT_NE(ChunkSizes(data, 7), ChunkSizes(data, 8));
}

TEST(ChunkerTest, SmallReadsGiveTheSameChunks) {
  // A source that returns a few bytes at a time must not change cut points.
  class Trickle : public ByteSource {
   public:
    explicit Trickle(const std::string& d) : d_(d) {}
    Result<size_t> Read(char* buf, size_t n) override {
      size_t take = std::min({n, size_t{4093}, d_.size() - pos_});
      std::copy_n(d_.data() + pos_, take, buf);
      pos_ += take;
      return take;
    }

   private:
    const std::string& d_;
    size_t pos_ = 0;
  };
  std::string data = test::RandomData(10 << 20, 3);
  Trickle src(data);
  GearTable gear = MakeGearTable(7);
  Chunker chunker(src, gear, {});
  std::vector<size_t> sizes;
  std::string chunk;
  while (*chunker.Next(&chunk)) sizes.push_back(chunk.size());
  EXPECT_EQ(sizes, ChunkSizes(data, 7));
}

}  // namespace
}  // namespace dr::repo
