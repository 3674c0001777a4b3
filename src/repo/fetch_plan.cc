#include "repo/fetch_plan.h"

#include <algorithm>

namespace dr::repo {

std::string BlobWhere(const BlobId& id, const std::string& pack_id) {
  return "blob '" + id.ShortHex() + "' in pack '" + pack_id.substr(0, 12) + "'";
}

Status BlobNotIndexed(const BlobId& id, const Index& index) {
  Status missing = NotFound("blob '" + id.ShortHex() + "' is not in any index or pack");
  // A temporary index file that could not be read is the likelier cause.
  if (Status read = index.status(); !read.ok()) return Status(read.code(), missing.message() + " (" + read.message() + ")");
  return missing;
}

std::string Fetch::Where(size_t part) const { return BlobWhere(parts[part].id, pack_id); }

FetchPlanner::FetchPlanner(const Index& index, const std::vector<BlobId>& blobs, FetchOptions options)
    : index_(index), blobs_(blobs), options_(options) {}

Fetch FetchPlanner::Next() {
  Fetch fetch;
  const BlobId& first = blobs_[next_++];
  auto loc = index_.Find(first);
  if (!loc) {
    fetch.parts.push_back({first, 0, 0, 0});
    fetch.missing = BlobNotIndexed(first, index_);
    return fetch;
  }
  // Offsets are the pack's while the range grows (at either end: workers
  // compress in parallel, so neighbours may be packed out of order), then the
  // range's.
  fetch.pack_id = loc->pack_id;
  fetch.offset = loc->offset;
  fetch.length = loc->length;
  fetch.parts.push_back({first, loc->offset, loc->length, loc->raw_length});
  while (next_ < blobs_.size()) {
    auto more = index_.Find(blobs_[next_]);
    // A blob no index knows ends the fetch; the next one reports it.
    if (!more || more->pack_id != fetch.pack_id) break;
    uint64_t start = fetch.offset, end = fetch.offset + fetch.length;
    uint64_t more_end = uint64_t{more->offset} + more->length;
    if (more->offset > end + options_.max_gap || more_end + options_.max_gap < start) break;
    uint64_t new_start = std::min<uint64_t>(start, more->offset);
    uint64_t new_end = std::max(end, more_end);
    if (new_end - new_start > options_.max_length) break;
    fetch.offset = new_start;
    fetch.length = new_end - new_start;
    fetch.parts.push_back({blobs_[next_], more->offset, more->length, more->raw_length});
    ++next_;
  }
  for (auto& part : fetch.parts) part.offset -= fetch.offset;
  return fetch;
}

}  // namespace dr::repo
