#include "source/s3lake/object_meta.h"

#include "test/support/test_support.h"

namespace dr::source {
namespace {

using nlohmann::json;

TEST(ObjectMetaTest, EverythingAClientSetsIsKeptAndPutBack) {
  std::map<std::string, std::string> response{
      {"content-type", "text/csv"},
      {"content-encoding", "gzip"},
      {"cache-control", "max-age=60"},
      {"content-disposition", "attachment; filename=\"report.csv\""},
      {"content-language", "de"},
      {"expires", "Mon, 21 Oct 2030 07:28:00 GMT"},
      {"x-amz-website-redirect-location", "/other"},
      {"x-amz-meta-source", "etl"},
      {"x-amz-tagging-count", "2"},
      // Set by the server, not by a client: not kept.
      {"etag", "\"abc\""},
      {"last-modified", "Tue, 01 Dec 2026 23:11:24 GMT"},
      {"content-length", "10"},
      {"x-amz-request-id", "tx1"},
  };
  ObjectMeta meta = MetaFromResponse(response);
  EXPECT_EQ(meta.tag_count, 2u);
  meta.tags = {{"team", "data & ml"}, {"env", "prod"}};
  json item{{"bucket", "lake"}, {"key", "k"}};
  MetaToItem(meta, item);
  auto put = PutHeaders(MetaFromItem(item));
  std::map<std::string, std::string> want{
      {"content-type", "text/csv"},
      {"content-encoding", "gzip"},
      {"cache-control", "max-age=60"},
      {"content-disposition", "attachment; filename=\"report.csv\""},
      {"content-language", "de"},
      {"expires", "Mon, 21 Oct 2030 07:28:00 GMT"},
      {"x-amz-website-redirect-location", "/other"},
      {"x-amz-meta-source", "etl"},
      {"x-amz-tagging", "env=prod&team=data%20%26%20ml"},
  };
  EXPECT_EQ(put, want);
  EXPECT_TRUE(ItemHasFullMeta(item));
}

// An item written before the lake kept system metadata and tags restores with
// what it has: its content type and user metadata.
TEST(ObjectMetaTest, OlderItemsRestoreWithContentTypeAndUserMetadata) {
  json old{{"bucket", "lake"}, {"key", "k"}, {"etag", "\"e\""}, {"content_type", "text/csv"},
           {"user_metadata", {{"source", "etl"}}}, {"last_modified", "2026-11-26T10:41:00.000Z"}};
  EXPECT_FALSE(ItemHasFullMeta(old));
  auto put = PutHeaders(MetaFromItem(old));
  std::map<std::string, std::string> want{{"content-type", "text/csv"}, {"x-amz-meta-source", "etl"}};
  EXPECT_EQ(put, want);
}

// Whatever a snapshot holds, reading it is never an exception: values of the
// wrong type and headers this version does not know are skipped.
TEST(ObjectMetaTest, UnexpectedValuesAreSkippedNotThrown) {
  json odd{{"content_type", 7},
           {"user_metadata", {{"n", 1}, {"ok", "yes"}}},
           {"headers", {{"cache-control", json::array()}, {"x-unknown", "v"}, {"content-language", "fr"}}},
           {"tags", "not an object"}};
  auto put = PutHeaders(MetaFromItem(odd));
  std::map<std::string, std::string> want{{"x-amz-meta-ok", "yes"}, {"content-language", "fr"}};
  EXPECT_EQ(put, want);
}

}  // namespace
}  // namespace dr::source
