// How a restore reads its blobs from storage: as few ranged GETs as will do.
//
// A backup packs a stream's blobs in the order it wrote them, so the blobs a
// restore needs one after another usually sit side by side in one pack. On
// object storage each request costs a round trip whatever its size (measured
// on radosgw: 879 GETs of ~330 KB reached half the raw download speed), so
// neighbouring blobs of one pack are read in one GET. A gap of unneeded bytes
// between them up to `max_gap` is read and dropped rather than paid for with
// another request; no GET reads more than `max_length`, which bounds the
// memory a read holds and keeps enough reads to run in parallel.
//
// The plan is made as the restore goes (Next), in the order the stream needs
// its blobs, so it costs no memory beyond the one fetch being built.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dr/result.h"
#include "repo/blob_id.h"
#include "repo/index/index.h"

namespace dr::repo {

struct FetchOptions {
  uint64_t max_gap = 1 << 20;
  uint64_t max_length = 8 << 20;
};

// "blob '<id>' in pack '<pack>'": how restore's errors name a blob.
std::string BlobWhere(const BlobId& id, const std::string& pack_id);
// kNotFound: "blob '<id>' is not in any index or pack".
Status BlobNotIndexed(const BlobId& id, const Index& index);

// One ranged GET of a pack and the blobs it serves, in the stream's order.
struct Fetch {
  struct Part {
    BlobId id;
    uint64_t offset = 0;  // within the fetched range
    uint32_t length = 0;  // sealed
    uint32_t raw_length = 0;
  };
  std::string pack_id;
  uint64_t offset = 0;  // within the pack
  uint64_t length = 0;
  std::vector<Part> parts;
  // Set when the first (only) part's blob is in no index: nothing is read, and
  // the restore fails at that blob with this error.
  Status missing;

  // "blob '<id>' in pack '<pack>'": how errors name a part.
  std::string Where(size_t part) const;
};

class FetchPlanner {
 public:
  // index and blobs must outlive the planner.
  FetchPlanner(const Index& index, const std::vector<BlobId>& blobs, FetchOptions options = {});
  bool done() const { return next_ >= blobs_.size(); }
  // The next fetch: blobs_[next..] for as long as they extend it.
  Fetch Next();

 private:
  const Index& index_;
  const std::vector<BlobId>& blobs_;
  FetchOptions options_;
  size_t next_ = 0;
};

}  // namespace dr::repo
