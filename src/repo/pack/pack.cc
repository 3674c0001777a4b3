#include "repo/pack/pack.h"

#include "base/crypto.h"
#include "base/encoding.h"

namespace dr::repo {

void EncodeEntries(const std::vector<PackEntry>& entries, std::string& out) {
  out.reserve(out.size() + entries.size() * kPackEntrySize);
  for (const auto& e : entries) {
    out.push_back(static_cast<char>(e.type));
    out.append(e.id.raw());
    PutU32(out, e.offset);
    PutU32(out, e.length);
    PutU32(out, e.raw_length);
  }
}

Result<std::vector<PackEntry>> DecodeEntries(std::string_view data, size_t count) {
  if (data.size() < count * kPackEntrySize) return Corrupt("entry list is truncated");
  std::vector<PackEntry> entries(count);
  const char* p = data.data();
  for (auto& e : entries) {
    auto type = static_cast<uint8_t>(p[0]);
    if (type != static_cast<uint8_t>(ObjectType::kData)) return Corrupt("entry has unknown blob type " + std::to_string(type));
    e.type = static_cast<ObjectType>(type);
    e.id = BlobId::FromRaw({p + 1, 32});
    e.offset = GetU32(p + 33);
    e.length = GetU32(p + 37);
    e.raw_length = GetU32(p + 41);
    p += kPackEntrySize;
  }
  return entries;
}

void PackBuilder::Add(ObjectType type, const BlobId& id, std::string_view sealed, uint32_t raw_length) {
  entries_.push_back({type, id, static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(sealed.size()), raw_length});
  bytes_.append(sealed);
}

FinishedPack PackBuilder::Finish(const SealKey& key) {
  std::string trailer;
  PutU32(trailer, static_cast<uint32_t>(entries_.size()));
  EncodeEntries(entries_, trailer);
  std::string sealed = Seal(key, ObjectType::kPackTrailer, trailer, 0);
  FinishedPack pack;
  pack.bytes = std::move(bytes_);
  pack.bytes += sealed;
  PutU32(pack.bytes, static_cast<uint32_t>(sealed.size()));
  pack.bytes += kPackMagic;
  pack.id = HexEncode(crypto::Sha256(pack.bytes));
  pack.entries = std::move(entries_);
  bytes_.clear();
  entries_.clear();
  return pack;
}

Result<TrailerNeed> TrailerSize(std::string_view footer, uint64_t pack_size) {
  if (footer.size() < kPackFooterSize || pack_size < kPackFooterSize) return Corrupt("pack is too short for a footer");
  std::string_view tail = footer.substr(footer.size() - kPackFooterSize);
  if (tail.substr(4) != kPackMagic) return Corrupt("pack footer has no magic (truncated or not a pack)");
  uint64_t trailer_len = GetU32(tail.data());
  if (trailer_len + kPackFooterSize > pack_size) return Corrupt("pack trailer length exceeds the pack size");
  return TrailerNeed{static_cast<size_t>(trailer_len + kPackFooterSize)};
}

Result<std::vector<PackEntry>> ParsePackTrailer(const SealKey& key, std::string_view tail, uint64_t pack_size) {
  DR_ASSIGN_OR_RETURN(TrailerNeed need, TrailerSize(tail, pack_size));
  if (tail.size() < need.tail_bytes) return Corrupt("pack tail is shorter than its trailer");
  std::string_view sealed = tail.substr(tail.size() - need.tail_bytes, need.tail_bytes - kPackFooterSize);
  DR_ASSIGN_OR_RETURN(std::string trailer, Unseal(key, ObjectType::kPackTrailer, sealed));
  if (trailer.size() < 4) return Corrupt("pack trailer is empty");
  size_t count = GetU32(trailer.data());
  if (trailer.size() != 4 + count * kPackEntrySize) return Corrupt("pack trailer has the wrong length");
  DR_ASSIGN_OR_RETURN(auto entries, DecodeEntries(std::string_view(trailer).substr(4), count));
  uint64_t data_end = pack_size - need.tail_bytes;
  for (const auto& e : entries) {
    if (static_cast<uint64_t>(e.offset) + e.length > data_end) return Corrupt("pack trailer points past the blob area");
  }
  return entries;
}

}  // namespace dr::repo
