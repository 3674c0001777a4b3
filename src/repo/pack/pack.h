// Pack files (docs/format.md §Packs): sealed blobs one after another, then a
// sealed trailer listing them, then the trailer's length and a magic. The
// trailer lets the index be rebuilt from the packs alone. A pack's id is the
// SHA-256 of its bytes, so a pack can be checked without any key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dr/result.h"
#include "repo/blob_id.h"
#include "repo/crypto/seal.h"
#include "repo/format.h"

namespace dr::repo {

struct PackEntry {
  ObjectType type = ObjectType::kData;
  BlobId id;
  uint32_t offset = 0;      // of the sealed blob within the pack
  uint32_t length = 0;      // sealed length
  uint32_t raw_length = 0;  // plaintext length
};

void EncodeEntries(const std::vector<PackEntry>& entries, std::string& out);
// Decodes `count` entries at data; kCorrupt on a bad type or a short buffer.
Result<std::vector<PackEntry>> DecodeEntries(std::string_view data, size_t count);

struct FinishedPack {
  std::string id;  // hex SHA-256 of bytes
  std::string bytes;
  std::vector<PackEntry> entries;
};

// Collects sealed blobs into one pack. Not thread-safe.
class PackBuilder {
 public:
  void Add(ObjectType type, const BlobId& id, std::string_view sealed, uint32_t raw_length);
  // Room for a whole pack up front: growing by doubling would hold up to twice
  // the pack size per builder (measured: most of prune's peak heap).
  void Reserve(size_t bytes) { bytes_.reserve(bytes); }
  size_t size() const { return bytes_.size(); }
  size_t count() const { return entries_.size(); }
  // Appends the sealed trailer and footer; the builder is empty afterwards.
  FinishedPack Finish(const SealKey& key);

 private:
  std::string bytes_;
  std::vector<PackEntry> entries_;
};

// Reads the entry list from a pack's tail. `tail` is the last bytes of the pack
// (at least the footer; ParsePackTrailer says how many more it needs).
struct TrailerNeed {
  size_t tail_bytes;  // how many bytes from the end hold the footer and the trailer
};
Result<TrailerNeed> TrailerSize(std::string_view footer, uint64_t pack_size);
Result<std::vector<PackEntry>> ParsePackTrailer(const SealKey& key, std::string_view tail, uint64_t pack_size);

}  // namespace dr::repo
