#include "source/kafka/records.h"

#include "test/support/test_support.h"

namespace dr::source::kafka {
namespace {

using dr::test::RandomData;

std::vector<Record> Sample() {
  std::vector<Record> out;
  for (int i = 0; i < 200; ++i) {
    Record r{.partition = i % 7, .offset = 1000 + i, .timestamp_ms = 1795651200000 + i, .timestamp_type = 1};
    if (i % 5 != 0) r.key = "key-" + std::to_string(i);
    if (i % 9 == 1) r.key = "";  // empty, not null
    if (i % 11 != 0) r.value = RandomData(i * 37 % 3000, i);
    r.headers.push_back({"trace", std::to_string(i)});
    if (i % 3 == 0) r.headers.push_back({"nothing", std::nullopt});
    out.push_back(std::move(r));
  }
  return out;
}

bool Same(const Record& a, const Record& b) {
  if (a.headers.size() != b.headers.size()) return false;
  for (size_t i = 0; i < a.headers.size(); ++i) {
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) return false;
  }
  return a.partition == b.partition && a.offset == b.offset && a.timestamp_ms == b.timestamp_ms &&
         a.timestamp_type == b.timestamp_type && a.key == b.key && a.value == b.value;
}

TEST(KafkaRecordsTest, RoundTripInAnyWriteSizes) {
  auto records = Sample();
  std::string stream;
  for (const auto& r : records) EncodeRecord(r, stream);
  for (size_t step : {size_t{1}, size_t{3}, size_t{4096}, stream.size()}) {
    std::vector<Record> got;
    RecordDecoder d([&](const RecordView& r) {
      got.push_back(ToRecord(r));
      return Status::Ok();
    });
    for (size_t pos = 0; pos < stream.size(); pos += step) {
      ASSERT_OK(d.Write(std::string_view(stream).substr(pos, step)));
    }
    ASSERT_OK(d.Finish());
    ASSERT_EQ(got.size(), records.size()) << "write size " << step;
    for (size_t i = 0; i < got.size(); ++i) ASSERT_TRUE(Same(got[i], records[i])) << "record " << i;
    EXPECT_FALSE(got[0].key.has_value()) << "a null key stays null";
    EXPECT_TRUE(got[1].key.has_value() && got[1].key->empty()) << "an empty key stays empty";
  }
}

TEST(KafkaRecordsTest, TruncatedAndMalformedStreamsAreCorrupt) {
  auto records = Sample();
  std::string stream;
  for (const auto& r : records) EncodeRecord(r, stream);
  RecordDecoder cut([](const RecordView&) { return Status::Ok(); });
  ASSERT_OK(cut.Write(std::string_view(stream).substr(0, stream.size() - 3)));
  EXPECT_THAT(cut.Finish(), dr::test::StatusIs(Code::kCorrupt));

  std::string bad = stream.substr(0, 4 + 10);  // a length that promises more than the body holds
  bad[0] = 10;
  bad[1] = bad[2] = bad[3] = 0;
  RecordDecoder d([](const RecordView&) { return Status::Ok(); });
  EXPECT_THAT(d.Write(bad), dr::test::StatusIs(Code::kCorrupt));
}

TEST(KafkaRecordsTest, CallbackErrorStopsDecoding) {
  std::string stream;
  for (const auto& r : Sample()) EncodeRecord(r, stream);
  int seen = 0;
  RecordDecoder d([&](const RecordView&) { return ++seen == 5 ? Failed("stop") : Status::Ok(); });
  EXPECT_THAT(d.Write(stream), dr::test::StatusIs(Code::kFailed));
  EXPECT_EQ(seen, 5);
}

}  // namespace
}  // namespace dr::source::kafka
