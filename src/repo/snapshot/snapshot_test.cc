// Walking a manifest item by item gives what parsing it whole gives.
#include "repo/snapshot/snapshot.h"

#include "test/support/test_support.h"

namespace dr::repo {
namespace {

Snapshot TwoComponents() {
  Snapshot s;
  s.backup_id = "b1";
  for (const char* name : {"files", "kafka"}) {
    SnapshotComponent c{name, {}, nlohmann::json{{"k", name}}};
    for (int i = 0; i < 3; ++i) {
      SnapshotItem item;
      item.name = std::string(name) + "/" + std::to_string(i);
      item.kind = "stream";
      item.size = 100 + i;
      item.blobs = {BlobId::FromRaw(std::string(32, static_cast<char>('a' + i)))};
      c.items.push_back(item);
    }
    s.components.push_back(c);
  }
  return s;
}

TEST(SnapshotTest, WalkingItemsGivesWhatParsingWholeGives) {
  std::string text = TwoComponents().ToJson().dump();
  auto whole = ParseSnapshot(text, /*with_items=*/true);
  ASSERT_OK(whole);
  std::vector<std::pair<size_t, SnapshotItem>> walked;
  ASSERT_OK(ForEachSnapshotItem(text, [&](size_t c, SnapshotItem&& item) {
    walked.emplace_back(c, std::move(item));
    return Status::Ok();
  }));
  ASSERT_EQ(walked.size(), 6u);
  size_t n = 0;
  for (size_t c = 0; c < whole->components.size(); ++c) {
    for (const auto& item : whole->components[c].items) {
      EXPECT_EQ(walked[n].first, c);
      EXPECT_EQ(walked[n].second.name, item.name);
      EXPECT_EQ(walked[n].second.size, item.size);
      EXPECT_EQ(walked[n].second.blobs, item.blobs);
      ++n;
    }
  }
}

// The summary cache (backup/summary_cache.h) keeps SummaryOf a backup just
// written and summaries as JSON: both must be what parsing the manifest gives.
TEST(SnapshotTest, ASummaryOfTheWholeAndItsJsonAreWhatParsingGives) {
  Snapshot whole = TwoComponents();
  whole.duration_seconds = 0.1 + 0.2;  // not exact in binary: must survive the text
  auto parsed = ParseSnapshot(whole.ToJson().dump(), /*with_items=*/false);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->components.at(1).item_count, 3u);
  EXPECT_EQ(parsed->components.at(1).item_bytes, 303u);
  EXPECT_EQ(SummaryToJson(SummaryOf(whole)), SummaryToJson(*parsed));
  auto back = SummaryFromJson(nlohmann::json::parse(SummaryToJson(*parsed).dump()));
  ASSERT_OK(back);
  EXPECT_EQ(SummaryToJson(*back), SummaryToJson(*parsed));
  EXPECT_EQ(back->duration_seconds, whole.duration_seconds);
  EXPECT_TRUE(back->components.at(0).items.empty());
  EXPECT_EQ(back->components.at(0).item_bytes, 303u);
  // Without the counts it is not a summary this wrote.
  nlohmann::json no_counts = parsed->ToJson(false);
  EXPECT_THAT(SummaryFromJson(no_counts), test::StatusIs(Code::kCorrupt));
}

TEST(SnapshotTest, AnErrorFromTheCallerEndsTheWalk) {
  std::string text = TwoComponents().ToJson().dump();
  int seen = 0;
  Status s = ForEachSnapshotItem(text, [&](size_t, SnapshotItem&&) {
    return ++seen == 2 ? Status(Code::kNoSpace, "stdout is full") : Status::Ok();
  });
  EXPECT_THAT(s, test::StatusIs(Code::kNoSpace));
  EXPECT_EQ(seen, 2);
  EXPECT_THAT(ForEachSnapshotItem("{\"components\": [", [](size_t, SnapshotItem&&) { return Status::Ok(); }),
              test::StatusIs(Code::kCorrupt));
}

}  // namespace
}  // namespace dr::repo
