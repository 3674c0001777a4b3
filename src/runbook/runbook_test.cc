// Runbook definitions: reading them (errors name file:line and the key),
// validating them against the actions there are, and turning them into
// engine plans (substitution, confirmations, rollback). The built-in actions
// of ops/ are tested with the shipped runbooks in ops/runbook_ops_test.cc.
#include <fstream>

#include "runbook/loader.h"
#include "runbook/plan.h"
#include "runbook/shipped.h"
#include "test/support/test_support.h"

namespace dr::runbook {
namespace {

using nlohmann::json;
using test::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kGood = R"(title: Test
failure_type: TEST_FAILURE
estimated_minutes: 3
parameters:
  target: {default: "t-${config.files.paths}", description: where}
  who:
steps:
  - id: first
    title: First
    action: record
    with: {value: "${who}@${target}"}
    estimated_minutes: 1
  - id: second
    title: Second
    action: record
    with: {value: "after ${steps.first.value}"}
    verify: {action: check}
    rollback: {action: record, with: {value: "undo second"}}
    timeout: 2m
    retries: 1
    retry_delay: 3s
    estimated_minutes: 2
)";

// A registry of fake actions that log what they were given.
class RunbookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.Add({.name = "record",
                   .required = {"value"},
                   .run = [this](const Arguments& a, engine::StepContext&, engine::StepOutput& out) {
                     log_.push_back(a.at("value"));
                     out.data = {{"value", a.at("value")}};
                     return Status::Ok();
                   }});
    registry_.Add({.name = "check",
                   .read_only = true,
                   .run = [this](const Arguments&, engine::StepContext&, engine::StepOutput&) {
                     log_.push_back("check");
                     return check_fails_ ? Failed("the check saw nothing") : Status::Ok();
                   }});
    registry_.Add({.name = "claim",
                   .required = {"value"},
                   .run = [this](const Arguments& a, engine::StepContext&, engine::StepOutput& out) {
                     log_.push_back("claim " + a.at("value"));
                     out.data = {{"held", a.at("value")}};
                     return Status::Ok();
                   },
                   .undo = [this](const Arguments& a, const engine::StepOutput& out) {
                     std::string held = out.data.is_object() ? out.data.value("held", "?") : "?";
                     log_.push_back("release " + (a.count("value") ? a.at("value") : std::string("<no argument>")) +
                                    " " + held);
                     return Status::Ok();
                   }});
    AddBasicActions(registry_);
    options_.config = {{"files", {{"paths", {"/etc/a", "/etc/b"}}}}};
  }

  Runbook Parse(const std::string& text, const std::string& file = "runbooks/test.yaml") {
    auto rb = ParseRunbook(text, file);
    EXPECT_OK(rb);
    return rb.ok() ? *rb : Runbook{};
  }
  std::string ParseError(const std::string& text) {
    auto rb = ParseRunbook(text, "my.yaml");
    EXPECT_FALSE(rb.ok()) << text;
    return rb.ok() ? "" : rb.status().message();
  }
  engine::RunResult Run(const Runbook& rb, engine::RunOptions run = {}) {
    auto plan = BuildPlan(rb, registry_, options_);
    EXPECT_OK(plan);
    if (!plan.ok()) return {};
    run.sleep = [](engine::Duration) {};
    engine::Runner runner(RealClock(), run);
    auto r = runner.Run(plan->steps);
    EXPECT_OK(r);
    return r.ok() ? *r : engine::RunResult{};
  }

  ActionRegistry registry_;
  PlanOptions options_;
  std::vector<std::string> log_;
  bool check_fails_ = false;
};

TEST_F(RunbookTest, ReadsADefinition) {
  Runbook rb = Parse(kGood);
  EXPECT_EQ(rb.name, "test");
  EXPECT_EQ(rb.title, "Test");
  EXPECT_EQ(rb.failure_type, "TEST_FAILURE");
  EXPECT_EQ(rb.estimated_minutes, 3);
  ASSERT_EQ(rb.parameters.size(), 2u);
  EXPECT_FALSE(rb.parameters[0].required);
  EXPECT_TRUE(rb.parameters[1].required) << "no default: required";
  ASSERT_EQ(rb.steps.size(), 2u);
  EXPECT_THAT(rb.steps[0].depends_on, IsEmpty());
  EXPECT_THAT(rb.steps[1].depends_on, ElementsAre("first")) << "by default a step follows the one before";
  EXPECT_EQ(rb.steps[1].timeout_seconds, 120);
  EXPECT_EQ(rb.steps[1].retries, 1);
  EXPECT_EQ(rb.steps[1].retry_delay_seconds, 3);
  EXPECT_EQ(rb.steps[1].verify.action, "check");
  EXPECT_EQ(rb.steps[1].rollback.with.at("value"), "undo second");
  EXPECT_EQ(rb.steps[1].where.ToString(), "runbooks/test.yaml:13");
}

TEST_F(RunbookTest, ErrorsNameTheFileTheLineAndTheKey) {
  EXPECT_THAT(ParseError("title: T\nsteps:\n  - id: a\n    title: A\n    shell: x\n    timeout_s: 3\n"),
              HasSubstr("my.yaml:6: step 'a': unknown key 'timeout_s'"));
  EXPECT_THAT(ParseError("title: T\nstep:\n  - id: a\n"), HasSubstr("my.yaml:2: runbook: unknown key 'step'"));
  EXPECT_THAT(ParseError("title: T\nsteps:\n  - id: a\n    title: A\n    shell: x\n  - id: a\n    title: B\n    shell: y\n"),
              HasSubstr("my.yaml:6: step 'a': the id is used twice (first at line 3)"));
  EXPECT_THAT(ParseError("title: T\nsteps:\n  - id: a\n    title: A\n"),
              HasSubstr("my.yaml:3: step 'a': needs 'action' (a built-in) or 'shell' (a command)"));
  EXPECT_THAT(ParseError("title: T\nsteps:\n  - id: a\n    title: A\n    shell: x\n    retries: many\n"),
              HasSubstr("my.yaml:6: step 'a'.retries: expected a number from 0 to 10000000, got 'many'"));
  EXPECT_THAT(ParseError("title: T\nsteps:\n  - id: a\n    title: A\n    shell: x\n    shell: y\n"),
              HasSubstr("my.yaml:6"));
  EXPECT_THAT(ParseError("title: T\nsteps: [\n"), HasSubstr("my.yaml:"));
  EXPECT_THAT(ParseError("title: T\nsteps:\n  - id: Bad-Id\n    title: A\n    shell: x\n"),
              HasSubstr("my.yaml:3: step 'Bad-Id': an id is lower-case letters, digits and '_'"));
  // Numbers that mean nothing are refused, never overflowed.
  EXPECT_THAT(ParseError("title: T\nsteps:\n  - id: a\n    title: A\n    shell: x\n    timeout: 9999999999\n"),
              HasSubstr("my.yaml:6: step 'a'.timeout: expected at most 30 days"));
  EXPECT_THAT(ParseError("title: T\nsteps:\n  - id: a\n    title: A\n    shell: x\n    retries: 1e10\n"),
              HasSubstr("my.yaml:6: step 'a'.retries: expected a number from 0 to 10000000"));
  EXPECT_THAT(ParseError("title: T\nsteps:\n  - id: a\n    title: A\n    shell: x\n    retries: 1000\n"),
              HasSubstr("my.yaml:6: step 'a'.retries: expected at most 100"));
  EXPECT_THAT(ParseError("title: T\nestimated_minutes: nan\nsteps:\n  - id: a\n    title: A\n    shell: x\n"),
              HasSubstr("my.yaml:2: estimated_minutes: expected a number"));
}

TEST_F(RunbookTest, ValidationFindsCyclesUnknownActionsAndMissingParameters) {
  Runbook cycle = Parse(
      "title: T\nsteps:\n  - id: a\n    title: A\n    shell: x\n    depends_on: [b]\n"
      "  - id: b\n    title: B\n    shell: y\n    depends_on: [a]\n");
  EXPECT_THAT(Validate(cycle, registry_, options_),
              ElementsAre(HasSubstr("runbooks/test.yaml:1: the steps depend on each other in a cycle: a -> b -> a")));

  Runbook unknown = Parse("title: T\nsteps:\n  - id: a\n    title: A\n    action: promote_everything\n");
  EXPECT_THAT(Validate(unknown, registry_, options_),
              ElementsAre(HasSubstr("runbooks/test.yaml:5: step 'a': unknown action 'promote_everything' (there are: ")));

  Runbook rb = Parse(kGood);
  EXPECT_THAT(Validate(rb, registry_, options_),
              ElementsAre(HasSubstr("runbooks/test.yaml:6: parameter 'who' is required: give --param who=VALUE")));
  options_.params = {{"who", "me"}, {"whom", "x"}};
  EXPECT_THAT(Validate(rb, registry_, options_),
              ElementsAre(HasSubstr("runbook 'test' has no parameter 'whom' (it has: target, who)")));

  Runbook refs = Parse(
      "title: T\nsteps:\n  - id: a\n    title: A\n    action: record\n    with: {value: \"${steps.b.value} ${nope} "
      "${config.no.such}\", extra: 1}\n  - id: b\n    title: B\n    action: record\n    with: {}\n");
  options_.params.clear();
  EXPECT_THAT(Validate(refs, registry_, options_),
              ElementsAre(HasSubstr("test.yaml:5: step 'a': action record has no argument 'extra' (it takes: value)"),
                          HasSubstr("step 'a': ${steps.b.value}: step 'b' does not run before it (add it to depends_on)"),
                          HasSubstr("step 'a': ${nope}: no parameter of that name"),
                          HasSubstr("step 'a': ${config.no.such}: the configuration has no key no.such"),
                          HasSubstr("test.yaml:9: step 'b': action record needs the argument 'value'")));
}

TEST_F(RunbookTest, SubstitutesParametersConfigurationAndEarlierOutputsWhenAStepRuns) {
  options_.params = {{"who", "ops"}};
  options_.auto_execute = options_.skip_confirmations = true;
  engine::RunResult r = Run(Parse(kGood));
  EXPECT_EQ(r.status, engine::RunStatus::kCompleted) << r.error.message();
  EXPECT_THAT(log_, ElementsAre("ops@t-/etc/a,/etc/b", "after ops@t-/etc/a,/etc/b", "check"));
}

TEST_F(RunbookTest, AFailedVerificationRollsBackWithTheStepsRollbackAction) {
  options_.params = {{"who", "ops"}};
  options_.auto_execute = options_.skip_confirmations = true;
  check_fails_ = true;
  engine::RunResult r = Run(Parse(kGood));
  EXPECT_EQ(r.status, engine::RunStatus::kFailed);
  EXPECT_EQ(r.stopped_at, "second");
  EXPECT_THAT(r.error.message(), HasSubstr("verification: the check saw nothing"));
  // Tried twice (retries: 1), then rolled back with its rollback action; the
  // first step's action has no undo and says so.
  EXPECT_THAT(log_, ElementsAre("ops@t-/etc/a,/etc/b", "after ops@t-/etc/a,/etc/b", "check",
                                "after ops@t-/etc/a,/etc/b", "check", "undo second"));
  ASSERT_EQ(r.rollback.size(), 2u);
  EXPECT_EQ(r.rollback[0].id, "second");
  EXPECT_EQ(r.rollback[0].state, engine::UndoState::kRolledBack);
  EXPECT_EQ(r.rollback[1].state, engine::UndoState::kCannotUndo);
  EXPECT_THAT(r.rollback[1].details, HasSubstr("action record has no undo"));
}

// A step an earlier run completed (a resume) is not run again, but when a
// later step fails it is undone with the arguments and output it had.
TEST_F(RunbookTest, AResumedRunUndoesTheEarlierRunsStepsWithTheirArguments) {
  Runbook rb = Parse("title: T\nparameters:\n  what: {default: lock-7}\nsteps:\n"
                     "  - {id: take, title: Take, action: claim, with: {value: \"${what}\"}}\n"
                     "  - {id: look, title: Look, action: check}\n");
  check_fails_ = true;
  options_.auto_execute = options_.skip_confirmations = true;
  options_.outputs["take"] = {{"held", "lock-7"}};
  engine::RunOptions run;
  run.done["take"] = engine::StepReport{.id = "take", .state = engine::StepState::kOk};
  engine::RunResult r = Run(rb, run);
  EXPECT_EQ(r.status, engine::RunStatus::kFailed);
  EXPECT_THAT(log_, ElementsAre("check", "release lock-7 lock-7")) << "not claimed again, released as claimed";
}

TEST_F(RunbookTest, WhichStepsAskForAConfirmation) {
  Runbook rb = Parse(
      "title: T\nsteps:\n  - id: plain\n    title: P\n    shell: \"true\"\n"
      "  - id: risky\n    title: R\n    shell: \"true\"\n    requires_confirmation: true\n"
      "  - id: person\n    title: M\n    action: manual\n    with: {instructions: do it}\n");
  auto asks = [&](bool auto_execute, bool skip) {
    options_.auto_execute = auto_execute;
    options_.skip_confirmations = skip;
    auto plan = BuildPlan(rb, registry_, options_);
    EXPECT_OK(plan);
    std::vector<std::string> ids;
    for (const auto& s : plan->steps) {
      if (s.requires_confirmation) ids.push_back(s.id);
    }
    return ids;
  };
  EXPECT_THAT(asks(false, false), ElementsAre("plain", "risky", "person")) << "by default every step asks";
  EXPECT_THAT(asks(false, true), ElementsAre("risky", "person"));
  EXPECT_THAT(asks(true, false), ElementsAre("risky", "person"));
  EXPECT_THAT(asks(true, true), IsEmpty()) << "only both together run everything unasked";
}

TEST_F(RunbookTest, AShellStepFailsOnItsExitCodeAndKeepsTheOutputTail) {
  Runbook rb = Parse("title: T\nsteps:\n  - id: a\n    title: A\n    shell: \"echo out; echo err >&2; exit 3\"\n");
  options_.auto_execute = options_.skip_confirmations = true;
  engine::RunResult r = Run(rb);
  EXPECT_EQ(r.status, engine::RunStatus::kFailed);
  EXPECT_THAT(r.error.message(), HasSubstr("exited with code 3: out\nerr"));
  EXPECT_EQ(r.steps[0].data["exit_code"], 3);
  // Output that is not UTF-8 is kept readable, so the execution log can always be written.
  Runbook bytes = Parse("title: T\nsteps:\n  - id: a\n    title: A\n    shell: \"printf 'caf\\\\351'\"\n");
  engine::RunResult ok = Run(bytes);
  ASSERT_EQ(ok.status, engine::RunStatus::kCompleted) << ok.error.message();
  EXPECT_EQ(ok.steps[0].data["output"], "caf\xEF\xBF\xBD");
  EXPECT_NO_THROW(ok.steps[0].data.dump());
}

TEST_F(RunbookTest, AUserDirectoryOverridesAShippedRunbookAndAddsItsOwn) {
  test::TempDir dir;
  test::WriteFile(dir / "database_failure.yaml", "title: Our database failure\nsteps:\n  - id: a\n    title: A\n    shell: x\n");
  test::WriteFile(dir / "cache_failure.yaml", "title: Cache failure\nsteps:\n  - id: a\n    title: A\n    shell: x\n");
  auto all = LoadRunbooks(dir.path());
  ASSERT_OK(all);
  std::vector<std::string> names;
  for (const auto& rb : *all) names.push_back(rb.name + (rb.shipped ? "" : "*"));
  EXPECT_THAT(names, ElementsAre("cache_failure*", "complete_region_failure", "compute_failure", "data_corruption",
                                 "database_failure*", "network_failure", "security_breach", "storage_failure"));
  auto found = FindRunbook(dir.path(), "DATABASE_FAILURE");
  ASSERT_OK(found);
  EXPECT_EQ(found->title, "Our database failure");
  EXPECT_THAT(FindRunbook(dir.path(), "disk_failure"), StatusIs(Code::kNotFound));
  test::WriteFile(dir / "broken.yaml", "title: B\nsteps:\n  - id: a\n    title: A\n    shel: x\n");
  auto broken = LoadRunbooks(dir.path());
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.status().message(), HasSubstr("broken.yaml:5: step 'a': unknown key 'shel'"));
}

TEST_F(RunbookTest, TheSevenShippedRunbooksFollowTheGuide) {
  // The guide's "Runbook Scenarios": each one's steps in its order, and its estimate.
  std::map<std::string, std::pair<double, std::vector<std::string>>> guide = {
      {"database_failure",
       {68, {"Assess failure", "Stop services", "Activate replica", "Update DNS", "Restart services", "Verify integrity",
             "Setup new replica", "Update monitoring", "Document recovery"}}},
      {"storage_failure", {70, {"Assess storage", "Switch to backup", "Verify data", "Resume processing", "Setup replication"}}},
      {"compute_failure",
       {45, {"Assess infrastructure", "Scale services", "Add capacity", "Redistribute workloads", "Verify health"}}},
      {"network_failure", {40, {"Diagnose network", "Check load balancer", "Activate backup path", "Verify connectivity"}}},
      {"complete_region_failure",
       // Two steps beyond the guide's: the repository's replica becomes the one
       // in use, and Kafka is restored into the backup region's brokers.
       {100, {"Activate DR site", "Switch to the replica repository", "Promote backup database", "Start backup cluster",
              "Restore Kafka in the backup region", "Update global DNS",
              "Verify functionality", "Establish new replication"}}},
      {"data_corruption",
       // Two steps beyond the guide's: the repair from the clean copy, and its removal.
       {100, {"Assess corruption", "Stop writes", "Identify clean backup", "Restore from backup", "Verify integrity",
              "Repair damaged rows", "Resume operations", "Remove the clean copy"}}},
      {"security_breach",
       // One step beyond the guide's: the compromised user's and role's access revoked.
       {150, {"Immediate isolation", "Revoke compromised access", "Change credentials", "Collect forensics",
              "Clean restoration", "Enhanced security",
              "Gradual restoration"}}},
  };
  EXPECT_EQ(ShippedRunbooks().size(), guide.size());
  auto all = LoadRunbooks("");
  ASSERT_OK(all);
  for (const auto& rb : *all) {
    SCOPED_TRACE(rb.name);
    ASSERT_TRUE(guide.count(rb.name));
    const auto& [minutes, titles] = guide[rb.name];
    EXPECT_EQ(rb.estimated_minutes, minutes);
    std::vector<std::string> got;
    double sum = 0;
    for (const auto& s : rb.steps) {
      got.push_back(s.title);
      sum += s.estimated_minutes;
    }
    EXPECT_EQ(got, titles);
    EXPECT_EQ(sum, minutes) << "the steps' estimates add up to the runbook's";
    EXPECT_FALSE(rb.failure_type.empty());
  }
}

}  // namespace
}  // namespace dr::runbook
