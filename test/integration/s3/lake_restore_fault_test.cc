// The data-lake restore's fault matrix (issue 11), below the CLI: the
// repository sits on the fault-injecting backend, the target is the real
// radosgw. A failing or corrupt repository read at the first, a middle and the
// last blob, and a target bucket that is missing or refuses writes: each must
// be a clean error with its exit code that names the object, and leave only
// whole, exact objects and no multipart upload behind.
#include "backup/repo_items.h"
#include "repo/repository.h"
#include "source/s3lake/s3lake_source.h"
#include "storage/faulty/faulty_backend.h"
#include "storage/memory/memory_backend.h"
#include "test/integration/s3/lake_support.h"

namespace dr::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct LakeBackup {
  std::string bucket;
  std::vector<LakeObject> objects;  // in key order, as the backup lists them
  storage::FaultyBackend* faulty = nullptr;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<repo::Repository> repo;
  repo::SnapshotComponent component;
};

// Built once: a dozen objects, with metadata and tags; the last one (12 MiB,
// several blobs) goes up as a multipart upload on restore.
LakeBackup& Backup() {
  static LakeBackup* built = [] {
    auto* b = new LakeBackup;
    b->bucket = Unique("faults");
    MakeBucket(b->bucket);
    net::s3::S3Client c(Lake(b->bucket));
    for (int i = 0; i < 11; ++i) {
      b->objects.push_back({"m/" + std::to_string(10 + i) + ".csv", TextData(20000 + i * 7000, 100 + i),
                            RichHeaders("text/csv"), {{"n", std::to_string(i)}}});
    }
    b->objects.push_back({"z/last-big.bin", RandomData(12 << 20, 200), RichHeaders("application/x-parquet"),
                          {{"size", "big"}}});
    for (const auto& o : b->objects) Put(c, o);
    auto faulty = std::make_unique<storage::FaultyBackend>(storage::NewMemoryBackend());
    b->faulty = faulty.get();
    b->backend = std::move(faulty);
    auto repo = repo::Repository::Init(*b->backend, {.encrypted = true, .master_key = std::string(32, 'k'), .chunker = {}},
                                       {.compression_level = 1, .pack_size = 4 << 20, .threads = 2});
    EXPECT_OK(repo);
    b->repo = std::move(repo).value();
    b->component = {"s3", {}, nlohmann::json::object()};
    source::S3LakeSource lake({.s3 = Lake(""), .targets = {b->bucket}});
    backup::RepoItemWriter writer(*b->repo, b->component, nullptr);
    EXPECT_OK(lake.Backup(writer));
    EXPECT_OK(writer.Finish());
    EXPECT_OK(b->repo->Flush());
    EXPECT_OK(b->repo->LoadItems("faults", b->component));  // the items back from their list, as a restore reads them
    EXPECT_EQ(b->component.items.size(), b->objects.size());
    EXPECT_GT(b->component.items.back().blobs.size(), 2u) << "the last object must span several blobs";
    return b;
  }();
  return *built;
}

Status RestoreInto(const std::string& target) {
  LakeBackup& b = Backup();
  backup::RepoItemReader reader(*b.repo, nullptr);
  auto r = source::RestoreS3Lake(b.component, reader,
                                 {.s3 = Lake(""), .target_bucket = target, .multipart_threshold = 5u << 20,
                                  .part_size = 5u << 20});
  return r.status();
}

enum class Where { kFirst, kMiddle, kLast };

// The item and blob a fault at `where` hits, in restore order.
std::pair<size_t, repo::BlobId> BlobAt(Where where) {
  const auto& items = Backup().component.items;
  if (where == Where::kFirst) return {0, items.front().blobs.front()};
  if (where == Where::kLast) return {items.size() - 1, items.back().blobs.back()};
  size_t middle = items.size() / 2;
  return {middle, items[middle].blobs.front()};
}

// After a failed restore: the objects before the failed one are whole and
// exact, the failed one and those after it are absent, nothing is pending.
void ExpectOnlyWholeObjects(const std::string& target, size_t failed_item) {
  const auto& objects = Backup().objects;
  net::s3::S3Client dst(Lake(target));
  std::vector<std::string> want;
  for (size_t i = 0; i < failed_item; ++i) want.push_back(objects[i].key);
  EXPECT_EQ(Keys(dst), want) << "only the objects before the failed one exist";
  for (size_t i = 0; i < failed_item; ++i) ExpectRestored(dst, objects[i]);
  EXPECT_EQ(PendingUploads(dst), 0) << "a failed multipart upload is aborted";
}

class LakeRestoreFaultTest : public ::testing::TestWithParam<std::tuple<Where, bool>> {
 protected:
  void TearDown() override { Backup().faulty->Reset(); }
};

TEST_P(LakeRestoreFaultTest, RepositoryFaultIsACleanErrorAndLeavesNoPartialObject) {
  auto [where, corrupt] = GetParam();
  LakeBackup& b = Backup();
  auto [item, blob] = BlobAt(where);
  auto loc = b.repo->index().Find(blob);
  ASSERT_TRUE(loc.has_value());
  ObjectName pack{ObjectKind::kPack, loc->pack_id};
  uint64_t inside = loc->offset + loc->length / 2;
  if (corrupt) {
    b.faulty->CorruptReadsCovering(pack, inside);
  } else {
    b.faulty->FailReadsCovering(pack, inside, Unavailable("injected: storage read failed"));
  }
  std::string target = Unique("faults-r");
  MakeBucket(target);
  Status s = RestoreInto(target);
  Code want = corrupt ? Code::kCorrupt : Code::kUnavailable;
  EXPECT_EQ(s.code(), want) << s.ToString();
  EXPECT_EQ(InfoOf(s.code()).exit_code, corrupt ? 4 : 5);
  EXPECT_THAT(s.message(), HasSubstr("s3://" + target + "/" + b.objects[item].key)) << "names the object";
  EXPECT_THAT(s.message(), HasSubstr("blob '" + blob.ShortHex() + "'")) << "names the blob";
  EXPECT_THAT(s.message(), HasSubstr(loc->pack_id.substr(0, 12))) << "names the pack";
  EXPECT_THAT(s.message(), HasSubstr(corrupt ? "authentication" : "storage read failed")) << "names the cause";
  ExpectOnlyWholeObjects(target, item);
}

std::string FaultName(const ::testing::TestParamInfo<std::tuple<Where, bool>>& info) {
  static const char* const kWhere[] = {"First", "Middle", "Last"};
  return std::string(kWhere[static_cast<int>(std::get<0>(info.param))]) +
         (std::get<1>(info.param) ? "BlobCorrupt" : "BlobReadFails");
}

INSTANTIATE_TEST_SUITE_P(Lake, LakeRestoreFaultTest,
                         ::testing::Combine(::testing::Values(Where::kFirst, Where::kMiddle, Where::kLast),
                                            ::testing::Bool()),
                         FaultName);

TEST(LakeRestoreTargetTest, WithoutFaultsEverythingComesBackIncludingTheMultipartObject) {
  std::string target = Unique("faults-ok");
  MakeBucket(target);
  ASSERT_OK(RestoreInto(target));
  net::s3::S3Client dst(Lake(target));
  for (const auto& o : Backup().objects) ExpectRestored(dst, o);
  EXPECT_EQ(Keys(dst).size(), Backup().objects.size());
}

TEST(LakeRestoreTargetTest, MissingTargetBucketIsNotFoundNamingBucketAndObject) {
  std::string target = Unique("faults-missing");
  Status s = RestoreInto(target);
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  EXPECT_EQ(InfoOf(s.code()).exit_code, 1);
  EXPECT_THAT(s.message(), HasSubstr("s3://" + target + "/" + Backup().objects.front().key));
  EXPECT_THAT(s.message(), HasSubstr("bucket '" + target + "' does not exist"));
}

TEST(LakeRestoreTargetTest, TargetRefusingWritesIsPermissionDeniedNamingTheCause) {
  std::string target = Unique("faults-denied");
  MakeReadOnlyBucket(target);
  Status s = RestoreInto(target);
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << s.ToString();
  EXPECT_EQ(InfoOf(s.code()).exit_code, 3);
  EXPECT_THAT(s.message(), HasSubstr("s3://" + target + "/" + Backup().objects.front().key));
  EXPECT_THAT(s.message(), HasSubstr("AccessDenied"));
  EXPECT_THAT(s.message(), Not(HasSubstr("check the S3 credentials"))) << "the credentials were fine";
  net::s3::S3Client dst(Lake(target));
  EXPECT_TRUE(Keys(dst).empty());
  EXPECT_EQ(PendingUploads(dst), 0);
}

// An item of a backup made before the lake kept system metadata and tags
// restores with what it has: bytes, content type, user metadata.
TEST(LakeRestoreTargetTest, ItemsOfAnOlderBackupStillRestore) {
  LakeBackup& b = Backup();
  repo::SnapshotComponent old = b.component;
  for (auto& item : old.items) {
    item.meta.erase("headers");
    item.meta.erase("tags");
  }
  std::string target = Unique("faults-old");
  MakeBucket(target);
  backup::RepoItemReader reader(*b.repo, nullptr);
  auto r = source::RestoreS3Lake(old, reader, {.s3 = Lake(""), .target_bucket = target});
  ASSERT_OK(r);
  EXPECT_EQ(r->first, b.objects.size());
  net::s3::S3Client dst(Lake(target));
  for (const auto& o : b.objects) {
    auto got = dst.Send("GET", o.key, {}, {}, {});
    ASSERT_TRUE(got.ok() && got->status == 200) << o.key;
    EXPECT_TRUE(got->body == o.data) << o.key;
    EXPECT_EQ(got->headers["content-type"], o.headers.at("content-type")) << o.key;
    EXPECT_EQ(got->headers["x-amz-meta-source"], "etl") << o.key;
    EXPECT_EQ(got->headers.count("content-encoding"), 0u) << o.key << ": the old item did not have it";
  }
}

// A backup made before the lake kept system metadata and tags: the next backup
// brings the metadata of its unchanged objects up to date by HEAD, without
// reading their data again.
TEST(LakeBackupTest, UnchangedObjectsOfAnOlderBackupGetTheirMetadataWithoutARead) {
  LakeBackup& b = Backup();
  repo::SnapshotComponent old = b.component;
  for (auto& item : old.items) {
    item.meta.erase("headers");
    item.meta.erase("tags");
  }
  repo::SnapshotComponent next{"s3", {}, nlohmann::json::object()};
  source::S3LakeSource lake({.s3 = Lake(""), .targets = {b.bucket}, .previous = &old});
  backup::RepoItemWriter writer(*b.repo, next, nullptr);
  ASSERT_OK(lake.Backup(writer));
  ASSERT_OK(writer.Finish());
  ASSERT_OK(b.repo->Flush());
  ASSERT_OK(b.repo->LoadItems("next", next));
  EXPECT_EQ(lake.stats().objects_read, 0u);
  EXPECT_EQ(lake.stats().objects_unchanged, b.objects.size());
  ASSERT_EQ(next.items.size(), b.component.items.size());
  for (size_t i = 0; i < next.items.size(); ++i) {
    EXPECT_EQ(next.items[i].meta["headers"], b.component.items[i].meta["headers"]) << next.items[i].name;
    EXPECT_EQ(next.items[i].meta["tags"], b.component.items[i].meta["tags"]) << next.items[i].name;
    EXPECT_EQ(next.items[i].blobs, b.component.items[i].blobs) << "the data is reused";
  }
}


// A base written by this version is a summary with an item list: the next
// backup reads it in listing order, window after window of the listing, and
// finds every unchanged object. A target inside another is listed once.
TEST(LakeBackupTest, AListBaseIsReadInListingOrderWindowAfterWindow) {
  LakeBackup& b = Backup();
  repo::SnapshotComponent base{"s3", {}, nlohmann::json::object()};
  {
    source::S3LakeSource lake({.s3 = Lake(""), .targets = {b.bucket}, .previous = &b.component});
    backup::RepoItemWriter writer(*b.repo, base, nullptr);
    ASSERT_OK(lake.Backup(writer));
    ASSERT_OK(writer.Finish());
    ASSERT_OK(b.repo->Flush());
  }
  ASSERT_TRUE(base.list.has_value());
  ASSERT_TRUE(base.items.empty());
  int cursors = 0;
  source::OpenList open = [&](const repo::ItemList& list) {
    ++cursors;
    return std::unique_ptr<ItemCursor>(std::make_unique<backup::RepoItemCursor>(*b.repo, list));
  };
  repo::SnapshotComponent next{"s3", {}, nlohmann::json::object()};
  source::S3LakeSource lake({.s3 = Lake(""),
                             .targets = {b.bucket + "/m/", b.bucket},
                             .previous = &base,
                             .open_list = open,
                             .window = 5});
  backup::RepoItemWriter writer(*b.repo, next, nullptr);
  ASSERT_OK(lake.Backup(writer));
  ASSERT_OK(writer.Finish());
  ASSERT_OK(b.repo->Flush());
  EXPECT_EQ(cursors, 1);
  EXPECT_EQ(lake.stats().objects, b.objects.size()) << "the target inside the other is not listed again";
  EXPECT_EQ(lake.stats().objects_read, 0u);
  EXPECT_EQ(lake.stats().objects_unchanged, b.objects.size());
  ASSERT_OK(b.repo->LoadItems("next", next));
  ASSERT_EQ(next.items.size(), b.component.items.size());
  for (size_t i = 0; i < next.items.size(); ++i) {
    EXPECT_EQ(next.items[i].name, b.component.items[i].name);
    EXPECT_EQ(next.items[i].blobs, b.component.items[i].blobs) << next.items[i].name << ": the data is reused";
  }
}

}  // namespace
}  // namespace dr::test
