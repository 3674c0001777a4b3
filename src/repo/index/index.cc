#include "repo/index/index.h"

#include "base/encoding.h"

namespace dr::repo {

std::string EncodeIndexFile(const std::vector<PackRecord>& packs) {
  std::string out(kIndexMagic);
  PutU32(out, static_cast<uint32_t>(packs.size()));
  for (const auto& p : packs) {
    out += *HexDecode(p.pack_id);
    PutU64(out, p.size);
    PutU32(out, static_cast<uint32_t>(p.entries.size()));
    EncodeEntries(p.entries, out);
  }
  return out;
}

Result<std::vector<PackRecord>> DecodeIndexFile(std::string_view data) {
  if (data.substr(0, kIndexMagic.size()) != kIndexMagic || data.size() < kIndexMagic.size() + 4) {
    return Corrupt("index file has no magic");
  }
  data.remove_prefix(kIndexMagic.size());
  size_t count = GetU32(data.data());
  data.remove_prefix(4);
  std::vector<PackRecord> packs;
  for (size_t i = 0; i < count; ++i) {
    if (data.size() < 32 + 8 + 4) return Corrupt("index file is truncated");
    PackRecord p;
    p.pack_id = HexEncode(data.substr(0, 32));
    p.size = GetU64(data.data() + 32);
    size_t n = GetU32(data.data() + 40);
    data.remove_prefix(44);
    DR_ASSIGN_OR_RETURN(p.entries, DecodeEntries(data, n));
    data.remove_prefix(n * kPackEntrySize);
    packs.push_back(std::move(p));
  }
  if (!data.empty()) return Corrupt("index file has trailing bytes");
  return packs;
}

void Index::AddPack(const PackRecord& pack) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = pack_numbers_.emplace(pack.pack_id, static_cast<uint32_t>(packs_.size()));
  if (inserted) packs_.emplace_back(pack.pack_id, pack.size);
  for (const auto& e : pack.entries) {
    blobs_.emplace(e.id, Entry{it->second, e.offset, e.length, e.raw_length});
  }
}

bool Index::Has(const BlobId& id) const {
  std::shared_lock lock(mu_);
  return blobs_.count(id) > 0;
}

std::optional<BlobLocation> Index::Find(const BlobId& id) const {
  std::shared_lock lock(mu_);
  auto it = blobs_.find(id);
  if (it == blobs_.end()) return std::nullopt;
  const auto& [pack_id, pack_size] = packs_[it->second.pack];
  return BlobLocation{pack_id, pack_size, it->second.offset, it->second.length, it->second.raw_length};
}

bool Index::HasPack(const std::string& pack_id) const {
  std::shared_lock lock(mu_);
  return pack_numbers_.count(pack_id) > 0;
}

std::vector<std::pair<std::string, uint64_t>> Index::Packs() const {
  std::shared_lock lock(mu_);
  return packs_;
}

size_t Index::blob_count() const {
  std::shared_lock lock(mu_);
  return blobs_.size();
}

}  // namespace dr::repo
