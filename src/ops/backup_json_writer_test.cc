// The streamed `backup show --json` is the very text of the document built
// whole (BackupJson(..., true).dump(2)), whatever the components look like.
#include "ops/backup_json_writer.h"

#include <sstream>

#include "ops/backup_json.h"
#include "test/support/test_support.h"

namespace dr::ops {
namespace {

using nlohmann::json;
using repo::Snapshot;
using repo::SnapshotItem;

SnapshotItem Item(const std::string& name, const std::string& kind, uint64_t size, json meta = json::object()) {
  SnapshotItem i;
  i.name = name;
  i.kind = kind;
  i.size = size;
  i.sha256 = kind == "dir" ? "" : std::string(64, 'a');
  if (kind != "dir") i.blobs = {repo::BlobId::FromRaw(std::string(32, 'x')), repo::BlobId::FromRaw(std::string(32, 'y'))};
  i.meta = std::move(meta);
  return i;
}

// Components out of name order, one without items, names and values that need
// escaping (a newline in a name, quotes, non-ASCII), nested and empty meta.
Snapshot Awkward() {
  Snapshot s;
  s.backup_id = "full_20261202T061000Z";
  s.start_time = "2026-12-02T06:10:00Z";
  s.duration_seconds = 1.25;
  s.tags = {"daily", "pinned"};
  s.hostname = "db1";
  s.stats = {.input_bytes = 123456, .new_bytes = 1000, .stored_bytes = 900, .blob_count = 7, .new_blob_count = 3};
  s.components.push_back({"postgresql", {Item("dump.sql", "stream", 4096)}, json{{"mode", "logical"}, {"tables", {"a", "b"}}}});
  s.components.push_back({"files",
                          {Item("etc", "dir", 0, {{"mode", 493}}), Item("etc/line\nbreak \"quoted\"", "file", 12),
                           Item("etc/überall ✓", "file", 0, {{"xattrs", json::object()}, {"acl", json::array()}})},
                          {}});
  s.components.push_back({"kafka", {}, {{"topics", json::array()}}});
  for (auto& c : s.components) {
    c.item_count = c.items.size();
    for (const auto& i : c.items) c.item_bytes += i.size;
  }
  return s;
}

// What the writer prints when handed the snapshot's items as
// WalkSnapshot(kByComponentName) hands them over.
std::string Streamed(const Snapshot& s) {
  Snapshot summary = s;
  for (auto& c : summary.components) c.items.clear();
  std::ostringstream out;
  BackupJsonWriter writer(out);
  EXPECT_OK(writer.Begin(summary));
  for (size_t c : repo::ComponentsByName(s)) {
    for (const auto& item : s.components[c].items) EXPECT_OK(writer.Item(c, item));
  }
  EXPECT_OK(writer.Finish());
  return out.str();
}

TEST(BackupJsonWriterTest, PrintsWhatTheWholeDocumentPrints) {
  Snapshot s = Awkward();
  EXPECT_EQ(Streamed(s), BackupJson(s, /*with_items=*/true).dump(2) + "\n");
}

TEST(BackupJsonWriterTest, NoComponentsAndOnlyEmptyComponents) {
  Snapshot none;
  none.backup_id = "empty";
  EXPECT_EQ(Streamed(none), BackupJson(none, true).dump(2) + "\n");
  Snapshot empty = none;
  empty.components.push_back({"s3", {}, {}});
  empty.components.push_back({"files", {}, {}});
  EXPECT_EQ(Streamed(empty), BackupJson(empty, true).dump(2) + "\n");
}

// Two components of one name (no writer makes them): the JSON object keeps the later one.
TEST(BackupJsonWriterTest, OfTwoComponentsOfOneNameTheLaterIsShown) {
  Snapshot s = Awkward();
  s.components.push_back({"files", {Item("other", "file", 5)}, {{"second", true}}});
  s.components.back().item_count = 1;
  s.components.back().item_bytes = 5;
  EXPECT_EQ(Streamed(s), BackupJson(s, true).dump(2) + "\n");
  // The walk does not hand over the earlier one's items; if it did, they are skipped.
  std::ostringstream out;
  BackupJsonWriter writer(out);
  Snapshot summary = s;
  for (auto& c : summary.components) c.items.clear();
  ASSERT_OK(writer.Begin(summary));
  ASSERT_OK(writer.Item(1, s.components[1].items[0]));  // the earlier "files"
}

TEST(BackupJsonWriterTest, AValueThatIsNotJsonIsAnErrorNotAnException) {
  Snapshot s = Awkward();
  s.components[1].items[1].name = "bad\xff";
  Snapshot summary = s;
  for (auto& c : summary.components) c.items.clear();
  std::ostringstream out;
  BackupJsonWriter writer(out);
  ASSERT_OK(writer.Begin(summary));
  EXPECT_THAT(writer.Item(1, s.components[1].items[1]), test::StatusIs(Code::kFailed));
}

TEST(BackupJsonWriterTest, AnOutputThatCannotBeWrittenIsAnError) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  BackupJsonWriter writer(out);
  EXPECT_THAT(writer.Begin(Awkward()), test::StatusIs(Code::kFailed));
}

}  // namespace
}  // namespace dr::ops
