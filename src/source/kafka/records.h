// How Kafka messages are kept in the repository: a stream of self-delimiting
// records (docs/format.md, "Kafka message segments"). One segment stream holds
// the messages one backup read from one topic, all partitions interleaved in
// the order they were consumed; the order within each partition is the
// partition's own, which is all a restore needs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dr/io.h"
#include "dr/result.h"

namespace dr::source::kafka {

struct Header {
  std::string name;
  std::optional<std::string> value;  // a header may have a null value
};

struct Record {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = -1;  // -1: none
  uint8_t timestamp_type = 0;  // 0 none, 1 create time, 2 log-append time (librdkafka's)
  std::optional<std::string> key;    // null and empty differ in Kafka
  std::optional<std::string> value;  // null value: a tombstone on compacted topics
  std::vector<Header> headers;
};

// Appends one encoded record to out.
void EncodeRecord(const Record& r, std::string& out);
// The same, straight from views (the backup path: no copies of keys and values).
struct RecordView {
  int32_t partition;
  int64_t offset;
  int64_t timestamp_ms;
  uint8_t timestamp_type;
  const char* key;  // nullptr: null
  size_t key_len;
  const char* value;
  size_t value_len;
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> headers;
};
void EncodeRecord(const RecordView& r, std::string& out);

// An owned copy of a view.
Record ToRecord(const RecordView& v);

// A ByteSink that decodes a segment stream as it arrives and hands each record
// to `on_record` as views into the stream (valid during the call: no copies);
// a record split across writes is kept until it is whole, so memory is one
// record plus one write. Finish() reports a truncated stream.
class RecordDecoder : public ByteSink {
 public:
  using Callback = std::function<Status(const RecordView&)>;
  explicit RecordDecoder(Callback on_record) : on_record_(std::move(on_record)) {}
  Status Write(std::string_view data) override;
  Status Finish() const;
  uint64_t records() const { return records_; }

 private:
  Status DecodeOne(std::string_view body);
  Callback on_record_;
  RecordView view_{};  // reused: its header list keeps its capacity
  std::string pending_;
  uint64_t records_ = 0;
};

}  // namespace dr::source::kafka
