// The runbook engine's own cost per step (issue 14: under 5 ms for a no-op
// step), in-process: a runbook of N steps whose action does nothing
// (`manual`, run with --auto-execute --skip-confirmations), executed as
// `runbook run` executes it: plan, confirmation, the step, its events and
// the execution log saved to SQLite before and after the step (with fsync,
// as every run). Also the bare engine on the same plan, without the
// operations layer, so the two costs can be told apart.
//
// Usage: dr_bench_runbook [STEPS] [DIR]   (STEPS default 200; DIR a scratch
// directory, default a new one under /tmp)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "events/event_store.h"
#include "ops/runbook_ops.h"
#include "runbook/loader.h"
#include "runbook/plan.h"

namespace {

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int steps = argc > 1 ? std::atoi(argv[1]) : 200;
  std::string dir = argc > 2 ? argv[2] : "/tmp/ecap-dr-runbook-bench-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir + "/runbooks");
  std::string text = "title: No-op\nsteps:\n";
  for (int i = 0; i < steps; ++i) {
    text += "  - id: s" + std::to_string(i) + "\n    title: Step " + std::to_string(i) +
            "\n    action: manual\n    with: {instructions: nothing}\n";
  }
  std::ofstream(dir + "/runbooks/noop.yaml") << text;

  dr::ops::OperationContext ctx;
  ctx.config.audit.log_file = dir + "/state/audit.log";
  ctx.config.runbooks.directory = dir + "/runbooks";
  ctx.identity = {.user = "bench", .session = "", .source = "local"};
  dr::events::LazyStoreSink sink(dr::events::HistoryPath(ctx.config));
  ctx.events = &sink;  // as the CLI records events

  // The bare engine: plan and run, nothing recorded.
  auto rb = dr::runbook::FindRunbook(ctx.config.runbooks.directory, "noop");
  if (!rb.ok()) return 1;
  dr::runbook::ActionRegistry registry;
  dr::runbook::AddBasicActions(registry);
  auto start = std::chrono::steady_clock::now();
  auto plan = dr::runbook::BuildPlan(*rb, registry, {.auto_execute = true, .skip_confirmations = true});
  if (!plan.ok()) return 1;
  dr::engine::Runner runner(dr::RealClock(), {});
  auto bare = runner.Run(plan->steps);
  double bare_ms = MillisSince(start);
  if (!bare.ok() || bare->status != dr::engine::RunStatus::kCompleted) return 1;

  // As `runbook run noop --auto-execute --skip-confirmations` does it.
  start = std::chrono::steady_clock::now();
  dr::ops::OpResult r = dr::ops::RunRunbook(ctx, {.name = "noop", .auto_execute = true, .skip_confirmations = true});
  double full_ms = MillisSince(start);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status.ToString().c_str());
    return 1;
  }
  std::printf("%d no-op steps: engine alone %.3f ms/step; runbook run (events + execution log saved) %.3f ms/step\n",
              steps, bare_ms / steps, full_ms / steps);
  if (argc <= 2) std::filesystem::remove_all(dir);
  return 0;
}
