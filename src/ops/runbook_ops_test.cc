// Runbooks as operations, on a memory repository: the built-in actions are
// the operations of their CLI twins (same permission, audit and events), an
// execution is recorded step by step, and an unfinished one resumes without
// repeating what completed.
#include "ops/runbook_ops.h"

#include <set>

#include <cstdlib>
#include <sstream>

#include "base/encoding.h"
#include "base/fake_clock.h"
#include "events/event_store.h"
#include "ops/backup_ops.h"
#include "ops/disaster_recovery_runbook.h"
#include "ops/runbook_actions.h"
#include "runbook/loader.h"
#include "runbook/plan.h"
#include "security/audit/audit_log.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::ops {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kRecovery = R"(title: Files recovery
failure_type: FILES_LOST
estimated_minutes: 10
parameters:
  marker: {default: "", description: a file the last step writes}
steps:
  - id: take_backup
    title: Take a backup
    action: backup
    with: {components: files, tags: before}
    estimated_minutes: 2
  - id: find
    title: Find it
    action: find_backup
    with: {component: files, tag: before}
    estimated_minutes: 2
  - id: check
    title: Verify it
    action: verify_backup
    with: {backup: "${steps.find.backup_id}", full: "true"}
    estimated_minutes: 3
  - id: announce
    title: Say so
    shell: "echo ${steps.find.backup_id} >> ${marker}"
    requires_confirmation: true
    estimated_minutes: 3
)";

class RunbookOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
    test::WriteFile(dir_ / "src/a.txt", "abc");
    test::WriteFile(dir_ / "runbooks/files_recovery.yaml", kRecovery);
    backend_ = storage::NewMemoryBackend();
    ctx_.config.files.paths = {dir_ / "src"};
    ctx_.config.audit.log_file = dir_ / "audit/audit.log";
    ctx_.config.runbooks.directory = dir_ / "runbooks";
    ctx_.config.access_control.enabled = true;
    ctx_.config.access_control.users["root"] = {"*"};
    ctx_.config.access_control.users["viewer"] = {"runbook.read"};
    ctx_.identity = {.user = "root", .session = "s-1", .source = "local"};
    ctx_.clock = &clock_;
    ctx_.events = &events_;
    ctx_.open_backend = [this] { return test::BorrowBackend(*backend_); };
    ASSERT_OK(InitRepository(ctx_).status);
    request_.name = "files_recovery";
    request_.auto_execute = true;
    request_.params = {{"marker", dir_ / "marker"}};
  }
  void TearDown() override { ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY"); }

  std::vector<std::string> AuditOperations() {
    auto records = security::AuditLog(ctx_.config.audit.log_file, clock_).Read("", "");
    EXPECT_OK(records);
    std::vector<std::string> ops;
    for (const auto& r : records.ok() ? *records : std::vector<json>{}) {
      ops.push_back(r["operation"].get<std::string>() + ":" + r["result"].get<std::string>());
    }
    return ops;
  }
  size_t Backups() {
    OpResult r = ListBackups(ctx_);
    EXPECT_OK(r.status);
    return r.data["backups"].size();
  }
  static std::vector<std::string> States(const json& log) {
    std::vector<std::string> out;
    for (const auto& s : log["execution_log"]["steps"]) out.push_back(s["id"].get<std::string>() + ":" + s["state"].get<std::string>());
    return out;
  }

  test::TempDir dir_;
  FakeClock clock_;
  events::MemorySink events_{clock_};
  std::unique_ptr<Backend> backend_;
  OperationContext ctx_;
  RunbookRunRequest request_;
};

TEST_F(RunbookOpsTest, TheShippedRunbooksValidateAgainstTheBuiltInActions) {
  runbook::ActionRegistry registry;
  runbook::AddBasicActions(registry);
  AddBuiltinActions(registry, ctx_);
  auto all = runbook::LoadRunbooks("");
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 7u);
  runbook::PlanOptions options{.config = ctx_.config.ToJson(true)};
  for (const auto& rb : *all) {
    // Required parameters aside (data corruption needs the time of the damage).
    options.params.clear();
    for (const auto& p : rb.parameters) {
      if (p.required) options.params[p.name] = "2026-11-26T10:41:00Z";
    }
    EXPECT_THAT(runbook::Validate(rb, registry, options), IsEmpty()) << rb.name;
  }
}

TEST_F(RunbookOpsTest, TheCommittedDocumentationIsWhatTheDefinitionsGenerate) {
  ctx_.config.runbooks.directory.clear();  // the shipped runbooks only
  OpResult r = RunbookDocs(ctx_, "markdown", "");
  ASSERT_OK(r.status);
  ASSERT_EQ(r.data["documents"].size(), 8u) << "seven runbooks and the index";
  for (const auto& [name, text] : r.data["documents"].items()) {
    std::string committed = std::string(DR_SOURCE_DIR) + "/docs/runbooks/" + name;
    std::string want = text.get<std::string>(), have = test::ReadFileOrDie(committed);
    if (have == want) continue;
    // Name the first line that differs, not the whole page.
    std::istringstream a(have), b(want);
    std::string la, lb;
    int line = 1;
    while (std::getline(a, la) && std::getline(b, lb) && la == lb) ++line;
    ADD_FAILURE() << committed << " is out of date: run `ecap-dr runbook docs --out docs/runbooks` (without "
                  << "runbooks.directory); first difference at line " << line << ":\n  file:      " << la
                  << "\n  generated: " << lb;
  }
  const std::string& md = r.data["documents"]["database_failure.md"];
  EXPECT_THAT(md, HasSubstr("### 3. Activate replica"));
  EXPECT_THAT(md, HasSubstr("**Cannot be undone:** a promoted standby cannot become a standby again"));
  EXPECT_THAT(md, HasSubstr("activate_replica  <- stop_services"));

  OpResult html = RunbookDocs(ctx_, "html", dir_ / "html");
  ASSERT_OK(html.status);
  std::string page = test::ReadFileOrDie(dir_ / "html/database_failure.html");
  EXPECT_THAT(page, HasSubstr("<h1>Database failure</h1>"));
  EXPECT_THAT(page, HasSubstr("<svg")) << "Graphviz draws the dependency graph (scripts/install-deps.sh installs it)";
  EXPECT_THAT(test::ReadFileOrDie(dir_ / "html/index.html"), HasSubstr("href=\"database_failure.html\""));
}

TEST_F(RunbookOpsTest, EachStepIsTheOperationOfItsCliTwinAndTheExecutionIsRecorded) {
  request_.confirm = [](const engine::Step&) { return engine::Answer::kYes; };
  OpResult r = RunRunbook(ctx_, request_);
  ASSERT_OK(r.status);
  const json& log = r.data["execution_log"];
  EXPECT_EQ(log["overall_status"], "completed");
  EXPECT_THAT(States(r.data), ElementsAre("take_backup:ok", "find:ok", "check:ok", "announce:ok"));
  std::string backup_id = log["steps"][1]["output"]["backup_id"];
  EXPECT_EQ(log["steps"][2]["output"]["backup_id"], backup_id) << "${steps.find.backup_id} reached the next step";
  EXPECT_EQ(test::ReadFileOrDie(dir_ / "marker"), backup_id + "\n");
  EXPECT_EQ(log["steps"][3]["confirmed_by"], "root");
  EXPECT_FALSE(log["steps"][0].contains("confirmed_by")) << "--auto-execute: asked only where it is required";
  EXPECT_EQ(log["estimated_minutes"], 10);
  EXPECT_TRUE(log["within_estimate"].get<bool>());
  // The same audit records as the CLI commands, inside the runbook's own.
  EXPECT_THAT(AuditOperations(), ElementsAre("repo.init:success", "backup.create:success", "backup.list:success",
                                             "backup.verify:success", "runbook.execute:success"));
  EXPECT_THAT(events_.types(), Contains("runbook_started"));
  EXPECT_THAT(events_.types(), Contains("backup_completed"));
  EXPECT_THAT(events_.types(), Contains("runbook_completed"));

  OpResult history = RunbookHistory(ctx_, 10);
  ASSERT_OK(history.status);
  ASSERT_EQ(history.data["executions"].size(), 1u);
  EXPECT_EQ(history.data["executions"][0]["execution_id"], r.data["execution_id"]);
  EXPECT_EQ(history.data["executions"][0]["status"], "completed");
  EXPECT_EQ(history.data["executions"][0]["steps"].size(), 4u);
}

// "The last verified backup": a damaged newer backup is passed over, and named.
TEST_F(RunbookOpsTest, FindBackupWithVerifyPassesOverADamagedNewerBackup) {
  ASSERT_OK(CreateBackup(ctx_, "old", {}).status);
  clock_.Advance(std::chrono::minutes(1));
  std::set<std::string> packs_before;
  ASSERT_OK(backend_->List(ObjectKind::kPack, [&](const ObjectInfo& o) {
    packs_before.insert(o.name.id);
    return Status::Ok();
  }));
  test::WriteFile(dir_ / "src/a.txt", "new content for the newer backup");
  ASSERT_OK(CreateBackup(ctx_, "new", {}).status);
  std::vector<ObjectName> fresh;
  ASSERT_OK(backend_->List(ObjectKind::kPack, [&](const ObjectInfo& o) {
    if (!packs_before.count(o.name.id)) fresh.push_back(o.name);
    return Status::Ok();
  }));
  ASSERT_FALSE(fresh.empty());
  for (const auto& name : fresh) {
    auto data = backend_->Get(name, {});
    ASSERT_OK(data);
    std::string bad = *data;
    bad[bad.size() / 2] ^= 0x5a;
    ASSERT_OK(backend_->Put(name, bad, {.overwrite = true}));
  }
  test::WriteFile(dir_ / "runbooks/find.yaml",
                  "title: F\nsteps:\n  - {id: plain, title: P, action: find_backup, with: {component: files}}\n"
                  "  - {id: checked, title: C, action: find_backup, with: {component: files, verify: full}}\n");
  request_ = {.name = "find", .auto_execute = true, .skip_confirmations = true};
  OpResult r = RunRunbook(ctx_, request_);
  ASSERT_OK(r.status);
  const json& steps = r.data["execution_log"]["steps"];
  EXPECT_EQ(steps[0]["output"]["backup_id"], "new");
  EXPECT_EQ(steps[1]["output"]["backup_id"], "old");
  EXPECT_EQ(steps[1]["output"]["verified"], "full");
  ASSERT_EQ(steps[1]["output"]["failed_verification"].size(), 1u);
  EXPECT_EQ(steps[1]["output"]["failed_verification"][0]["backup_id"], "new");
}

// Containment is never rolled back: a later step that fails leaves the
// compromised user revoked.
TEST_F(RunbookOpsTest, ARollbackNeverGivesARevokedUserItsAccessBack) {
  test::WriteFile(dir_ / "runbooks/revoke_then_fail.yaml",
                  "title: R\nsteps:\n  - {id: revoke, title: Revoke, action: revoke_access, with: {user: mallory}}\n"
                  "  - {id: fail, title: Fail, shell: \"exit 3\"}\n");
  ctx_.config.access_control.users["mallory"] = {"backup.list"};
  request_ = {.name = "revoke_then_fail", .auto_execute = true, .skip_confirmations = true};
  OpResult r = RunRunbook(ctx_, request_);
  EXPECT_EQ(r.data["execution_log"]["overall_status"], "failed");
  EXPECT_THAT(r.data.dump(), HasSubstr("a revocation stays until someone runs ecap-dr access reinstate"));
  ctx_.identity.user = "mallory";
  EXPECT_EQ(ListBackups(ctx_).status.code(), Code::kPermissionDenied) << "still revoked after the rollback";
}

// While a process runs an execution, nobody resumes it a second time; once
// that process is done (here: the run returned), resuming is possible again.
TEST_F(RunbookOpsTest, AnExecutionThatIsRunningIsNotResumedTwice) {
  std::string id;
  OpResult during;
  request_.confirm = [&](const engine::Step&) {
    OpResult history = RunbookHistory(ctx_, 1);
    id = history.data["executions"][0]["execution_id"];
    RunbookRunRequest again;
    again.confirm = [](const engine::Step&) { return engine::Answer::kYes; };
    during = ResumeRunbook(ctx_, id, again);
    return engine::Answer::kNo;  // this run stops here: declined
  };
  OpResult first = RunRunbook(ctx_, request_);
  EXPECT_EQ(first.data["execution_log"]["overall_status"], "declined");
  EXPECT_EQ(during.status.code(), Code::kLocked) << during.status.ToString();
  EXPECT_THAT(during.status.message(), HasSubstr("execution " + id + " is running now"));
  EXPECT_EQ(Backups(), 1u) << "the refused resume ran nothing";
  RunbookRunRequest later;
  later.confirm = [](const engine::Step&) { return engine::Answer::kYes; };
  OpResult resumed = ResumeRunbook(ctx_, id, later);
  ASSERT_OK(resumed.status);
  EXPECT_EQ(resumed.data["execution_log"]["overall_status"], "completed");
}

TEST_F(RunbookOpsTest, ADeclinedStepStopsTheRunAndResumeContinuesWithoutRepeatingWhatCompleted) {
  request_.confirm = [](const engine::Step&) { return engine::Answer::kNo; };
  OpResult first = RunRunbook(ctx_, request_);
  EXPECT_EQ(first.status.code(), Code::kCancelled);
  EXPECT_EQ(first.data["execution_log"]["overall_status"], "declined");
  EXPECT_EQ(first.data["execution_log"]["stopped_at"], "announce");
  EXPECT_EQ(Backups(), 1u);
  std::string id = first.data["execution_id"];

  request_.confirm = [](const engine::Step&) { return engine::Answer::kYes; };
  OpResult resumed = ResumeRunbook(ctx_, id, request_);
  ASSERT_OK(resumed.status);
  EXPECT_EQ(resumed.data["execution_id"], id);
  EXPECT_EQ(resumed.data["execution_log"]["overall_status"], "completed");
  EXPECT_THAT(States(resumed.data), ElementsAre("take_backup:ok", "find:ok", "check:ok", "announce:ok"));
  EXPECT_EQ(Backups(), 1u) << "the backup step was not run again";
  EXPECT_TRUE(resumed.data["execution_log"].contains("resumed_at"));
  EXPECT_THAT(ResumeRunbook(ctx_, id, request_).status.message(), HasSubstr("ended completed: there is nothing to resume"));
  EXPECT_EQ(ResumeRunbook(ctx_, "rb-nope", request_).status.code(), Code::kNotFound);
}

TEST_F(RunbookOpsTest, AbortRollsBackAndADryRunChangesNothing) {
  request_.confirm = [](const engine::Step&) { return engine::Answer::kAbort; };
  OpResult aborted = RunRunbook(ctx_, request_);
  EXPECT_EQ(aborted.data["execution_log"]["overall_status"], "aborted");
  // The backup cannot be undone, and the log says so.
  const json& rollback = aborted.data["execution_log"]["rollback"];
  ASSERT_EQ(rollback.size(), 1u);
  EXPECT_EQ(rollback[0]["id"], "take_backup");
  EXPECT_EQ(rollback[0]["state"], "cannot_undo");

  // Its completed steps were rolled back: it is not resumed on top of them.
  OpResult resumed = ResumeRunbook(ctx_, aborted.data["execution_id"], request_);
  EXPECT_EQ(resumed.status.code(), Code::kInvalidArgument);
  EXPECT_THAT(resumed.status.message(), HasSubstr("completed steps were rolled back: run the runbook again"));

  OpResult before = ListBackups(ctx_);
  request_.dry_run = true;
  ctx_.identity.user = "viewer";  // a dry run needs runbook.read only
  OpResult dry = RunRunbook(ctx_, request_);
  ASSERT_OK(dry.status);
  EXPECT_EQ(dry.data["execution_log"]["overall_status"], "dry_run");
  EXPECT_THAT(States(dry.data), ElementsAre("take_backup:planned", "find:planned", "check:planned", "announce:planned"));
  ctx_.identity.user = "root";
  EXPECT_EQ(ListBackups(ctx_).data["backups"].size(), before.data["backups"].size());
}

TEST_F(RunbookOpsTest, TheGuidesCppInterfaceReturnsTheExecutionLog) {
  config::Config config = ctx_.config;
  config.access_control.enabled = false;  // runs as the process's own user
  runbook::DisasterRecoveryRunbook runbook(config);
  json dry = runbook.ExecuteRunbook(runbook::FailureType::kSecurityBreach, {.dry_run = true});
  EXPECT_EQ(dry["runbook"], "security_breach");
  EXPECT_EQ(dry["execution_log"]["overall_status"], "dry_run");
  EXPECT_EQ(dry["execution_log"]["steps"].size(), 7u);
  // As the guide calls it: nobody to confirm the first step, so nothing runs.
  json declined = runbook.ExecuteRunbook(runbook::FailureType::kSecurityBreach,
                                         {.auto_execute = false, .skip_confirmations = false});
  EXPECT_EQ(declined["execution_log"]["overall_status"], "declined");
  EXPECT_EQ(declined["execution_log"]["stopped_at"], "immediate_isolation");
  EXPECT_EQ(declined["error"]["code"], "cancelled");
}

TEST_F(RunbookOpsTest, AnActionWhoseOperationFailsBeforeItRunsFailsTheStepNotTheProcess) {
  // No dr_coordinator section: the failover operation has no result document at all.
  test::WriteFile(dir_ / "runbooks/fail_over.yaml",
                  "title: F\nsteps:\n  - id: go\n    title: Go\n    action: failover\n    with: {reason: test}\n");
  request_ = {.name = "fail_over", .auto_execute = true, .skip_confirmations = true};
  OpResult r = RunRunbook(ctx_, request_);
  EXPECT_EQ(r.status.code(), Code::kConfig);
  EXPECT_EQ(r.data["execution_log"]["overall_status"], "failed");
  EXPECT_THAT(r.data["execution_log"]["steps"][0]["details"].get<std::string>(), HasSubstr("no dr_coordinator section"));
  // A dry run is never resumed into a real run.
  request_.dry_run = true;
  request_.name = "files_recovery";
  request_.params = {{"marker", dir_ / "marker"}};
  OpResult dry = RunRunbook(ctx_, request_);
  ASSERT_OK(dry.status);
  EXPECT_THAT(ResumeRunbook(ctx_, dry.data["execution_id"], request_).status.message(), HasSubstr("nothing to resume"));
}

TEST_F(RunbookOpsTest, RunningNeedsRunbookExecuteAndBadInputIsNamed) {
  ctx_.identity.user = "viewer";
  OpResult denied = RunRunbook(ctx_, request_);
  EXPECT_EQ(denied.status.code(), Code::kPermissionDenied);
  ctx_.identity.user = "root";
  EXPECT_EQ(Backups(), 0u);
  request_.name = "no_such_runbook";
  EXPECT_EQ(RunRunbook(ctx_, request_).status.code(), Code::kNotFound);
  request_.name = "data_corruption";
  OpResult missing = RunRunbook(ctx_, request_);
  EXPECT_EQ(missing.status.code(), Code::kInvalidArgument);
  EXPECT_THAT(missing.status.message(), HasSubstr("runbooks/data_corruption.yaml"));
  EXPECT_THAT(missing.status.message(), HasSubstr("parameter 'corruption_time' is required"));
}

}  // namespace
}  // namespace dr::ops
