// S3 against a real server: Ceph radosgw (checks SigV4, payload hashes,
// conditional writes), started once for this binary. The Backend contract
// runs on it; a scripted HTTP server plays the failures a real server will
// not produce on demand.
#include <httplib.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "storage/s3/s3_backend.h"
#include "test/conformance/backend_suite.h"
#include "test/support/rgw_server.h"
#include "base/time_util.h"
#include "coordinator/health_check.h"
#include "test/integration/cli/cli_harness.h"
#include "test/support/test_support.h"

namespace dr::test {

RgwServer* g_rgw = nullptr;
constexpr const char* kBucket = "ecap-test";

storage::S3BackendOptions RgwOptions(const std::string& prefix, const std::string& bucket = kBucket) {
  return {.s3 = {.endpoint = g_rgw->endpoint(), .region = "us-east-1", .bucket = bucket, .path_style = true,
                 .credentials = {RgwServer::kAccessKey, RgwServer::kSecretKey, ""}, .max_retries = 2},
          .prefix = prefix};
}

class RgwEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto rgw = RgwServer::Start(dir_.path() + "/rgw");
    ASSERT_TRUE(rgw.ok()) << "radosgw must start for the S3 tests: " << rgw.status().ToString();
    g_rgw = rgw->release();
    net::s3::S3Client client(RgwOptions("").s3);
    auto made = client.Send("PUT", "", {}, {}, {});
    ASSERT_TRUE(made.ok() && made->status == 200) << (made.ok() ? made->body : made.status().ToString());
    net::s3::S3Client replica(RgwOptions("", "ecap-replica").s3);
    auto made_replica = replica.Send("PUT", "", {}, {}, {});
    ASSERT_TRUE(made_replica.ok() && made_replica->status == 200);
  }
  void TearDown() override { delete g_rgw; }

 private:
  TempDir dir_;
};

namespace {

using ::testing::HasSubstr;

std::string UniquePrefix() {
  static std::atomic<int> n{0};
  return "t" + std::to_string(::getpid()) + "-" + std::to_string(n++) + "/";
}

INSTANTIATE_TEST_SUITE_P(S3, Conformance,
                         ::testing::Values(BackendFactory{"radosgw", [](const std::string&) {
                                                            auto be = storage::NewS3Backend(RgwOptions(UniquePrefix()));
                                                            EXPECT_TRUE(be.ok()) << be.status().ToString();
                                                            return be.ok() ? std::move(be).value() : nullptr;
                                                          }}),
                         [](const auto& info) { return info.param.name; });

TEST(S3Test, WrongCredentialsAreAClearErrorAndNotRetried) {
  auto options = RgwOptions(UniquePrefix());
  options.s3.credentials.secret_key = "not-the-secret";
  auto be = storage::NewS3Backend(options);
  EXPECT_THAT(be, StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(be.status().message(), HasSubstr("SignatureDoesNotMatch"));
  EXPECT_THAT(be.status().message(), HasSubstr("check the S3 credentials"));
}

TEST(S3Test, MissingBucketIsNamed) {
  auto be = storage::NewS3Backend(RgwOptions("", "no-such-bucket"));
  EXPECT_THAT(be, StatusIs(Code::kNotFound));
  EXPECT_THAT(be.status().message(), HasSubstr("bucket 'no-such-bucket' does not exist"));
}

TEST(S3Test, KeysWithSpecialCharactersRoundTrip) {
  net::s3::S3Client client(RgwOptions("").s3);
  for (std::string key : {"lake/a b+c=d~e.csv", "lake/ünïcødé/日本.parquet", "lake/100%/x!"}) {
    auto put = client.Send("PUT", key, {}, {}, "payload of " + key);
    ASSERT_TRUE(put.ok() && put->status == 200) << key << ": " << (put.ok() ? put->body : put.status().ToString());
    auto get = client.Send("GET", key, {}, {}, {});
    ASSERT_TRUE(get.ok());
    EXPECT_EQ(get->body, "payload of " + key);
  }
  auto list = client.Send("GET", "", {{"list-type", "2"}, {"prefix", "lake/ünïcødé/"}}, {}, {});
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(list->body, HasSubstr("日本.parquet"));
}

// A scripted server: 503, 500, then success; the client retries and counts the requests.
TEST(S3Test, ServerErrorsAreRetriedWithBackoff) {
  httplib::Server server;
  std::atomic<int> calls{0};
  server.Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    int n = calls++;
    if (n == 0) res.status = 503, res.set_content("<Error><Code>SlowDown</Code></Error>", "application/xml");
    else if (n == 1) res.status = 500, res.set_content("<Error><Code>InternalError</Code></Error>", "application/xml");
    else res.set_content("finally", "application/octet-stream");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  net::s3::S3Client client({.endpoint = "http://127.0.0.1:" + std::to_string(port), .bucket = "b",
                                .credentials = {"k", "s", ""}, .max_retries = 4});
  auto r = client.Send("GET", "key", {}, {}, {});
  server.stop();
  t.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "finally");
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(client.requests(), 3u);
}

// A server that says this machine's clock is off: one request, not retried, and the
// error says what to fix. Opening a repository there fails the same way.
TEST(S3Test, ClockSkewIsAClearErrorAndNotRetried) {
  httplib::Server server;
  std::atomic<int> calls{0};
  auto skewed = [&](const httplib::Request&, httplib::Response& res) {
    calls++;
    res.status = 403;
    res.set_content("<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and "
                    "the current time is too large.</Message></Error>",
                    "application/xml");
  };
  server.Get(".*", skewed);
  server.Put(".*", skewed);
  server.Delete(".*", skewed);
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  std::string endpoint = "http://127.0.0.1:" + std::to_string(port);
  net::s3::S3Client client({.endpoint = endpoint, .bucket = "b", .credentials = {"k", "s", ""}, .max_retries = 4});
  auto r = client.Send("GET", "key", {}, {}, {});
  ASSERT_TRUE(r.ok());
  Status error = client.ErrorOf(*r, "get s3://b/key");
  EXPECT_EQ(calls.load(), 1) << "a skewed clock is not fixed by retrying";
  EXPECT_THAT(error.message(), HasSubstr("RequestTimeTooSkewed"));
  EXPECT_THAT(error.message(), HasSubstr("this machine's clock is off; fix the time (NTP)"));
  auto be = storage::NewS3Backend({.s3 = {.endpoint = endpoint, .bucket = "b", .credentials = {"k", "s", ""},
                                          .max_retries = 2}});
  server.stop();
  t.join();
  EXPECT_FALSE(be.ok());
  EXPECT_THAT(be.status().message(), HasSubstr("clock is off"));
}

// A body cut short (fewer bytes than Content-Length, then the connection closes) is retried.
TEST(S3Test, TruncatedBodyIsRetriedThenDetected) {
  httplib::Server server;
  std::atomic<int> calls{0};
  server.Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    calls++;
    res.set_content_provider(100, "application/octet-stream", [](size_t offset, size_t, httplib::DataSink& sink) {
      if (offset == 0) sink.write("only part of it", 15);
      return false;  // drop the connection mid-body
    });
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  net::s3::S3Client client({.endpoint = "http://127.0.0.1:" + std::to_string(port), .bucket = "b",
                                .credentials = {"k", "s", ""}, .max_retries = 2});
  auto r = client.Send("GET", "key", {}, {}, {});
  server.stop();
  t.join();
  EXPECT_THAT(r, StatusIs(Code::kUnavailable));
  EXPECT_EQ(calls.load(), 3) << "the first try and two retries";
}

std::string S3Location(const std::string& bucket, const std::string& prefix) {
  return "  type: s3\n  bucket: " + bucket + "\n  prefix: " + prefix + "\n  endpoint: " + g_rgw->endpoint() +
         "\n  region: us-east-1\n  force_path_style: true\n  access_key_id: TESTKEY\n  secret_access_key: TESTSECRET\n";
}

class S3CliTest : public CliFixture {
 protected:
  void WriteS3Config(const std::string& repo_yaml, const std::string& replicas_yaml = "") {
    WriteFile(config_, "encryption:\n  auto_generate_key: true\n  key_file: \"" + key_ + "\"\nrepository:\n" +
                           repo_yaml + replicas_yaml);
  }
};

TEST_F(S3CliTest, RepositoryOnS3RoundTrip) {
  WriteS3Config(S3Location(kBucket, UniquePrefix()));
  WriteFile(dir_ / "data/orders.csv", TextData(5 << 20, 31));
  WriteFile(dir_ / "data/img.bin", RandomData(20 << 20, 32));
  InitRepo();
  auto b = Dr("--json backup create --id s3_1 --files " + dir_ / "data");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ASSERT_EQ(Dr("verify s3_1 --full").exit_code, 0);
  ASSERT_EQ(Dr("restore s3_1 --target " + dir_ / "out").exit_code, 0);
  EXPECT_EQ(ReadFileOrDie(dir_ / "out" + dir_.path() + "/data/img.bin"), RandomData(20 << 20, 32));
  EXPECT_EQ(ReadFileOrDie(dir_ / "out" + dir_.path() + "/data/orders.csv"), TextData(5 << 20, 31));
  auto again = nlohmann::json::parse(Dr("--json backup create --id s3_2 --files " + dir_ / "data").out);
  EXPECT_EQ(again["new_bytes"], 0) << "unchanged data is not stored twice on S3 either";
  EXPECT_EQ(Dr("repo check --read-data").exit_code, 0);
}

TEST_F(S3CliTest, ReplicateThenRestoreFromTheReplicaAlone) {
  std::string primary_prefix = UniquePrefix(), replica_prefix = UniquePrefix();
  std::string replica = S3Location("ecap-replica", replica_prefix);
  for (size_t pos = 0; (pos = replica.find("\n  ", pos)) != std::string::npos; pos += 5) replica.replace(pos, 3, "\n    ");
  WriteS3Config(S3Location(kBucket, primary_prefix), "replicas:\n  -" + replica.substr(1));
  WriteFile(dir_ / "data/a.csv", TextData(3 << 20, 41));
  InitRepo();
  auto r1 = Dr("backup create --id r1 --files " + dir_ / "data");
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  ASSERT_EQ(Dr("backup create --id r2 --stdin note.txt < " + dir_ / "data/a.csv").exit_code, 0);
  auto rep = Dr("--json repo replicate --read-data");
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  auto rj = nlohmann::json::parse(rep.out)["replicas"][0];
  EXPECT_EQ(rj["check_status"], "passed");
  EXPECT_GT(rj["objects_copied"].get<int>(), 4);
  auto again = nlohmann::json::parse(Dr("--json repo replicate").out)["replicas"][0];
  EXPECT_EQ(again["objects_copied"], 0) << "a second run copies nothing";
  // An expired backup disappears from the replica too.
  ASSERT_EQ(Dr("backup delete r2").exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(Dr("--json repo replicate").out)["replicas"][0]["objects_removed"], 1);

  // The primary region is gone: the configuration now names the replica only.
  WriteS3Config(S3Location("ecap-replica", replica_prefix));
  ASSERT_EQ(Dr("verify r1 --full").exit_code, 0);
  ASSERT_EQ(Dr("restore r1 --target " + dir_ / "out").exit_code, 0);
  EXPECT_EQ(ReadFileOrDie(dir_ / "out" + dir_.path() + "/data/a.csv"), TextData(3 << 20, 41));
  EXPECT_EQ(Dr("backup show r2").exit_code, 1);
}

// The data lake: a first backup, an incremental one that reads only what changed, and a
// restore as of the first backup into another bucket, with content types and user metadata.
TEST_F(S3CliTest, DataLakeIncrementalBackupAndRestoreAsOfAnEarlierBackup) {
  std::string lake = "lake-" + std::to_string(::getpid()), restored = "restored-" + std::to_string(::getpid());
  net::s3::S3Client admin(RgwOptions("", lake).s3);
  ASSERT_EQ(admin.Send("PUT", "", {}, {}, {})->status, 200);
  net::s3::S3Client admin2(RgwOptions("", restored).s3);
  ASSERT_EQ(admin2.Send("PUT", "", {}, {}, {})->status, 200);
  std::map<std::string, std::string> v1;
  auto put = [&](const std::string& key, const std::string& data) {
    auto r = admin.Send("PUT", key, {}, {{"content-type", "text/csv"}, {"x-amz-meta-source", "etl"}}, data);
    ASSERT_TRUE(r.ok() && r->status == 200) << key;
  };
  for (int i = 0; i < 300; ++i) {
    std::string key = "events/2026/11/part " + std::to_string(i) + (i % 3 == 0 ? "+x=y~ü.csv" : ".csv");
    v1[key] = TextData(1024 + (i * 977) % 60000, 700 + i);
    put(key, v1[key]);
  }
  v1["exports/big.parquet"] = RandomData(70 << 20, 799);
  put("exports/big.parquet", v1["exports/big.parquet"]);

  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  auto_generate_key: true\n"
                     "  key_file: \"" + key_ + "\"\ns3:\n  endpoint: " + g_rgw->endpoint() +
                     "\n  region: us-east-1\n  force_path_style: true\n  access_key_id: TESTKEY\n"
                     "  secret_access_key: TESTSECRET\n  buckets: [\"" + lake + "\"]\n");
  InitRepo();
  auto first = Dr("--json backup create --id lake1 --component s3");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto shown1 = nlohmann::json::parse(Dr("--json backup show lake1").out);
  auto m1 = shown1["components"]["s3"]["meta"];
  EXPECT_EQ(m1["objects_read"], 301);
  std::string lake1_end = shown1["end_time"];

  // Change three objects, delete two, add one.
  put("events/2026/11/part 1.csv", "changed one");
  put("events/2026/11/part 2.csv", "changed two");
  put("events/2026/11/part 4.csv", "changed four");
  ASSERT_EQ(admin.Send("DELETE", "events/2026/11/part 5.csv", {}, {}, {})->status, 204);
  ASSERT_EQ(admin.Send("DELETE", "events/2026/11/part 7.csv", {}, {}, {})->status, 204);
  put("events/2026/11/new.csv", "new");
  auto second = Dr("--json backup create --id lake2 --component s3");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto shown2 = nlohmann::json::parse(Dr("--json backup show lake2").out);
  auto m2 = shown2["components"]["s3"]["meta"];
  // Times are in milliseconds, and lake2 ran after the changes above: it finished after lake1.
  ASSERT_GT(*ParseUtc(shown2["end_time"].get<std::string>()), *ParseUtc(lake1_end));
  EXPECT_EQ(m2["objects"], 300);
  EXPECT_EQ(m2["objects_read"], 4) << "only the changed and the new objects are read";
  EXPECT_EQ(m2["objects_unchanged"], 296);
  EXPECT_EQ(m2["requests"], 1 + 4) << "one listing page plus one read per changed object, no per-object HEAD";

  auto restore = Dr("restore lake1 --component s3 --target-bucket " + restored);
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  net::s3::S3Client check(RgwOptions("", restored).s3);
  for (const auto& [key, data] : v1) {
    auto got = check.Send("GET", key, {}, {}, {});
    ASSERT_TRUE(got.ok() && got->status == 200) << key;
    EXPECT_EQ(got->body.size(), data.size()) << key;
    EXPECT_TRUE(got->body == data) << key;
    EXPECT_EQ(got->headers["content-type"], "text/csv") << key;
    EXPECT_EQ(got->headers["x-amz-meta-source"], "etl") << key;
  }
  auto only = Dr("restore lake2 --component s3 --target-bucket " + restored + " --prefix events/2026/11/new");
  ASSERT_EQ(only.exit_code, 0) << only.err;
  EXPECT_EQ(check.Send("GET", "events/2026/11/new.csv", {}, {}, {})->body, "new");

  // As of lake1's end, without naming a backup: lake1's objects, not lake2's.
  std::string asof = "asof-" + std::to_string(::getpid());
  net::s3::S3Client asof_bucket(RgwOptions("", asof).s3);
  ASSERT_EQ(asof_bucket.Send("PUT", "", {}, {}, {})->status, 200);
  auto pit = Dr("--json restore --to-time " + lake1_end + " --component s3 --target-bucket " + asof +
                " --prefix events/2026/11/");
  ASSERT_EQ(pit.exit_code, 0) << pit.err;
  auto pj = nlohmann::json::parse(pit.out);
  EXPECT_EQ(pj["components"][0]["backup_id"], "lake1");
  EXPECT_EQ(pj["components"][0]["restore"]["items_restored"], 300);
  EXPECT_EQ(asof_bucket.Send("GET", "events/2026/11/part 1.csv", {}, {}, {})->body, v1["events/2026/11/part 1.csv"]);
  EXPECT_EQ(asof_bucket.Send("GET", "events/2026/11/part 5.csv", {}, {}, {})->body, v1["events/2026/11/part 5.csv"]);
  EXPECT_EQ(asof_bucket.Send("GET", "events/2026/11/new.csv", {}, {}, {})->status, 404);
}

TEST_F(S3CliTest, MirrorCopiesChangesOnlyAndReportsLag) {
  std::string src = "msrc-" + std::to_string(::getpid()), dst = "mdst-" + std::to_string(::getpid());
  net::s3::S3Client a(RgwOptions("", src).s3), b(RgwOptions("", dst).s3);
  ASSERT_EQ(a.Send("PUT", "", {}, {}, {})->status, 200);
  ASSERT_EQ(b.Send("PUT", "", {}, {}, {})->status, 200);
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(a.Send("PUT", "k/" + std::to_string(i), {}, {{"x-amz-meta-n", std::to_string(i)}}, TextData(2000 + i, i))
                  ->status, 200);
  }
  ASSERT_EQ(a.Send("PUT", "k/big", {}, {}, RandomData(40 << 20, 9))->status, 200);
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\ns3:\n  endpoint: " + g_rgw->endpoint() +
                     "\n  region: us-east-1\n  force_path_style: true\n  access_key_id: TESTKEY\n"
                     "  secret_access_key: TESTSECRET\n  mirror:\n    source: " + src + "\n    target: " + dst +
                     "\n    delete: true\n    state_file: \"" + dir_ / "mirror.state" + "\"\n");
  auto first = Dr("--json s3 mirror --once");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto j1 = nlohmann::json::parse(first.out);
  EXPECT_EQ(j1["copied"], 51);
  EXPECT_EQ(j1["lag_seconds"], 0);
  auto pass = nlohmann::json::parse(ReadFileOrDie(dir_ / "mirror.state.pass"));
  EXPECT_EQ(pass["lag_seconds"], 0) << "what a failover reads as the storage RPO";
  EXPECT_FALSE(pass["finished_at"].get<std::string>().empty());
  EXPECT_EQ(b.Send("GET", "k/big", {}, {}, {})->body, RandomData(40 << 20, 9));
  EXPECT_EQ(b.Send("GET", "k/7", {}, {}, {})->headers["x-amz-meta-n"], "7");

  ASSERT_EQ(a.Send("PUT", "k/3", {}, {}, "changed")->status, 200);
  ASSERT_EQ(a.Send("DELETE", "k/4", {}, {}, {})->status, 204);
  auto second = Dr("--json s3 mirror --once");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto j2 = nlohmann::json::parse(second.out);
  EXPECT_EQ(j2["copied"], 1);
  EXPECT_EQ(j2["deleted"], 1);
  EXPECT_EQ(j2["unchanged"], 49);
  EXPECT_EQ(j2["requests"], 2 + 1 + 1 + 1) << "two listings, one read and one write of the change, one delete";
  EXPECT_GE(j2["lag_seconds_before"].get<double>(), 0);
  EXPECT_EQ(b.Send("GET", "k/3", {}, {}, {})->body, "changed");
  EXPECT_EQ(b.Send("GET", "k/4", {}, {}, {})->status, 404);
}

// Thousands of small objects, over three listing pages (S3 lists 1,000 keys a
// page), backed up and restored into another bucket; the restored listing
// matches key for key, size for size and ETag (the MD5 of single-part
// objects) for ETag. How it scales (10,000 to 100,000 objects, time and
// memory against rclone and restic) is measured by bench/s3_bench.sh, not
// here: under the sanitizers 10,000 objects took more than 5 minutes of CI.
TEST_F(S3CliTest, ThousandsOfSmallObjectsOverSeveralListingPagesRoundTrip) {
  std::string lake = "many-" + std::to_string(::getpid()), restored = "many-r-" + std::to_string(::getpid());
  for (const auto& b : {lake, restored}) {
    net::s3::S3Client c(RgwOptions("", b).s3);
    ASSERT_EQ(c.Send("PUT", "", {}, {}, {})->status, 200);
  }
  constexpr int kObjects = 2500, kThreads = 8;
  std::vector<std::future<int>> uploads;
  for (int t = 0; t < kThreads; ++t) {
    uploads.push_back(std::async(std::launch::async, [&, t] {
      net::s3::S3Client c(RgwOptions("", lake).s3);
      int failed = 0;
      for (int i = t; i < kObjects; i += kThreads) {
        char key[64];
        std::snprintf(key, sizeof key, "clicks/%02d/event-%05d.json", i % 50, i);
        auto r = c.Send("PUT", key, {}, {}, TextData(100 + (i * 37) % 1900, 5000 + i));
        failed += !(r.ok() && r->status == 200);
      }
      return failed;
    }));
  }
  for (auto& u : uploads) ASSERT_EQ(u.get(), 0);
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  auto_generate_key: true\n"
                     "  key_file: \"" + key_ + "\"\ns3:\n  endpoint: " + g_rgw->endpoint() +
                     "\n  region: us-east-1\n  force_path_style: true\n  access_key_id: TESTKEY\n"
                     "  secret_access_key: TESTSECRET\n  buckets: [\"" + lake + "\"]\n");
  InitRepo();
  auto b = Dr("--json backup create --id many --component s3");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(nlohmann::json::parse(b.out)["components"]["s3"]["items"], kObjects);
  auto r = Dr("--json restore many --component s3 --target-bucket " + restored);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["items_restored"], kObjects);
  auto listing = [](const std::string& bucket) {
    std::map<std::string, std::pair<uint64_t, std::string>> out;
    net::s3::S3Client c(RgwOptions("", bucket).s3);
    Status s = c.ListObjects("", [&](const net::s3::ListedObject& o) {
      out[o.key] = {o.size, o.etag};
      return Status::Ok();
    });
    EXPECT_OK(s);
    return out;
  };
  auto want = listing(lake), got = listing(restored);
  EXPECT_EQ(want.size(), static_cast<size_t>(kObjects));
  EXPECT_TRUE(want == got) << "the restored bucket differs from the source";
}

// The coordinator's s3 check: a write/read/delete probe against the real bucket.
TEST_F(S3CliTest, CoordinatorHealthCheckProbesTheBucket) {
  coordinator::CheckContext ctx;
  ctx.s3 = RgwOptions("").s3;
  config::CoordinatedService lake{.name = "lake", .type = "s3", .bucket = kBucket};
  auto ok = coordinator::RunCheck(lake, ctx);
  EXPECT_EQ(ok.status, coordinator::Health::kHealthy) << ok.error;
  net::s3::S3Client client(RgwOptions("").s3);
  EXPECT_EQ(client.Send("GET", ".ecap-dr-health-probe", {}, {}, {})->status, 404) << "the probe cleans up";
  config::CoordinatedService missing{.name = "gone", .type = "s3", .bucket = "no-such-bucket-here"};
  auto bad = coordinator::RunCheck(missing, ctx);
  EXPECT_EQ(bad.status, coordinator::Health::kFailed);
  EXPECT_THAT(bad.error, HasSubstr("no-such-bucket-here"));
  ctx.s3.credentials.secret_key = "wrong";
  auto denied = coordinator::RunCheck(lake, ctx);
  EXPECT_EQ(denied.status, coordinator::Health::kFailed);
}

}  // namespace
}  // namespace dr::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new dr::test::RgwEnvironment());
  return RUN_ALL_TESTS();
}
