// The index maps blob id -> (pack, offset, length). Index files (docs/format.md
// §Index) are sealed lists of packs with their entries; the in-memory Index is
// their union. An id may appear in several packs (two backups racing); any
// copy will do, and `repo check` accepts duplicates.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "dr/result.h"
#include "repo/blob_id.h"
#include "repo/pack/pack.h"

namespace dr::repo {

struct PackRecord {
  std::string pack_id;  // hex
  uint64_t size = 0;
  std::vector<PackEntry> entries;
};

std::string EncodeIndexFile(const std::vector<PackRecord>& packs);
Result<std::vector<PackRecord>> DecodeIndexFile(std::string_view plaintext);

struct BlobLocation {
  std::string pack_id;
  uint64_t pack_size = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
  uint32_t raw_length = 0;
};

// Thread-safe.
class Index {
 public:
  void AddPack(const PackRecord& pack);
  bool Has(const BlobId& id) const;
  std::optional<BlobLocation> Find(const BlobId& id) const;
  bool HasPack(const std::string& pack_id) const;
  // Every pack the index knows, with its size.
  std::vector<std::pair<std::string, uint64_t>> Packs() const;
  size_t blob_count() const;

 private:
  struct Entry {
    uint32_t pack = 0;
    uint32_t offset = 0;
    uint32_t length = 0;
    uint32_t raw_length = 0;
  };
  mutable std::shared_mutex mu_;
  std::vector<std::pair<std::string, uint64_t>> packs_;
  std::unordered_map<std::string, uint32_t> pack_numbers_;
  std::unordered_map<BlobId, Entry, BlobIdHash> blobs_;
};

}  // namespace dr::repo
