// The data lake against a real radosgw (issue 11): keys with dot segments,
// everything a client sets on an object (system headers, user metadata, tags)
// through backup, restore and mirror, and a fault matrix for the restore: a
// failing or corrupt repository read at the first, a middle and the last blob,
// and a target bucket that is missing or refuses writes. Every fault must be a
// clean error with its exit code that names the object, and leave no partial
// object under its key and no multipart upload behind.
#include <httplib.h>
#include <openssl/evp.h>

#include <thread>

#include <pugixml.hpp>

#include "backup/repo_items.h"
#include "base/encoding.h"
#include "repo/repository.h"
#include "source/s3lake/mirror.h"
#include "source/s3lake/s3lake_source.h"
#include "storage/faulty/faulty_backend.h"
#include "storage/memory/memory_backend.h"
#include "storage/s3/s3_client.h"
#include "test/integration/cli/cli_harness.h"
#include "test/support/rgw_server.h"
#include "test/support/test_support.h"

namespace dr::test {

extern RgwServer* g_rgw;  // started by s3_test.cc's environment

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

storage::s3::S3Options Lake(const std::string& bucket) {
  return {.endpoint = g_rgw->endpoint(), .region = "us-east-1", .bucket = bucket, .path_style = true,
          .credentials = {RgwServer::kAccessKey, RgwServer::kSecretKey, ""}, .max_retries = 2};
}

std::string Unique(const std::string& stem) {
  static int n = 0;
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

void MakeBucket(const std::string& bucket) {
  storage::s3::S3Client c(Lake(bucket));
  auto r = c.Send("PUT", "", {}, {}, {});
  ASSERT_TRUE(r.ok() && r->status == 200) << bucket << ": " << (r.ok() ? r->body : r.status().ToString());
}

std::string Md5Base64(std::string_view data) {
  unsigned char out[16];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr);
  return Base64Encode({reinterpret_cast<const char*>(out), 16});
}

// A policy on the bucket that denies `action` on `resource` (a key or "*") to everyone, the owner too.
void Deny(const std::string& bucket, const std::string& action, const std::string& resource) {
  std::string policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",)"
                       R"("Action":[")" + action + R"("],"Resource":["arn:aws:s3:::)" + bucket + "/" + resource +
                       R"("]}]})";
  storage::s3::S3Client c(Lake(bucket));
  auto r = c.Send("PUT", "", {{"policy", ""}}, {{"content-md5", Md5Base64(policy)}}, policy);
  ASSERT_TRUE(r.ok() && r->status / 100 == 2) << (r.ok() ? r->body : r.status().ToString());
}

// A bucket that refuses every write.
void MakeReadOnlyBucket(const std::string& bucket) {
  MakeBucket(bucket);
  Deny(bucket, "s3:PutObject", "*");
}

// An object as a client wrote it: bytes, request headers, tags.
struct LakeObject {
  std::string key;
  std::string data;
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> tags;
};

std::string Tagging(const std::map<std::string, std::string>& tags) {
  std::string out;
  for (const auto& [k, v] : tags) {
    out += (out.empty() ? "" : "&") + storage::s3::UriEncode(k, false) + "=" + storage::s3::UriEncode(v, false);
  }
  return out;
}

void Put(storage::s3::S3Client& c, const LakeObject& o) {
  auto headers = o.headers;
  if (!o.tags.empty()) headers["x-amz-tagging"] = Tagging(o.tags);
  auto r = c.Send("PUT", o.key, {}, headers, o.data);
  ASSERT_TRUE(r.ok() && r->status == 200) << o.key << ": " << (r.ok() ? r->body : r.status().ToString());
}

std::map<std::string, std::string> Tags(storage::s3::S3Client& c, const std::string& key) {
  std::map<std::string, std::string> out;
  auto r = c.Send("GET", key, {{"tagging", ""}}, {}, {});
  EXPECT_TRUE(r.ok() && r->status == 200) << key;
  if (!r.ok()) return out;
  pugi::xml_document doc;
  doc.load_buffer(r->body.data(), r->body.size());
  for (auto t : doc.child("Tagging").child("TagSet").children("Tag")) out[t.child_value("Key")] = t.child_value("Value");
  return out;
}

// The object at `key` in c's bucket is exactly `o`: bytes, every header the client set, tags.
void ExpectRestored(storage::s3::S3Client& c, const LakeObject& o) {
  auto got = c.Send("GET", o.key, {}, {}, {});
  ASSERT_TRUE(got.ok() && got->status == 200) << o.key << " is missing";
  EXPECT_EQ(got->body.size(), o.data.size()) << o.key;
  EXPECT_TRUE(got->body == o.data) << o.key << ": restored bytes differ";
  for (const auto& [name, value] : o.headers) EXPECT_EQ(got->headers[name], value) << o.key << ": " << name;
  EXPECT_EQ(Tags(c, o.key), o.tags) << o.key;
}

std::vector<std::string> Keys(storage::s3::S3Client& c) {
  std::vector<std::string> keys;
  EXPECT_OK(c.ListObjects("", [&](const storage::s3::ListedObject& o) {
    keys.push_back(o.key);
    return Status::Ok();
  }));
  return keys;
}

// Multipart uploads started and neither completed nor aborted.
int PendingUploads(storage::s3::S3Client& c) {
  auto r = c.Send("GET", "", {{"uploads", ""}}, {}, {});
  EXPECT_TRUE(r.ok() && r->status == 200);
  if (!r.ok()) return -1;
  pugi::xml_document doc;
  doc.load_buffer(r->body.data(), r->body.size());
  int n = 0;
  for ([[maybe_unused]] auto u : doc.child("ListMultipartUploadsResult").children("Upload")) n++;
  return n;
}

std::map<std::string, std::string> RichHeaders(const std::string& type) {
  return {{"content-type", type},
          {"content-encoding", "gzip"},
          {"cache-control", "public, max-age=3600"},
          {"content-disposition", "attachment; filename=\"report.csv.gz\""},
          {"content-language", "de-CH"},
          {"expires", "Mon, 21 Oct 2030 07:28:00 GMT"},
          {"x-amz-website-redirect-location", "/reports/latest"},
          {"x-amz-meta-source", "etl"}};
}

std::string LakeConfig(const std::string& repo, const std::string& key_file, const std::string& bucket) {
  return "backup_manager:\n  backup_dir: \"" + repo + "\"\nencryption:\n  auto_generate_key: true\n  key_file: \"" +
         key_file + "\"\ns3:\n  endpoint: " + g_rgw->endpoint() +
         "\n  region: us-east-1\n  force_path_style: true\n  access_key_id: TESTKEY\n"
         "  secret_access_key: TESTSECRET\n  buckets: [\"" + bucket + "\"]\n";
}

class LakeCliTest : public CliFixture {};

// Keys with "." and ".." segments are valid S3 keys; curl used to squash them,
// so the request no longer matched its signature (SignatureDoesNotMatch).
TEST_F(LakeCliTest, KeysWithDotSegmentsBackUpAndRestoreExactly) {
  std::string lake = Unique("dots"), restored = Unique("dots-r");
  MakeBucket(lake);
  MakeBucket(restored);
  storage::s3::S3Client src(Lake(lake)), dst(Lake(restored));
  std::vector<LakeObject> objects;
  for (std::string key : {"a/./b", "x/../y", "trail/.", "trail/..", "./lead", "../up", "..", ".", "a/b/../../..",
                          "a//b", "/abs", "plain"}) {
    objects.push_back({key, "bytes of " + key + TextData(3000, key.size()), {{"content-type", "text/plain"}}, {}});
    Put(src, objects.back());
  }
  WriteFile(config_, LakeConfig(repo_, key_, lake));
  auto b = Dr("backup create --id dots --component s3");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto r = Dr("--json restore dots --component s3 --target-bucket " + restored);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["items_restored"], objects.size());
  EXPECT_EQ(Keys(dst), Keys(src)) << "the restored bucket has exactly the source's keys";
  for (const auto& o : objects) ExpectRestored(dst, o);
}

// Content-Encoding, Cache-Control, Content-Disposition, Content-Language,
// Expires, the website redirect, user metadata and tags survive a backup and
// restore into another bucket, and an `s3 mirror`.
TEST_F(LakeCliTest, SystemMetadataAndTagsSurviveRestoreAndMirror) {
  std::string lake = Unique("meta"), restored = Unique("meta-r"), mirrored = Unique("meta-m");
  for (const auto& b : {lake, restored, mirrored}) MakeBucket(b);
  storage::s3::S3Client src(Lake(lake));
  std::vector<LakeObject> objects = {
      {"reports/report.csv.gz", RandomData(40000, 1), RichHeaders("text/csv"), {{"team", "data & ml"}, {"env", "prod"}}},
      {"reports/plain.txt", TextData(5000, 2), {{"content-type", "text/plain"}}, {}},
      {"reports/tagged-only.bin", RandomData(100, 3), {{"content-type", "application/octet-stream"}}, {{"k", "v=1"}}},
  };
  for (const auto& o : objects) Put(src, o);
  WriteFile(config_, LakeConfig(repo_, key_, lake));
  auto b = Dr("backup create --id meta --component s3");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto r = Dr("restore meta --component s3 --target-bucket " + restored);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  storage::s3::S3Client dst(Lake(restored));
  for (const auto& o : objects) ExpectRestored(dst, o);

  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\ns3:\n  endpoint: " + g_rgw->endpoint() +
                         "\n  region: us-east-1\n  force_path_style: true\n  access_key_id: TESTKEY\n"
                         "  secret_access_key: TESTSECRET\n  mirror:\n    source: " + lake + "\n    target: " +
                         mirrored + "\n    state_file: \"" + dir_ / "mirror.state" + "\"\n");
  auto m = Dr("s3 mirror --once");
  ASSERT_EQ(m.exit_code, 0) << m.err;
  storage::s3::S3Client mirror(Lake(mirrored));
  for (const auto& o : objects) ExpectRestored(mirror, o);
}

// One object the backup may not read: the error names that object and the
// real cause (a policy, not the credentials), with exit code 3.
TEST_F(LakeCliTest, AnUnreadableObjectIsNamedWithItsRealCause) {
  std::string lake = Unique("denied");
  MakeBucket(lake);
  storage::s3::S3Client src(Lake(lake));
  for (std::string key : {"a.csv", "secret/payroll.csv", "z.csv"}) Put(src, {key, TextData(5000, key.size()), {}, {}});
  Deny(lake, "s3:GetObject", "secret/payroll.csv");
  WriteFile(config_, LakeConfig(repo_, key_, lake));
  auto b = Dr("backup create --id denied1 --component s3");
  EXPECT_EQ(b.exit_code, 3) << b.err;
  EXPECT_THAT(b.err, HasSubstr("s3://" + lake + "/secret/payroll.csv"));
  EXPECT_THAT(b.err, HasSubstr("AccessDenied"));
  EXPECT_THAT(b.err, Not(HasSubstr("check the S3 credentials")));
}

// The reported crash: a restore into a bucket that does not exist, with an
// object large enough to go up in parts (over 64 MiB), died with
// std::future_error: the upload is refused while many of the object's blobs
// are still to be read (120 MiB leaves ~56 after the threshold, more than the
// read-ahead window of 2 * (cores + 1) on any machine this runs on).
TEST_F(LakeCliTest, RestoreIntoAMissingBucketIsACleanErrorNamingBackupAndObject) {
  std::string lake = Unique("gone");
  MakeBucket(lake);
  storage::s3::S3Client src(Lake(lake));
  Put(src, {"0-big.bin", RandomData(120 << 20, 4), {}, {}});
  for (int i = 0; i < 40; ++i) Put(src, {"small/" + std::to_string(i), TextData(2000 + i, i), {}, {}});
  WriteFile(config_, LakeConfig(repo_, key_, lake));
  auto b = Dr("backup create --id gone1 --component s3");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  std::string missing = Unique("no-such-bucket");
  auto r = Dr("restore gone1 --component s3 --target-bucket " + missing);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("terminate")));
  EXPECT_THAT(r.err, HasSubstr("backup 'gone1'"));
  EXPECT_THAT(r.err, HasSubstr("s3://" + missing + "/0-big.bin"));
  EXPECT_THAT(r.err, HasSubstr("NoSuchBucket"));
}

// A listing that a real server would not send (a scripted one): an error that
// names the object, never an uncaught std::invalid_argument from the parser.
TEST(LakeListingTest, MalformedSizeInAListingIsCorruptNotAnException) {
  httplib::Server server;
  server.Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<ListBucketResult><Contents><Key>a/b.csv</Key><Size>12x</Size><ETag>\"e\"</ETag>"
                    "</Contents><IsTruncated>false</IsTruncated></ListBucketResult>",
                    "application/xml");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  storage::s3::S3Client client({.endpoint = "http://127.0.0.1:" + std::to_string(port), .bucket = "b",
                                .credentials = {"k", "s", ""}, .max_retries = 0});
  Status s = client.ListObjects("", [](const storage::s3::ListedObject&) { return Status::Ok(); });
  server.stop();
  t.join();
  EXPECT_EQ(s.code(), Code::kCorrupt) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("'a/b.csv'"));
  EXPECT_THAT(s.message(), HasSubstr("'12x'"));
}

// ---- The restore's fault matrix, below the CLI: the repository sits on the
// fault-injecting backend, the target is the real server. ----

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
    storage::s3::S3Client c(Lake(b->bucket));
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
    EXPECT_OK(b->repo->Flush());
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
  storage::s3::S3Client dst(Lake(target));
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
  storage::s3::S3Client dst(Lake(target));
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
  storage::s3::S3Client dst(Lake(target));
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
  storage::s3::S3Client dst(Lake(target));
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
  EXPECT_EQ(lake.stats().objects_read, 0u);
  EXPECT_EQ(lake.stats().objects_unchanged, b.objects.size());
  ASSERT_EQ(next.items.size(), b.component.items.size());
  for (size_t i = 0; i < next.items.size(); ++i) {
    EXPECT_EQ(next.items[i].meta["headers"], b.component.items[i].meta["headers"]) << next.items[i].name;
    EXPECT_EQ(next.items[i].meta["tags"], b.component.items[i].meta["tags"]) << next.items[i].name;
    EXPECT_EQ(next.items[i].blobs, b.component.items[i].blobs) << "the data is reused";
  }
}

// An unchanged object (same ETag and size) whose listed modification time is
// not the one its item recorded may have had its metadata replaced in place:
// the next backup takes the metadata by HEAD and reuses the data. Then a real
// copy onto itself with REPLACE: the backup after it has the new metadata
// (radosgw gives the copy a new ETag, so it reads it again; AWS keeps the ETag
// of a single-part object, so it must not).
TEST(LakeBackupTest, MetadataReplacedInPlaceIsTakenByTheNextBackup) {
  std::string lake = Unique("inplace");
  MakeBucket(lake);
  storage::s3::S3Client c(Lake(lake));
  Put(c, {"r.csv", TextData(3000, 9), {{"content-type", "text/csv"}, {"cache-control", "max-age=60"}}, {}});
  auto be = storage::NewMemoryBackend();
  auto repo = repo::Repository::Init(*be, {.encrypted = true, .master_key = std::string(32, 'k'), .chunker = {}},
                                     {.compression_level = 1, .pack_size = 1 << 20, .threads = 2});
  ASSERT_OK(repo);
  auto backup = [&](const repo::SnapshotComponent* previous, repo::SnapshotComponent& out, uint64_t& read) {
    out = {"s3", {}, nlohmann::json::object()};
    source::S3LakeSource lake_source({.s3 = Lake(""), .targets = {lake}, .previous = previous});
    backup::RepoItemWriter writer(**repo, out, nullptr);
    ASSERT_OK(lake_source.Backup(writer));
    ASSERT_OK((*repo)->Flush());  // as a backup does: its blobs are indexed, the next one may reuse them
    ASSERT_EQ(out.items.size(), 1u);
    read = lake_source.stats().objects_read;
  };
  repo::SnapshotComponent first, second, third;
  uint64_t read = 0;
  backup(nullptr, first, read);
  EXPECT_EQ(first.items[0].meta["headers"]["cache-control"], "max-age=60");

  repo::SnapshotComponent stale = first;
  stale.items[0].meta["headers"]["cache-control"] = "stale";
  stale.items[0].meta["last_modified"] = "2000-01-01T00:00:00.000Z";
  backup(&stale, second, read);
  EXPECT_EQ(second.items[0].meta["headers"]["cache-control"], "max-age=60");
  EXPECT_EQ(read, 0u) << "same ETag and size: the data is not read again";
  EXPECT_EQ(second.items[0].blobs, first.items[0].blobs);

  auto copied = c.Send("PUT", "r.csv", {},
                       {{"x-amz-copy-source", "/" + lake + "/r.csv"}, {"x-amz-metadata-directive", "REPLACE"},
                        {"content-type", "text/csv"}, {"cache-control", "no-store"}},
                       {});
  ASSERT_TRUE(copied.ok() && copied->status == 200) << (copied.ok() ? copied->body : copied.status().ToString());
  backup(&second, third, read);
  EXPECT_EQ(third.items[0].meta["headers"]["cache-control"], "no-store");
  if (third.items[0].meta["etag"] == second.items[0].meta["etag"]) {
    EXPECT_EQ(read, 0u) << "the ETag did not change: the data is not read again";
  }
  EXPECT_EQ(third.items[0].blobs, first.items[0].blobs) << "same bytes, same blobs";
}

}  // namespace
}  // namespace dr::test
