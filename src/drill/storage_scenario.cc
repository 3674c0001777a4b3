#include "drill/storage_scenario.h"

#include <set>

#include <fmt/core.h>

#include "base/time_util.h"
#include "drill/load_writer.h"

namespace dr::drill {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

constexpr auto kPoll = std::chrono::milliseconds(50);

std::string ObjectKey(const std::string& prefix, int64_t seq) { return fmt::format("{}{:010d}", prefix, seq); }

std::string Body(const std::string& drill_id, int64_t seq) { return drill_id + " " + std::to_string(seq) + "\n"; }

// The client options for `bucket`: the mirror's endpoint for the replica
// bucket, the lake's for any other. No retries and short timeouts: a lost
// bucket costs the load a failed write, not minutes of backoff.
net::s3::S3Options OptionsFor(const StorageScenarioOptions& o, const std::string& bucket) {
  net::s3::S3Options s = bucket == o.replica.bucket ? o.replica : o.primary;
  s.bucket = bucket;
  s.max_retries = 0;
  s.timeout_seconds = 5;
  return s;
}

// The load's target: objects under the drill's prefix in the active bucket.
class LakeTarget final : public LoadTarget {
 public:
  LakeTarget(const StorageScenarioOptions& options, std::string prefix, std::string drill_id)
      : options_(options), prefix_(std::move(prefix)), drill_id_(std::move(drill_id)) {}

  Result<std::string> Connect() override {
    client_.reset();
    DR_ASSIGN_OR_RETURN(std::string bucket, options_.active_bucket());
    if (bucket.empty()) return ConfigError("the platform names no active bucket for the data lake");
    client_ = std::make_unique<net::s3::S3Client>(OptionsFor(options_, bucket));
    return bucket;
  }
  bool connected() const override { return client_ != nullptr; }

  Status Write(int64_t seq) override {
    const std::string key = ObjectKey(prefix_, seq);
    auto r = client_->Send("PUT", key, {}, {}, Body(drill_id_, seq));
    Status s = !r.ok() ? r.status() : r->status == 200 ? Status::Ok() : client_->ErrorOf(*r, "put " + client_->Url(key));
    if (!s.ok()) client_.reset();  // the next write asks for the active bucket again
    return s;
  }

 private:
  const StorageScenarioOptions& options_;
  const std::string prefix_, drill_id_;
  std::unique_ptr<net::s3::S3Client> client_;
};

// The drill's objects in `bucket`: seq -> intact (the bytes it was written with).
Result<std::map<int64_t, bool>> ReadDrillObjects(const StorageScenarioOptions& o, const std::string& bucket,
                                                 const std::string& prefix, const std::string& drill_id) {
  net::s3::S3Client client(OptionsFor(o, bucket));
  std::map<int64_t, bool> out;
  DR_RETURN_IF_ERROR(client.ListObjects(prefix, [&](const net::s3::ListedObject& listed) {
    std::string tail = listed.key.substr(prefix.size());
    if (tail.empty() || tail.find_first_not_of("0123456789") != std::string::npos) return Status::Ok();
    int64_t seq = std::stoll(tail);
    out[seq] = listed.size == Body(drill_id, seq).size();
    return Status::Ok();
  }));
  return out;
}

// Deletes the drill's objects from `bucket`; a bucket that is gone has none.
void RemoveDrillObjects(const StorageScenarioOptions& o, const std::string& bucket, const std::string& prefix,
                        DisruptiveResult& result, Timeline& timeline) {
  net::s3::S3Client client(OptionsFor(o, bucket));
  std::vector<std::string> keys;
  Status listed = client.ListObjects(prefix, [&](const net::s3::ListedObject& object) {
    keys.push_back(object.key);
    return Status::Ok();
  });
  const std::string where = "objects of " + result.drill_id + " in " + client.Url(prefix);
  if (listed.code() == Code::kNotFound) return;  // the bucket itself is gone (the fault)
  Status removed = listed;
  for (size_t i = 0; removed.ok() && i < keys.size(); ++i) {
    auto r = client.Send("DELETE", keys[i], {}, {}, {});
    if (!r.ok()) removed = r.status();
    else if (r->status / 100 != 2 && r->status != 404) removed = client.ErrorOf(*r, "delete " + client.Url(keys[i]));
  }
  if (!removed.ok()) {
    result.cleanup_errors.push_back(where + ": " + removed.message());
    timeline.MarkFailed();
    return;
  }
  if (!keys.empty()) result.removed.push_back(where + " (" + std::to_string(keys.size()) + ")");
}

}  // namespace

DisruptiveResult RunStorageScenario(Clock& clock, const StorageScenarioOptions& options) {
  DisruptiveResult result = NewResult(clock, options, "storage", "data lake s3://" + options.primary.bucket);
  Timeline timeline(clock, result, options.progress);
  const std::string prefix = options.prefix + "ecap-dr-drill/" + result.drill_id + "/";
  LoadWriter writer(std::make_unique<LakeTarget>(options, prefix, result.drill_id), clock);
  result.details["prefix"] = prefix;
  [&] {
    timeline.Begin("start the load generator");
    auto before = options.active_bucket();
    if (!before.ok()) return timeline.Fail("load", before.status().WithContext("the lake's active bucket"));
    result.address_before = *before;
    timeline.Say("drill " + result.drill_id + ": putting objects into s3://" + *before + "/" + prefix);
    writer.Start();
    const std::string lake = "the lake's bucket s3://" + *before;
    if (Status s = AwaitWrites(writer, options.commits_before_fault, clock, options, lake); !s.ok()) {
      return timeline.Fail("load", s);
    }

    timeline.Begin("mirror pass");
    auto pass = options.mirror();
    if (!pass.ok()) return timeline.Fail("mirror", pass.status().WithContext("the mirror pass before the fault"));
    result.details["mirror"] = *pass;
    // The load goes on after the pass: what it writes now is the mirror's lag at the fault.
    size_t wanted = writer.ack_count() + std::max<size_t>(1, options.commits_before_fault / 2);
    if (Status s = AwaitWrites(writer, wanted, clock, options, lake); !s.ok()) return timeline.Fail("load", s);

    timeline.Begin("inject the fault");
    result.acknowledged_before_fault = writer.ack_count();
    Steady::time_point fault = clock.Monotonic();
    result.fault_at = FormatUtc(clock.Now(), true);
    if (auto lag = options.mirror_lag()) result.details["mirror_lag_seconds"] = *lag;
    timeline.Say("drill " + result.drill_id + ": injecting the storage fault");
    if (Status s = options.inject(); !s.ok()) return timeline.Fail("inject", s.WithContext("injecting the fault"));

    timeline.Begin("recover (storage_failure runbook)");
    timeline.Say("drill " + result.drill_id + ": recovering");
    Status recovered = options.recover(result.runbook);
    if (!recovered.ok()) return timeline.Fail("recover", RecoveryFailure(recovered, result.runbook));
    auto after = options.active_bucket();
    if (!after.ok()) return timeline.Fail("recover", after.status().WithContext("the lake's active bucket"));
    result.address_after = *after;
    if (*after != options.replica.bucket) {
      return timeline.Fail("recover", Failed("after the recovery the lake is served from s3://" + *after +
                                             ", not its mirror s3://" + options.replica.bucket));
    }

    timeline.Begin("first object in the active bucket");
    Steady::time_point limit = fault + std::chrono::duration_cast<Steady::duration>(
                                           std::chrono::duration<double>(options.timeout_seconds));
    auto first = WaitForCommit([&] { return writer.FirstConnectedAfter(fault, *after); }, limit, clock, options.stop,
                               "no object was acknowledged by s3://" + *after + " (the active bucket) within " +
                                   std::to_string(static_cast<int>(options.timeout_seconds)) + " s of the fault");
    if (!first.ok()) {
      Status why = writer.last_error();
      return timeline.Fail("write_after_recovery",
                           why.ok() ? first.status() : first.status().WithContext("last error: " + why.message()));
    }
    result.rto_seconds = std::chrono::duration<double>(first->done - fault).count();
    // What the load put into the lost bucket (before the fault, and while it
    // was going): the objects the mirror had copied survive, the rest are lost.
    size_t into_lost_bucket = 0;
    for (const auto& a : writer.acks()) into_lost_bucket += a.seq < first->seq;
    result.details["first_write_after_recovery"] = first->seq;
    result.details["acknowledged_before_recovery"] = into_lost_bucket;
    // A few objects in the recovered bucket before the load stops.
    Steady::time_point settle = clock.Monotonic() + std::chrono::seconds(5);
    while (writer.acks().back().seq < first->seq + 5 && clock.Monotonic() < settle && !options.stop.stop_requested()) {
      clock.SleepFor(kPoll, options.stop);
    }
    writer.Stop();

    timeline.Begin("count the objects that survived");
    auto objects = ReadDrillObjects(options, *after, prefix, result.drill_id);
    if (!objects.ok()) return timeline.Fail("verify", objects.status().WithContext("reading the drill's objects back"));
    CountLost(writer.acks(), *objects, result);
    if (!result.lost.empty()) {
      timeline.Say("drill " + result.drill_id + ": " + std::to_string(result.lost.size()) +
                   " acknowledged objects are lost (written after the mirror's last pass)");
    }
  }();
  StopLoad(writer, result);

  timeline.Begin("remove the drill's objects");
  std::set<std::string> buckets{options.primary.bucket, options.replica.bucket};
  if (!result.address_after.empty()) buckets.insert(result.address_after);
  for (const auto& bucket : buckets) RemoveDrillObjects(options, bucket, prefix, result, timeline);
  timeline.Finish();
  return result;
}

}  // namespace dr::drill
