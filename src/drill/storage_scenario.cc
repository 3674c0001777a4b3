#include "drill/storage_scenario.h"

#include "base/time_util.h"
#include "drill/lake_load.h"
#include "drill/load_writer.h"

namespace dr::drill {
namespace {

using Steady = std::chrono::steady_clock;

}  // namespace

DisruptiveResult RunStorageScenario(Clock& clock, const StorageScenarioOptions& options) {
  DisruptiveResult result = NewResult(clock, options, "storage", "data lake s3://" + options.primary.bucket);
  Timeline timeline(clock, result, options.progress);
  const std::string prefix = LakeDrillPrefix(options, result.drill_id);
  LoadWriter writer(LakeTarget(options, prefix, result.drill_id), clock);
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
    AwaitFewMore(writer, first->seq, clock, options.stop);  // a few objects in the recovered bucket
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
  RemoveDrillObjects(options, prefix, result.address_after, result, timeline);
  timeline.Finish();
  return result;
}

}  // namespace dr::drill
