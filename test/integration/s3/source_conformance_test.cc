// The source conformance suite (test/conformance/source_suite.h) for s3: a
// bucket of the radosgw this binary starts (s3_test.cc), each restore into a
// new bucket (--target-bucket).
#include "test/conformance/source_suite.h"
#include "test/integration/s3/lake_support.h"

namespace dr::test {
namespace {

class S3Harness : public SourceHarness {
 public:
  std::string component() const override { return "s3"; }
  void Prepare(config::Config& config, const std::string&) override {
    lake_ = Unique("conformance-lake");
    MakeBucket(lake_);
    net::s3::S3Client c(Lake(lake_));
    Put(c, {"a.txt", "alpha", {{"content-type", "text/plain"}}, {{"team", "sales"}}});
    Put(c, {"data/big.bin", RandomData(6u << 20, 5), {}, {}});
    Put(c, {"data/empty", "", {}, {}});
    Put(c, {"data/2026/11/orders.csv", TextData(200000, 6), {{"content-type", "text/csv"}}, {}});
    config.s3.endpoint = g_rgw->endpoint();
    config.s3.region = "us-east-1";
    config.s3.force_path_style = true;
    config.s3.access_key_id = RgwServer::kAccessKey;
    config.s3.secret_access_key = RgwServer::kSecretKey;
    config.s3.buckets = {lake_};
  }
  void Change() override {
    net::s3::S3Client c(Lake(lake_));
    Put(c, {"a.txt", "alpha, changed", {{"content-type", "text/plain"}}, {{"team", "ops"}}});
    Put(c, {"data/new.bin", RandomData(300000, 8), {}, {}});
    auto r = c.Send("DELETE", "data/empty", {}, {}, {});
    ASSERT_TRUE(r.ok() && r->status / 100 == 2);
  }
  backup::RestoreRequest RestoreTo(int attempt) override {
    if (!targets_.count(attempt)) {
      targets_[attempt] = Unique("conformance-restored");
      MakeBucket(targets_[attempt]);
    }
    return {.s3 = {.target_bucket = targets_[attempt]}};
  }
  std::map<std::string, std::string> Original() override { return Read(lake_); }
  std::map<std::string, std::string> Restored(int attempt) override { return Read(targets_.at(attempt)); }
  // One item per object, with its bytes.
  Counts Expected(const repo::SnapshotComponent& backed_up) override {
    Counts c;
    for (const auto& item : backed_up.items) {
      c.items++;
      c.bytes += item.size;
    }
    return c;
  }

 private:
  // Each object: its bytes, content type and tags.
  static std::map<std::string, std::string> Read(const std::string& bucket) {
    std::map<std::string, std::string> out;
    net::s3::S3Client c(Lake(bucket));
    for (const auto& key : Keys(c)) {
      auto got = c.Send("GET", key, {}, {}, {});
      EXPECT_TRUE(got.ok() && got->status == 200) << key;
      if (!got.ok()) continue;
      std::string tags;
      for (const auto& [k, v] : Tags(c, key)) tags += k + "=" + v + ";";
      out[key] = got->body + "|type=" + got->headers["content-type"] + "|tags=" + tags;
    }
    return out;
  }
  std::string lake_;
  std::map<int, std::string> targets_;
};

INSTANTIATE_TEST_SUITE_P(Sources, SourceConformance,
                         ::testing::Values(SourceCase{"s3", [] { return std::make_unique<S3Harness>(); }}),
                         SourceCaseName);

}  // namespace
}  // namespace dr::test
