// The disruptive storage drill on radosgw: the data lake's bucket is removed
// with its objects while a load generator writes into it, the
// storage_failure runbook switches the lake to its mirror, and the drill
// counts exactly the acknowledged objects the mirror had not copied yet.
#include <string>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "test/integration/cli/cli_harness.h"
#include "test/integration/s3/lake_support.h"

namespace dr::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class StorageDrillTest : public CliFixture {};

std::vector<std::string> KeysUnder(net::s3::S3Client& c, const std::string& prefix) {
  std::vector<std::string> keys;
  Status s = c.ListObjects(prefix, [&](const net::s3::ListedObject& o) {
    keys.push_back(o.key);
    return Status::Ok();
  });
  EXPECT_OK(s);
  return keys;
}

TEST_F(StorageDrillTest, TheLakeBucketIsLostUnderLoadAndTheMirrorTakesOverWithItsLagCounted) {
  const std::string lake = Unique("drill-lake"), mirror = Unique("drill-mirror");
  MakeBucket(lake);
  MakeBucket(mirror);
  net::s3::S3Client lake_client(Lake(lake)), mirror_client(Lake(mirror));
  for (int i = 0; i < 5; ++i) {
    Put(lake_client, {.key = "orders/part-" + std::to_string(i) + ".json", .data = "{\"part\":" + std::to_string(i) + "}"});
  }
  const std::string base = ReadFileOrDie(config_) + "s3:\n  endpoint: " + g_rgw->endpoint() +
                           "\n  region: us-east-1\n  force_path_style: true\n  access_key_id: TESTKEY\n"
                           "  secret_access_key: TESTSECRET\n  buckets: [\"" + lake + "\"]\n  mirror:\n    source: " +
                           lake + "\n    target: " + mirror + "\n    state_file: \"" + dir_ / "mirror.state" +
                           "\"\ndr_coordinator:\n  state_dir: \"" + dir_ / "state" +
                           "\"\n  failover:\n    storage:\n      primary_bucket: " + lake +
                           "\n      replica_bucket: " + mirror + "\n      switch_hook: \"echo $ECAP_DR_ACTIVE_BUCKET > " +
                           dir_ / "active" + "\"\n";
  const std::string fault = g_rgw->admin_command() + " bucket rm --bucket=" + lake + " --purge-objects";
  WriteFile(config_, base + "drill:\n  environment: true\n");
  InitRepo();
  auto backup = Dr("--json backup create --component s3");
  ASSERT_EQ(backup.exit_code, 0) << backup.err;

  // Refused, with nothing touched: without --disruptive; without a fault to make.
  auto unflagged = Dr("drill --scenario storage");
  EXPECT_EQ(unflagged.exit_code, 2) << unflagged.err;
  EXPECT_THAT(unflagged.err, HasSubstr("give --disruptive"));
  auto no_fault = Dr("drill --scenario storage --disruptive");
  EXPECT_NE(no_fault.exit_code, 0);
  EXPECT_THAT(no_fault.err, HasSubstr("drill.faults.storage is not set"));
  EXPECT_EQ(KeysUnder(lake_client, "").size(), 5u);
  EXPECT_TRUE(KeysUnder(mirror_client, "").empty()) << "no mirror pass ran";

  // As a job of the automation daemon (`schedule run` runs it as the daemon would).
  WriteFile(config_, base + "drill:\n  environment: true\n  timeout_seconds: 120\n  faults:\n    storage: \"" + fault +
                         "\"\nautomation:\n  jobs:\n    - {name: lake-drill, action: drill, scenario: storage, "
                         "disruptive: true, monthly: \"1 04:00\"}\n");
  auto run = Dr("--json schedule run lake-drill");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  json job = json::parse(run.out);
  EXPECT_EQ(job["outcome"], "succeeded");
  json d = job["result"];
  EXPECT_EQ(d["scenario"], "storage");
  EXPECT_EQ(d["status"], "passed");
  EXPECT_EQ(d["address_before"], lake);
  EXPECT_EQ(d["address_after"], mirror);
  EXPECT_GT(d["rto_seconds"].get<double>(), 0);
  EXPECT_EQ(d["runbook"]["execution_log"]["overall_status"], "completed") << d["runbook"].dump();
  EXPECT_EQ(TrimWhitespace(ReadFileOrDie(dir_ / "active")), mirror) << "the switch hook was told";
  EXPECT_EQ(json::parse(ReadFileOrDie(dir_ / "state/state.json"))["storage"]["active_bucket"], mirror);

  // The lost objects are exactly those the load put into the lake's bucket
  // (before the fault, and while the fault was removing it) that the mirror's
  // pass had not copied: a run of consecutive numbers after the copied ones.
  const json& w = d["writes"];
  const int64_t first_after = d["first_write_after_recovery"].get<int64_t>();
  EXPECT_GT(w["acknowledged"].get<int64_t>(), d["acknowledged_before_recovery"].get<int64_t>())
      << "objects were written to the mirror after the switch";
  const json& lost = w["lost_writes"];
  ASSERT_GE(lost.size(), 10u) << "at least the objects written after the mirror pass";
  for (size_t i = 0; i < lost.size(); ++i) {
    EXPECT_EQ(lost[i]["state"], "missing");
    EXPECT_LT(lost[i]["seq"].get<int64_t>(), first_after);
    if (i > 0) {
      EXPECT_GT(lost[i]["seq"].get<int64_t>(), lost[i - 1]["seq"].get<int64_t>());
    }
  }
  const int copied_drill_objects = d["mirror"]["copied"].get<int>() - 5;  // besides the lake's own 5
  EXPECT_EQ(d["acknowledged_before_recovery"].get<int64_t>() - static_cast<int64_t>(lost.size()), copied_drill_objects)
      << "every object put into the lost bucket survives if and only if the mirror copied it";
  // RPO: from the oldest lost object (acknowledged after the mirror pass
  // began) to the fault, or to the newest lost one when the bucket still took
  // objects while the fault was removing it.
  double mirror_start = -1, recovered = -1;
  for (const auto& p : d["phases"]) {
    if (p["name"] == "mirror pass") mirror_start = p["start_seconds"];
    if (p["name"] == "first object in the active bucket") recovered = p["start_seconds"];
  }
  ASSERT_GE(mirror_start, 0);
  ASSERT_GE(recovered, 0);
  EXPECT_GT(d["rpo_seconds"].get<double>(), 0);
  EXPECT_LE(d["rpo_seconds"].get<double>(), recovered - mirror_start + 0.01);
  EXPECT_GE(d["mirror_lag_seconds"].get<double>(), 0);
  EXPECT_GE(copied_drill_objects, 0) << d["mirror"].dump();

  // Cleanup: the drill's objects are gone from the mirror; the lake's own objects stay.
  EXPECT_TRUE(d["cleanup_errors"].empty()) << d["cleanup_errors"].dump();
  EXPECT_TRUE(KeysUnder(mirror_client, "ecap-dr-drill/").empty());
  EXPECT_EQ(KeysUnder(mirror_client, "orders/").size(), 5u);
  auto gone = lake_client.ListObjects("", [](const net::s3::ListedObject&) { return Status::Ok(); });
  EXPECT_THAT(gone, StatusIs(Code::kNotFound)) << "the fault removed the lake's bucket";

  // The lake stays on the mirror: another storage drill is refused (it would
  // write into the mirror and lose a bucket nobody uses) until it is switched back.
  auto again = Dr("drill --scenario storage --disruptive");
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_THAT(again.err, HasSubstr("the lake is served from s3://" + mirror + ", not its primary bucket"));

  // The lake's backups follow it to the mirror (the primary is gone): a
  // backup of the lake now reads the mirror, and restores what it holds.
  auto after = Dr("--json backup create --component s3 --id after-failover");
  ASSERT_EQ(after.exit_code, 0) << after.out << after.err;
  const std::string restored = Unique("drill-restored");
  MakeBucket(restored);
  auto back = Dr("restore after-failover --component s3 --target-bucket " + restored);
  ASSERT_EQ(back.exit_code, 0) << back.err;
  net::s3::S3Client restored_client(Lake(restored));
  EXPECT_EQ(KeysUnder(restored_client, "orders/").size(), 5u);
  EXPECT_TRUE(KeysUnder(restored_client, "ecap-dr-drill/").empty());

  // The drill's page names the buckets and each lost object.
  auto page = Dr("report drill --drill " + d["drill_id"].get<std::string>());
  ASSERT_EQ(page.exit_code, 0) << page.err;
  EXPECT_THAT(page.out, HasSubstr(lake + " before the fault, " + mirror + " after"));
  EXPECT_THAT(page.out, HasSubstr("object " + std::to_string(lost[0]["seq"].get<int64_t>()) + " acknowledged at"));
}

}  // namespace
}  // namespace dr::test
