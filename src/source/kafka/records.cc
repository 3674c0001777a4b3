#include "source/kafka/records.h"

#include <cstring>

#include "base/encoding.h"

namespace dr::source::kafka {
namespace {

// Layout of one record (little-endian; docs/format.md):
//   u32 body length, then the body:
//   i32 partition | i64 offset | i64 timestamp | u8 timestamp type |
//   i32 key length (-1 null) | key | i32 value length (-1 null) | value |
//   u32 header count | per header: u32 name length | name | i32 value length (-1 null) | value
constexpr uint32_t kNull = 0xFFFFFFFFu;

void PutBytes(std::string& out, const char* p, size_t n, bool null) {
  PutU32(out, null ? kNull : static_cast<uint32_t>(n));
  if (!null) out.append(p, n);
}

class Cursor {
 public:
  explicit Cursor(std::string_view b) : b_(b) {}
  bool U32(uint32_t& v) {
    if (b_.size() < 4) return false;
    v = GetU32(b_.data());
    b_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t& v) {
    if (b_.size() < 8) return false;
    v = GetU64(b_.data());
    b_.remove_prefix(8);
    return true;
  }
  bool U8(uint8_t& v) {
    if (b_.empty()) return false;
    v = static_cast<uint8_t>(b_[0]);
    b_.remove_prefix(1);
    return true;
  }
  // A length-prefixed byte string; nullopt for a null one.
  bool Bytes(std::optional<std::string_view>& v) {
    uint32_t n;
    if (!U32(n)) return false;
    if (n == kNull) {
      v.reset();
      return true;
    }
    if (b_.size() < n) return false;
    v.emplace(b_.substr(0, n));
    b_.remove_prefix(n);
    return true;
  }
  bool done() const { return b_.empty(); }

 private:
  std::string_view b_;
};

}  // namespace

void EncodeRecord(const RecordView& r, std::string& out) {
  size_t start = out.size();
  PutU32(out, 0);  // body length, patched below
  PutU32(out, static_cast<uint32_t>(r.partition));
  PutU64(out, static_cast<uint64_t>(r.offset));
  PutU64(out, static_cast<uint64_t>(r.timestamp_ms));
  out.push_back(static_cast<char>(r.timestamp_type));
  PutBytes(out, r.key, r.key_len, r.key == nullptr);
  PutBytes(out, r.value, r.value_len, r.value == nullptr);
  PutU32(out, static_cast<uint32_t>(r.headers.size()));
  for (const auto& [name, value] : r.headers) {
    PutBytes(out, name.data(), name.size(), false);
    PutBytes(out, value ? value->data() : nullptr, value ? value->size() : 0, !value);
  }
  std::string len;
  PutU32(len, static_cast<uint32_t>(out.size() - start - 4));
  std::memcpy(out.data() + start, len.data(), 4);
}

void EncodeRecord(const Record& r, std::string& out) {
  RecordView v{r.partition, r.offset, r.timestamp_ms, r.timestamp_type,
               r.key ? r.key->data() : nullptr, r.key ? r.key->size() : 0,
               r.value ? r.value->data() : nullptr, r.value ? r.value->size() : 0, {}};
  for (const auto& h : r.headers) {
    v.headers.emplace_back(h.name, h.value ? std::optional<std::string_view>(*h.value) : std::nullopt);
  }
  EncodeRecord(v, out);
}

Record ToRecord(const RecordView& v) {
  Record r{.partition = v.partition, .offset = v.offset, .timestamp_ms = v.timestamp_ms,
           .timestamp_type = v.timestamp_type};
  if (v.key != nullptr) r.key.emplace(v.key, v.key_len);
  if (v.value != nullptr) r.value.emplace(v.value, v.value_len);
  for (const auto& [name, value] : v.headers) {
    r.headers.push_back({std::string(name), value ? std::optional<std::string>(std::string(*value)) : std::nullopt});
  }
  return r;
}

Status RecordDecoder::DecodeOne(std::string_view body) {
  Cursor c(body);
  RecordView& r = view_;
  uint32_t partition, nheaders;
  uint64_t offset, ts;
  std::optional<std::string_view> key, value;
  if (!c.U32(partition) || !c.U64(offset) || !c.U64(ts) || !c.U8(r.timestamp_type) || !c.Bytes(key) ||
      !c.Bytes(value) || !c.U32(nheaders)) {
    return Corrupt("Kafka record " + std::to_string(records_) + " is malformed");
  }
  r.partition = static_cast<int32_t>(partition);
  r.offset = static_cast<int64_t>(offset);
  r.timestamp_ms = static_cast<int64_t>(ts);
  r.key = key ? key->data() : nullptr;
  r.key_len = key ? key->size() : 0;
  r.value = value ? value->data() : nullptr;
  r.value_len = value ? value->size() : 0;
  r.headers.clear();
  for (uint32_t i = 0; i < nheaders; ++i) {
    std::optional<std::string_view> name, hv;
    if (!c.Bytes(name) || !name || !c.Bytes(hv)) {
      return Corrupt("Kafka record " + std::to_string(records_) + " has a malformed header");
    }
    r.headers.emplace_back(*name, hv);
  }
  if (!c.done()) return Corrupt("Kafka record " + std::to_string(records_) + " has trailing bytes");
  ++records_;
  return on_record_(r);
}

Status RecordDecoder::Write(std::string_view data) {
  // Whole records straight from `data`; only a record split across writes is copied.
  if (!pending_.empty()) {
    if (pending_.size() < 4) {
      size_t need = 4 - pending_.size();
      size_t take = std::min(need, data.size());
      pending_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (pending_.size() < 4) return Status::Ok();
    }
    size_t total = 4 + static_cast<size_t>(GetU32(pending_.data()));
    size_t take = std::min(total - pending_.size(), data.size());
    pending_.append(data.substr(0, take));
    data.remove_prefix(take);
    if (pending_.size() < total) return Status::Ok();
    DR_RETURN_IF_ERROR(DecodeOne(std::string_view(pending_).substr(4)));
    pending_.clear();
  }
  while (data.size() >= 4) {
    size_t total = 4 + static_cast<size_t>(GetU32(data.data()));
    if (data.size() < total) break;
    DR_RETURN_IF_ERROR(DecodeOne(data.substr(4, total - 4)));
    data.remove_prefix(total);
  }
  pending_.assign(data);
  return Status::Ok();
}

Status RecordDecoder::Finish() const {
  if (!pending_.empty()) {
    return Corrupt("Kafka message segment ends inside a record (after " + std::to_string(records_) + " records)");
  }
  return Status::Ok();
}

}  // namespace dr::source::kafka
