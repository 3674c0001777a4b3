// The data lake against a real radosgw (issue 11), through the CLI: keys with
// dot segments, everything a client sets on an object (system headers, user
// metadata, tags) through backup, restore and mirror, an unreadable object
// named with its real cause, the reported crash of a restore into a missing
// bucket; and how an incremental backup keeps metadata up to date.
#include <httplib.h>

#include <algorithm>
#include <thread>

#include "backup/repo_items.h"
#include "base/time_util.h"
#include "repo/repository.h"
#include "source/s3lake/s3lake_source.h"
#include "storage/memory/memory_backend.h"
#include "test/integration/cli/cli_harness.h"
#include "test/integration/s3/lake_support.h"

namespace dr::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LakeCliTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    InitRepo();  // only repo init creates a repository
  }
};

// Keys with "." and ".." segments are valid S3 keys; curl used to squash them,
// so the request no longer matched its signature (SignatureDoesNotMatch).
TEST_F(LakeCliTest, KeysWithDotSegmentsBackUpAndRestoreExactly) {
  std::string lake = Unique("dots"), restored = Unique("dots-r");
  MakeBucket(lake);
  MakeBucket(restored);
  net::s3::S3Client src(Lake(lake)), dst(Lake(restored));
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

// `ecap-dr drill`: the lake restored into a scratch bucket, counted against
// the manifest, and the scratch bucket deleted; the lake itself unchanged.
TEST_F(LakeCliTest, TheRestoreTestDrillRestoresTheLakeIntoAScratchBucketAndDeletesIt) {
  std::string lake = Unique("drilled");
  MakeBucket(lake);
  net::s3::S3Client src(Lake(lake));
  uint64_t bytes = 0;
  for (int i = 0; i < 5; ++i) {
    LakeObject o{"events/part-" + std::to_string(i) + ".json", TextData(1000 + 700 * i, i), {}, {}};
    bytes += o.data.size();
    Put(src, o);
  }
  WriteFile(config_, LakeConfig(repo_, key_, lake));
  ASSERT_EQ(Dr("backup create --id lake1 --component s3").exit_code, 0);
  auto keys = Keys(src);
  // Scratch buckets a killed drill left: one from 2020 (its time is in its
  // name), which goes, and one of a drill begun minutes ago, perhaps on
  // another host whose lock this drill cannot see, which stays.
  std::string old_bucket = "ecap-dr-drill-20200101t000000z-dead";
  std::string no_time = "ecap-dr-drill-20201399t000000z-bad1";  // month 13: no drill's time, so left alone
  std::string recent_bucket = "ecap-dr-drill-" + CompactUtc(std::chrono::system_clock::now()) + "-beef";
  std::transform(recent_bucket.begin(), recent_bucket.end(), recent_bucket.begin(), ::tolower);
  for (const auto& b : {old_bucket, recent_bucket, no_time}) {
    MakeBucket(b);
    net::s3::S3Client left(Lake(b));
    Put(left, LakeObject{"events/left.json", TextData(100, 9), {}, {}});
  }
  auto r = Dr("--json drill");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto d = nlohmann::json::parse(r.out);
  EXPECT_EQ(d["status"], "passed");
  ASSERT_EQ(d["components"].size(), 1u);
  const auto& c = d["components"][0];
  EXPECT_EQ(c["component"], "s3");
  EXPECT_EQ(c["verification"]["objects"], 5);
  EXPECT_EQ(c["verification"]["bytes"], bytes);
  std::string scratch = c["scratch"].get<std::string>().substr(std::string("bucket ").size());
  EXPECT_THAT(scratch, ::testing::StartsWith("ecap-dr-drill-"));
  net::s3::S3Client gone(Lake(scratch));
  auto head = gone.Send("HEAD", "", {}, {}, {});
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 404) << "the scratch bucket was deleted";
  EXPECT_EQ(Keys(src), keys) << "the lake is unchanged";
  EXPECT_NE(d["stale_removed"].dump().find("bucket " + old_bucket), std::string::npos) << d.dump();
  net::s3::S3Client old_client(Lake(old_bucket)), recent_client(Lake(recent_bucket));
  auto old_head = old_client.Send("HEAD", "", {}, {}, {});
  auto recent_head = recent_client.Send("HEAD", "", {}, {}, {});
  ASSERT_TRUE(old_head.ok() && recent_head.ok());
  EXPECT_EQ(old_head->status, 404) << "the 2020 drill's bucket was removed";
  EXPECT_EQ(recent_head->status, 200) << "a recent drill's bucket is left alone";
  net::s3::S3Client odd_client(Lake(no_time));
  auto odd_head = odd_client.Send("HEAD", "", {}, {}, {});
  ASSERT_TRUE(odd_head.ok());
  EXPECT_EQ(odd_head->status, 200) << "a name without a valid time is left alone";
  for (auto* c : {&recent_client, &odd_client}) {
    (void)c->Send("DELETE", "events/left.json", {}, {}, {});
    (void)c->Send("DELETE", "", {}, {}, {});
  }
}

// Content-Encoding, Cache-Control, Content-Disposition, Content-Language,
// Expires, the website redirect, user metadata and tags survive a backup and
// restore into another bucket, and an `s3 mirror`.
TEST_F(LakeCliTest, SystemMetadataAndTagsSurviveRestoreAndMirror) {
  std::string lake = Unique("meta"), restored = Unique("meta-r"), mirrored = Unique("meta-m");
  for (const auto& b : {lake, restored, mirrored}) MakeBucket(b);
  net::s3::S3Client src(Lake(lake));
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
  net::s3::S3Client dst(Lake(restored));
  for (const auto& o : objects) ExpectRestored(dst, o);

  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\ns3:\n  endpoint: " + g_rgw->endpoint() +
                         "\n  region: us-east-1\n  force_path_style: true\n  access_key_id: TESTKEY\n"
                         "  secret_access_key: TESTSECRET\n  mirror:\n    source: " + lake + "\n    target: " +
                         mirrored + "\n    state_file: \"" + dir_ / "mirror.state" + "\"\n");
  auto m = Dr("s3 mirror --once");
  ASSERT_EQ(m.exit_code, 0) << m.err;
  net::s3::S3Client mirror(Lake(mirrored));
  for (const auto& o : objects) ExpectRestored(mirror, o);
}

// A mirror pass whose delete of a removed object is refused (a policy on the
// target) still records what it copied, so the next pass does not copy it all
// again; the error names the object and the cause.
TEST_F(LakeCliTest, MirrorDeleteRefusedStillRecordsTheCopies) {
  std::string src_bucket = Unique("msrc"), dst_bucket = Unique("mdst");
  MakeBucket(src_bucket);
  MakeBucket(dst_bucket);
  net::s3::S3Client src(Lake(src_bucket)), dst(Lake(dst_bucket));
  Put(src, {"a.csv", TextData(1000, 1), {}, {}});
  Put(src, {"b.csv", TextData(1000, 2), {}, {}});
  Put(dst, {"stale.csv", TextData(1000, 3), {}, {}});
  Deny(dst_bucket, "s3:DeleteObject", "*");
  std::string state = dir_ / "mirror.state";
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\ns3:\n  endpoint: " + g_rgw->endpoint() +
                         "\n  region: us-east-1\n  force_path_style: true\n  access_key_id: TESTKEY\n"
                         "  secret_access_key: TESTSECRET\n  mirror:\n    source: " + src_bucket + "\n    target: " +
                         dst_bucket + "\n    delete: true\n    state_file: \"" + state + "\"\n");
  auto m = Dr("s3 mirror --once");
  EXPECT_EQ(m.exit_code, 3) << m.err;
  EXPECT_THAT(m.err, HasSubstr("s3://" + dst_bucket + "/stale.csv"));
  EXPECT_THAT(m.err, HasSubstr("AccessDenied"));
  ExpectRestored(dst, {"a.csv", TextData(1000, 1), {}, {}});
  ExpectRestored(dst, {"b.csv", TextData(1000, 2), {}, {}});
  ASSERT_TRUE(std::filesystem::exists(state)) << "the copies of the pass are recorded";
  std::string recorded = ReadFileOrDie(state);
  EXPECT_THAT(recorded, HasSubstr(" a.csv\n"));
  EXPECT_THAT(recorded, HasSubstr(" b.csv\n"));
}

// One object the backup may not read: the error names that object and the
// real cause (a policy, not the credentials), with exit code 3.
TEST_F(LakeCliTest, AnUnreadableObjectIsNamedWithItsRealCause) {
  std::string lake = Unique("denied");
  MakeBucket(lake);
  net::s3::S3Client src(Lake(lake));
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
  net::s3::S3Client src(Lake(lake));
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
  net::s3::S3Client client({.endpoint = "http://127.0.0.1:" + std::to_string(port), .bucket = "b",
                                .credentials = {"k", "s", ""}, .max_retries = 0});
  Status s = client.ListObjects("", [](const net::s3::ListedObject&) { return Status::Ok(); });
  server.stop();
  t.join();
  EXPECT_EQ(s.code(), Code::kCorrupt) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("'a/b.csv'"));
  EXPECT_THAT(s.message(), HasSubstr("'12x'"));
}

// An unchanged object (same ETag and size) whose listed modification time is
// not the one its item recorded may have had its metadata replaced in place:
// the next backup takes the metadata by HEAD and reuses the data. Then a real
// copy onto itself with REPLACE: the backup after it has the new metadata
// (a server that gives the copy a new ETag reads it again; one that keeps it,
// as AWS does for a single-part object, must not).
TEST(LakeBackupTest, MetadataReplacedInPlaceIsTakenByTheNextBackup) {
  std::string lake = Unique("inplace");
  MakeBucket(lake);
  net::s3::S3Client c(Lake(lake));
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
    ASSERT_OK(writer.Finish());
    ASSERT_OK((*repo)->Flush());  // as a backup does: its blobs are indexed, the next one may reuse them
    ASSERT_OK((*repo)->LoadItems("lake", out));
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
