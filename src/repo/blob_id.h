// A blob id: HMAC-SHA256 of the blob's plaintext under the repository id key.
#pragma once

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace dr::repo {

struct BlobId {
  std::array<unsigned char, 32> bytes{};

  static BlobId FromRaw(std::string_view raw) {
    BlobId id;
    std::memcpy(id.bytes.data(), raw.data(), std::min(raw.size(), id.bytes.size()));
    return id;
  }
  static std::optional<BlobId> FromHex(std::string_view hex);
  std::string hex() const;
  std::string_view raw() const { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
  std::string ShortHex() const { return hex().substr(0, 12); }
  bool operator==(const BlobId&) const = default;
};

struct BlobIdHash {
  size_t operator()(const BlobId& id) const {
    size_t h;
    std::memcpy(&h, id.bytes.data(), sizeof h);  // already uniformly distributed
    return h;
  }
};

}  // namespace dr::repo
