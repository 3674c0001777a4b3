#include "engine/engine.h"

#include "test/support/test_support.h"

namespace dr::engine {
namespace {

using test::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Time moves only when a test (or a step, or the runner's sleep) moves it.
class FakeClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override { return {}; }
  std::chrono::steady_clock::time_point Monotonic() const override { return mono_; }
  void Advance(Duration d) { mono_ += d; }

 private:
  std::chrono::steady_clock::time_point mono_{};
};

using std::chrono::seconds;

class EngineTest : public ::testing::Test {
 protected:
  // A step that logs its run and its undo in `log_`.
  Step Logged(const std::string& id, std::vector<std::string> deps = {}, bool undoable = true) {
    Step s{.id = id, .title = "step " + id, .depends_on = std::move(deps)};
    s.run = [this, id](StepContext&, StepOutput& out) {
      log_.push_back("run " + id);
      out.details = id + " done";
      return Status::Ok();
    };
    if (undoable) {
      s.undo = [this, id] {
        log_.push_back("undo " + id);
        return Status::Ok();
      };
    }
    return s;
  }
  Step Failing(const std::string& id, std::vector<std::string> deps = {}) {
    Step s = Logged(id, std::move(deps));
    s.run = [this, id](StepContext&, StepOutput&) {
      log_.push_back("run " + id);
      return Failed(id + " broke");
    };
    return s;
  }
  RunOptions Options() {
    RunOptions o;
    o.sleep = [this](Duration d) {
      sleeps_.push_back(d);
      clock_.Advance(d);
    };
    return o;
  }
  RunResult Run(const std::vector<Step>& plan, RunOptions options) {
    Runner runner(clock_, std::move(options));
    auto r = runner.Run(plan);
    EXPECT_OK(r);
    return r.ok() ? *r : RunResult{};
  }
  static std::vector<std::string> Ids(const RunResult& r) {
    std::vector<std::string> ids;
    for (const auto& s : r.steps) ids.push_back(s.id + ":" + StepStateName(s.state));
    return ids;
  }
  static std::vector<std::string> Rollback(const RunResult& r) {
    std::vector<std::string> ids;
    for (const auto& u : r.rollback) ids.push_back(u.id + ":" + UndoStateName(u.state));
    return ids;
  }

  FakeClock clock_;
  std::vector<std::string> log_;
  std::vector<Duration> sleeps_;
};

TEST_F(EngineTest, RunsStepsAfterWhatTheyDependOnOtherwiseAsListed) {
  std::vector<Step> plan{Logged("c", {"a", "b"}), Logged("b", {"a"}), Logged("a"), Logged("d")};
  auto order = OrderSteps(plan);
  ASSERT_OK(order);
  EXPECT_THAT(*order, ElementsAre(2u, 1u, 0u, 3u));
  std::vector<std::string> seen;
  RunOptions options = Options();
  options.observer.on_start = [&](const Step& s) { seen.push_back("start " + s.id); };
  options.observer.on_finish = [&](const Step& s, const StepReport& r) {
    seen.push_back("finish " + s.id + " " + StepStateName(r.state) + " " + r.details);
  };
  RunResult r = Run(plan, options);
  EXPECT_EQ(r.status, RunStatus::kCompleted);
  EXPECT_TRUE(r.error.ok());
  EXPECT_THAT(log_, ElementsAre("run a", "run b", "run c", "run d"));
  EXPECT_THAT(Ids(r), ElementsAre("a:ok", "b:ok", "c:ok", "d:ok"));
  EXPECT_THAT(seen, ElementsAre("start a", "finish a ok a done", "start b", "finish b ok b done", "start c",
                                "finish c ok c done", "start d", "finish d ok d done"));
  EXPECT_TRUE(r.rollback.empty());
}

TEST_F(EngineTest, RejectsUnknownDependenciesCyclesAndBadSteps) {
  auto unknown = OrderSteps({Logged("a", {"nope"})});
  EXPECT_THAT(unknown, StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(unknown.status().message(), HasSubstr("step 'a' depends on an unknown step 'nope'"));
  auto cycle = OrderSteps({Logged("start"), Logged("a", {"start", "c"}), Logged("b", {"a"}), Logged("c", {"b"})});
  EXPECT_THAT(cycle, StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(cycle.status().message(), HasSubstr("cycle: a -> c -> b -> a"));
  EXPECT_THAT(OrderSteps({Logged("a", {"a"})}).status().message(), HasSubstr("cycle: a -> a"));
  EXPECT_THAT(OrderSteps({Logged("a"), Logged("a")}).status().message(), HasSubstr("'a' is used twice"));
  Step both = Logged("x");
  both.cannot_undo = "it cannot";
  EXPECT_THAT(OrderSteps({both}).status().message(), HasSubstr("has an undo and says it cannot be undone"));
  // The runner refuses a bad plan before running anything.
  Runner runner(clock_, Options());
  EXPECT_THAT(runner.Run({Logged("a"), Logged("b", {"zz"})}), StatusIs(Code::kInvalidArgument));
  EXPECT_TRUE(log_.empty());
}

TEST_F(EngineTest, AFailureStopsTheRunAndUndoesCompletedStepsNewestFirst) {
  Step check = Logged("check", {}, /*undoable=*/false);  // changes nothing: nothing to undo
  Step promote = Logged("promote", {"a"}, false);
  promote.cannot_undo = "a promoted standby cannot become a standby again";
  Step broken_undo = Logged("b", {"promote"});
  broken_undo.undo = [this] {
    log_.push_back("undo b");
    return Failed("b's undo broke");
  };
  std::vector<Step> plan{check, Logged("a", {"check"}), promote, broken_undo, Logged("c", {"b"}),
                         Failing("d", {"c"}), Logged("e", {"d"})};
  RunResult r = Run(plan, Options());
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.stopped_at, "d");
  EXPECT_EQ(r.error.message(), "d broke");
  EXPECT_THAT(Ids(r), ElementsAre("check:ok", "a:ok", "promote:ok", "b:ok", "c:ok", "d:failed"));
  EXPECT_EQ(r.steps.back().details, "d broke");
  // The failed step is not undone (it completed nothing); an undo that fails does not stop the others.
  EXPECT_THAT(log_, ElementsAre("run check", "run a", "run promote", "run b", "run c", "run d", "undo c", "undo b",
                                "undo a"));
  EXPECT_THAT(Rollback(r), ElementsAre("c:rolled_back", "b:undo_failed", "promote:cannot_undo", "a:rolled_back"));
  EXPECT_EQ(r.rollback[1].details, "b's undo broke");
  EXPECT_EQ(r.rollback[2].details, "a promoted standby cannot become a standby again");
}

TEST_F(EngineTest, AFailedVerificationFailsTheStepAndUndoesIt) {
  Step dns = Logged("dns", {"a"});
  dns.verify = [this](StepContext&, StepOutput&) {
    log_.push_back("verify dns");
    return Failed("the name still resolves to the old address");
  };
  RunResult r = Run({Logged("a"), dns, Logged("after", {"dns"})}, Options());
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.error.message(), "the name still resolves to the old address");
  EXPECT_THAT(log_, ElementsAre("run a", "run dns", "verify dns", "undo dns", "undo a"));
  EXPECT_THAT(Rollback(r), ElementsAre("dns:rolled_back", "a:rolled_back"));
}

TEST_F(EngineTest, ADryRunDescribesTheSameStepsAndRunsOnlyReadOnlyChecks) {
  Step check = Logged("check", {}, false);
  check.read_only = true;
  Step fence = Logged("fence", {"check"});
  fence.description = "run 'fence.sh' on the old primary";
  Step confirm = Logged("promote", {"fence"});
  confirm.requires_confirmation = true;
  std::vector<Step> plan{check, fence, confirm, Logged("verify", {"promote"})};
  RunOptions options = Options();
  options.dry_run = true;
  int asked = 0;
  options.confirm = [&](const Step&) { return ++asked > 0 ? Answer::kYes : Answer::kNo; };
  RunResult dry = Run(plan, options);
  EXPECT_EQ(dry.status, RunStatus::kDryRun);
  EXPECT_THAT(Ids(dry), ElementsAre("check:ok", "fence:planned", "promote:planned", "verify:planned"));
  EXPECT_EQ(dry.steps[1].details, "run 'fence.sh' on the old primary");
  EXPECT_EQ(dry.steps[2].details, "step promote") << "no description: the title";
  EXPECT_THAT(log_, ElementsAre("run check"));
  EXPECT_EQ(asked, 0) << "a dry run asks nobody";
  // The real run goes through the same steps, in the same order.
  log_.clear();
  RunResult real = Run(plan, Options());
  EXPECT_THAT(Ids(real), ElementsAre("check:ok", "fence:ok", "promote:declined"));
  std::vector<std::string> ids_dry, ids_real;
  for (const auto& s : dry.steps) ids_dry.push_back(s.id);
  options.dry_run = false;
  real = Run(plan, options);
  for (const auto& s : real.steps) ids_real.push_back(s.id);
  EXPECT_EQ(ids_dry, ids_real);
  // A read-only check that fails stops a dry run, as it would stop the real one.
  check.run = [](StepContext&, StepOutput&) { return Failed("the standby is behind"); };
  options.dry_run = true;
  RunResult refused = Run({check, fence}, options);
  EXPECT_EQ(refused.status, RunStatus::kFailed);
  EXPECT_THAT(Ids(refused), ElementsAre("check:failed"));
}

TEST_F(EngineTest, ADeclinedConfirmationStopsTheRunWithoutUndoing) {
  Step risky = Logged("risky", {"a"});
  risky.requires_confirmation = true;
  std::vector<Step> plan{Logged("a"), risky, Logged("c", {"risky"})};
  std::vector<std::string> asked;
  RunOptions options = Options();
  options.confirm = [&](const Step& s) {
    asked.push_back(s.id);
    return Answer::kNo;
  };
  RunResult r = Run(plan, options);
  EXPECT_EQ(r.status, RunStatus::kDeclined);
  EXPECT_EQ(r.stopped_at, "risky");
  EXPECT_THAT(r.error, StatusIs(Code::kCancelled));
  EXPECT_THAT(r.error.message(), HasSubstr("step 'risky' was not confirmed"));
  EXPECT_THAT(asked, ElementsAre("risky"));
  EXPECT_THAT(log_, ElementsAre("run a"));
  EXPECT_THAT(Ids(r), ElementsAre("a:ok", "risky:declined"));
  EXPECT_TRUE(r.rollback.empty());
  // Nobody to ask: declined as well, never run unasked.
  log_.clear();
  EXPECT_EQ(Run(plan, Options()).status, RunStatus::kDeclined);
  EXPECT_THAT(log_, ElementsAre("run a"));
  // Confirmed: it runs.
  log_.clear();
  options.confirm = [](const Step&) { return Answer::kYes; };
  EXPECT_EQ(Run(plan, options).status, RunStatus::kCompleted);
  EXPECT_THAT(log_, ElementsAre("run a", "run risky", "run c"));
}

TEST_F(EngineTest, SkipGoesOnWithoutTheStepAndAbortRollsBackWhatCompleted) {
  Step b = Logged("b", {"a"});
  b.requires_confirmation = true;
  Step c = Logged("c", {"b"});
  c.requires_confirmation = true;
  std::vector<Step> plan{Logged("a"), b, c, Logged("d", {"c"})};
  RunOptions options = Options();
  options.confirm = [](const Step& s) { return s.id == "b" ? Answer::kSkip : Answer::kYes; };
  RunResult skipped = Run(plan, options);
  EXPECT_EQ(skipped.status, RunStatus::kCompleted);
  EXPECT_THAT(Ids(skipped), ElementsAre("a:ok", "b:skipped", "c:ok", "d:ok"));
  EXPECT_THAT(log_, ElementsAre("run a", "run c", "run d"));

  log_.clear();
  options.confirm = [](const Step& s) { return s.id == "c" ? Answer::kAbort : Answer::kYes; };
  RunResult aborted = Run(plan, options);
  EXPECT_EQ(aborted.status, RunStatus::kAborted);
  EXPECT_EQ(aborted.stopped_at, "c");
  EXPECT_THAT(aborted.error.message(), HasSubstr("aborted at step 'c'"));
  EXPECT_THAT(log_, ElementsAre("run a", "run b", "undo b", "undo a"));
  EXPECT_THAT(Rollback(aborted), ElementsAre("b:rolled_back", "a:rolled_back"));
}

TEST_F(EngineTest, AResumedRunSkipsWhatAnEarlierRunCompletedAndStillUndoesIt) {
  std::vector<Step> plan{Logged("a"), Logged("b", {"a"}), Failing("c", {"b"})};
  RunOptions options = Options();
  options.done["a"] = StepReport{.id = "a", .state = StepState::kOk, .details = "a done earlier",
                                 .data = {{"backup_id", "b1"}}};
  RunResult r = Run(plan, options);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_THAT(Ids(r), ElementsAre("a:resumed", "b:ok", "c:failed"));
  EXPECT_EQ(r.steps[0].data["backup_id"], "b1") << "what it output then is kept";
  EXPECT_THAT(log_, ElementsAre("run b", "run c", "undo b", "undo a"));
  // A dry run of a resumed plan still describes every step.
  options.dry_run = true;
  EXPECT_THAT(Ids(Run(plan, options)), ElementsAre("a:planned", "b:planned", "c:planned"));
}

TEST_F(EngineTest, ADryRunDescribesAChecksThatComesAfterADescribedStep) {
  Step before = Logged("before", {}, false);
  before.read_only = true;
  Step after = Logged("after", {"change"}, false);
  after.read_only = true;
  Step later = Logged("later", {"after"}, false);
  later.read_only = true;
  RunOptions options = Options();
  options.dry_run = true;
  RunResult r = Run({before, Logged("change", {"before"}), after, later}, options);
  EXPECT_EQ(r.status, RunStatus::kDryRun);
  EXPECT_THAT(Ids(r), ElementsAre("before:ok", "change:planned", "after:planned", "later:planned"));
  EXPECT_THAT(log_, ElementsAre("run before")) << "the checks of a change that was not made do not run";
}

TEST_F(EngineTest, AStepThatOverrunsItsTimeoutFailsNamingIt) {
  Step slow = Logged("slow");
  slow.timeout = seconds(2);
  slow.run = [this](StepContext& ctx, StepOutput& out) {
    clock_.Advance(seconds(5));  // a blocking call that took 5 s
    EXPECT_TRUE(ctx.Expired());
    out.details = "done, late";
    return Status::Ok();
  };
  RunResult r = Run({Logged("a"), slow, Logged("c", {"slow"})}, Options());
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.error.message(), "step 'slow' timed out after 2 s");
  EXPECT_EQ(r.steps[1].duration_seconds, 5);
  EXPECT_THAT(Rollback(r), ElementsAre("slow:rolled_back", "a:rolled_back"));
  // A step that polls until its deadline stops there with its own error.
  Step poll = Logged("poll");
  poll.timeout = std::chrono::milliseconds(1500);
  int probes = 0;
  poll.run = [&](StepContext& ctx, StepOutput&) {
    while (!ctx.Expired()) {
      ++probes;
      ctx.Sleep(std::chrono::milliseconds(500));
    }
    return Failed("the server does not take writes");
  };
  RunResult p = Run({poll}, Options());
  EXPECT_EQ(p.error.message(), "the server does not take writes");
  EXPECT_EQ(probes, 3);
  // Late and failed: both are said.
  slow.run = [this](StepContext&, StepOutput&) {
    clock_.Advance(seconds(3));
    return Unavailable("no answer");
  };
  RunResult both = Run({slow}, Options());
  EXPECT_THAT(both.error, StatusIs(Code::kUnavailable));
  EXPECT_EQ(both.error.message(), "step 'slow' timed out after 2 s: no answer");
}

TEST_F(EngineTest, AStopRequestCancelsBetweenStepsAndKeepsWhatIsDone) {
  bool stop = false;
  Step a = Logged("a");
  a.run = [&](StepContext&, StepOutput&) {
    log_.push_back("run a");
    stop = true;  // a Ctrl-C while a runs
    return Status::Ok();
  };
  RunOptions options = Options();
  options.stop = [&] { return stop; };
  RunResult r = Run({a, Logged("b", {"a"})}, options);
  EXPECT_EQ(r.status, RunStatus::kCancelled);
  EXPECT_EQ(r.stopped_at, "b");
  EXPECT_THAT(r.error, StatusIs(Code::kCancelled));
  EXPECT_THAT(Ids(r), ElementsAre("a:ok", "b:cancelled"));
  EXPECT_THAT(log_, ElementsAre("run a"));
  EXPECT_TRUE(r.rollback.empty());
}

TEST_F(EngineTest, RetriesAfterTheDelayUntilAnAttemptSucceedsOrTheyRunOut) {
  Step flaky = Logged("flaky");
  flaky.retries = 3;
  flaky.retry_delay = seconds(5);
  std::vector<int> attempts;
  flaky.run = [&](StepContext& ctx, StepOutput& out) {
    attempts.push_back(ctx.attempt);
    if (ctx.attempt < 3) return Unavailable("not yet");
    out.details = "third time";
    return Status::Ok();
  };
  RunResult r = Run({flaky}, Options());
  EXPECT_EQ(r.status, RunStatus::kCompleted);
  EXPECT_THAT(attempts, ElementsAre(1, 2, 3));
  EXPECT_EQ(r.steps[0].attempts, 3);
  EXPECT_EQ(r.steps[0].details, "third time");
  EXPECT_THAT(sleeps_, ElementsAre(seconds(5), seconds(5)));
  EXPECT_EQ(r.steps[0].duration_seconds, 10);
  // Out of retries: the last error.
  flaky.retries = 1;
  attempts.clear();
  RunResult out = Run({flaky}, Options());
  EXPECT_EQ(out.status, RunStatus::kFailed);
  EXPECT_THAT(attempts, ElementsAre(1, 2));
  EXPECT_EQ(out.error.message(), "not yet");
  // A stop request ends the retries.
  attempts.clear();
  flaky.retries = 5;
  RunOptions options = Options();
  options.stop = [&] { return attempts.size() >= 2; };
  RunResult stopped = Run({flaky}, options);
  EXPECT_EQ(stopped.status, RunStatus::kFailed);
  EXPECT_THAT(attempts, ElementsAre(1, 2));
  EXPECT_THAT(stopped.error.message(), HasSubstr("not retried: the run was stopped"));
}

}  // namespace
}  // namespace dr::engine
