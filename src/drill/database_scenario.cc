#include "drill/database_scenario.h"

#include <optional>

#include "base/time_util.h"
#include "drill/load_writer.h"
#include "net/postgres/pg_client.h"

namespace dr::drill {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

}  // namespace

DisruptiveResult RunDatabaseScenario(Clock& clock, const DatabaseScenarioOptions& options) {
  DisruptiveResult result = NewResult(clock, options, "database", options.service.name);
  Timeline timeline(clock, result, options.progress);
  LoadWriter writer({.drill_id = result.drill_id, .conninfo = options.service.primary, .resolve = options.resolve},
                    clock);
  [&] {
    timeline.Begin("start the load generator");
    timeline.Say("drill " + result.drill_id + ": committing rows to " + options.service.name + " through its name");
    std::string address;
    auto conn = ConnectThroughName(options.resolve, options.service.primary, &address);
    Status loaded = conn.ok() ? StartLoad(**conn, writer, clock, options) : conn.status();
    if (!loaded.ok()) {
      return timeline.Fail("load", loaded.WithContext("the database of service '" + options.service.name + "'"));
    }
    result.address_before = address;

    timeline.Begin("inject the fault");
    result.acknowledged_before_fault = writer.ack_count();
    Steady::time_point fault = clock.Monotonic();
    result.fault_at = FormatUtc(clock.Now(), true);
    timeline.Say("drill " + result.drill_id + ": injecting the database fault");
    if (Status s = options.inject(); !s.ok()) return timeline.Fail("inject", s.WithContext("injecting the fault"));

    timeline.Begin("recover (database_failure runbook)");
    timeline.Say("drill " + result.drill_id + ": recovering");
    Status recovered = options.recover(result.runbook);
    if (!recovered.ok()) return timeline.Fail("recover", RecoveryFailure(recovered, result.runbook));

    timeline.Begin("first commit through the name");
    Steady::time_point limit = fault + std::chrono::duration_cast<Steady::duration>(
                                           std::chrono::duration<double>(options.timeout_seconds));
    auto first = WaitForCommit([&] { return writer.FirstConnectedAfter(fault); }, limit, clock, options.stop,
                               "no commit through the name of service '" + options.service.name +
                                   "' was acknowledged within " +
                                   std::to_string(static_cast<int>(options.timeout_seconds)) + " s of the fault");
    if (!first.ok()) return timeline.Fail("write_after_recovery", first.status());
    result.rto_seconds = std::chrono::duration<double>(first->done - fault).count();
    AwaitFewMore(writer, first->seq, clock, options.stop);  // a few commits on the recovered database
    writer.Stop();

    timeline.Begin("count the commits that survived");
    auto check = ConnectThroughName(options.resolve, options.service.primary, &address);
    if (!check.ok()) return timeline.Fail("verify", check.status().WithContext("the recovered database"));
    result.address_after = address;
    if (Status s = CountSurvivors(**check, writer.acks(), result, timeline); !s.ok()) return timeline.Fail("verify", s);
  }();
  StopLoad(writer, result);

  timeline.Begin("remove the drill's rows");
  std::string address;
  auto conn = ConnectThroughName(options.resolve, options.service.primary, &address);
  RemoveDrillRows(std::move(conn), address, result, timeline);
  timeline.Finish();
  return result;
}

}  // namespace dr::drill
