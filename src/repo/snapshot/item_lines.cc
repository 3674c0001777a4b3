#include "repo/snapshot/item_lines.h"

namespace dr::repo {

std::string EncodeItemLine(const SnapshotItem& item) {
  // dump() escapes every control character: '\n' only ever ends a line.
  std::string line = ItemToJson(item, /*with_blobs=*/true).dump();
  line += '\n';
  return line;
}

Result<SnapshotItem> DecodeItemLine(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("an item list line is not a JSON object");
  return ItemFromJson(j);
}

namespace {
// FNV-1a, then splitmix64's finalizer over it and the seed: fixed forever (cut
// points must not move between versions, or unchanged lists stop deduplicating).
uint64_t NameHash(uint64_t seed, std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  uint64_t z = h ^ seed;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
}  // namespace

bool CutAfterItem(uint64_t seed, std::string_view name, size_t line_size, size_t bytes) {
  if (bytes >= kItemBlobMax) return true;
  if (bytes < kItemBlobMin) return false;
  // A cut with probability line_size / target: about one per target bytes,
  // whatever the size of the items.
  return NameHash(seed, name) % kItemBlobTarget < line_size;
}

bool CutAfterId(const BlobId& id, size_t count) {
  if (count >= kIdBlobMax) return true;
  return count >= kIdBlobMin && id.bytes[31] % kIdCutModulus == 0;
}

Status ForEachLine(std::string_view text, const std::function<Status(std::string_view)>& fn) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    if (end == std::string_view::npos) return Corrupt("an item list does not end with a complete line");
    DR_RETURN_IF_ERROR(fn(text.substr(0, end)));
    text.remove_prefix(end + 1);
  }
  return Status::Ok();
}

Status ForEachItemLine(std::string_view text, const std::function<Status(SnapshotItem&&)>& fn) {
  return ForEachLine(text, [&](std::string_view line) {
    DR_ASSIGN_OR_RETURN(SnapshotItem item, DecodeItemLine(line));
    return fn(std::move(item));
  });
}

std::vector<BlobId> SplitIds(std::string_view raw) {
  std::vector<BlobId> ids;
  ids.reserve(raw.size() / 32);
  for (size_t at = 0; at + 32 <= raw.size(); at += 32) ids.push_back(BlobId::FromRaw(raw.substr(at, 32)));
  return ids;
}

}  // namespace dr::repo
