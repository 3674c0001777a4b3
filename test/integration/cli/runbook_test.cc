// `ecap-dr runbook` as a user runs it: the shipped runbooks listed and
// shown, a run refused without a terminal unless told, a failed verification
// rolled back, a dry run that changes nothing, and a run killed in the middle
// of a step resumed without repeating what completed.
#include <poll.h>
#include <pty.h>

#include <nlohmann/json.hpp>

#include "test/integration/cli/cli_harness.h"

namespace dr::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class RunbookCliTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  enabled: true\n"
                       "  auto_generate_key: true\n  key_file: \"" + key_ + "\"\naudit:\n  log_file: \"" +
                       dir_ / "state/audit.log" + "\"\nfiles:\n  paths: [\"" + dir_ / "data" + "\"]\nrunbooks:\n"
                       "  directory: \"" + dir_ / "runbooks" + "\"\n");
    WriteFile(dir_ / "data/a.txt", "a");
    WriteFile(dir_ / "runbooks/.keep", "");
  }
  void Runbook(const std::string& name, const std::string& text) { WriteFile(dir_ / ("runbooks/" + name + ".yaml"), text); }
  std::string Work(const std::string& name) { return dir_ / ("work/" + name); }
  static json Json(const RunResult& r) {
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }
};

TEST_F(RunbookCliTest, ListsAndShowsTheGuidesSevenScenarios) {
  auto list = Dr("--json runbook list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json j = Json(list);
  std::map<std::string, double> minutes;
  for (const auto& rb : j["runbooks"]) minutes[rb["name"]] = rb["estimated_minutes"];
  EXPECT_EQ(minutes, (std::map<std::string, double>{{"complete_region_failure", 100},
                                                    {"compute_failure", 45},
                                                    {"data_corruption", 100},
                                                    {"database_failure", 68},
                                                    {"network_failure", 40},
                                                    {"security_breach", 150},
                                                    {"storage_failure", 70}}));
  auto show = Dr("runbook show DATABASE_FAILURE");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("Database failure (DATABASE_FAILURE): 68 min"));
  EXPECT_THAT(show.out, HasSubstr("3. Activate replica [activate_replica] 10 min, asks"));
  EXPECT_THAT(show.out, HasSubstr("no undo:  a promoted standby cannot become a standby again"));
  auto corruption = Dr("--json runbook show data_corruption");
  ASSERT_EQ(corruption.exit_code, 0) << corruption.err;
  EXPECT_TRUE(Json(corruption)["problems"].empty()) << "a required parameter is not a problem of the definition";
  auto unknown = Dr("runbook show disk_failure");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no runbook named 'disk_failure' (there are: complete_region_failure,"));
}

TEST_F(RunbookCliTest, WithoutATerminalARunMustBeToldToExecute) {
  auto r = Dr("runbook run network_failure </dev/null");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("there is no terminal: pass --auto-execute"));
  // A step that requires a confirmation, with --auto-execute alone and no terminal: declined, not run.
  Runbook("ask", "title: Ask\nsteps:\n  - id: risky\n    title: Risky\n    shell: \"touch " + Work("ran") +
                     "\"\n    requires_confirmation: true\n");
  std::filesystem::create_directories(dir_ / "work");
  auto declined = Dr("--json runbook run ask --auto-execute </dev/null");
  EXPECT_EQ(declined.exit_code, 1);
  EXPECT_EQ(Json(declined)["execution_log"]["overall_status"], "declined");
  EXPECT_FALSE(std::filesystem::exists(Work("ran")));
}

TEST_F(RunbookCliTest, AFailedVerificationRollsTheStepBackAndADryRunChangesNothing) {
  std::filesystem::create_directories(dir_ / "work");
  Runbook("change", "title: Change\nsteps:\n"
                    "  - id: check\n    title: Check\n    action: verify_audit\n"
                    "  - id: apply\n    title: Apply\n    shell: \"touch " + Work("applied") + "\"\n"
                    "    verify: {shell: \"test -f " + Work("never") + "\"}\n"
                    "    rollback: {shell: \"rm " + Work("applied") + " && touch " + Work("rolled_back") + "\"}\n");
  auto dry = Dr("--json runbook run change --dry-run </dev/null");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  json d = Json(dry);
  EXPECT_EQ(d["execution_log"]["overall_status"], "dry_run");
  EXPECT_EQ(d["execution_log"]["steps"][0]["state"], "ok") << "the read-only check runs in a dry run";
  EXPECT_EQ(d["execution_log"]["steps"][1]["state"], "planned");
  EXPECT_FALSE(std::filesystem::exists(Work("applied")));

  auto r = Dr("--json runbook run change --auto-execute --skip-confirmations </dev/null");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  json j = Json(r);
  EXPECT_EQ(j["execution_log"]["overall_status"], "failed");
  EXPECT_EQ(j["execution_log"]["stopped_at"], "apply");
  EXPECT_THAT(j["execution_log"]["error"]["message"].get<std::string>(), HasSubstr("verification"));
  EXPECT_EQ(j["execution_log"]["rollback"][0]["state"], "rolled_back");
  EXPECT_EQ(j["options"]["confirmations"], "none asked: --auto-execute --skip-confirmations");
  EXPECT_FALSE(std::filesystem::exists(Work("applied")));
  EXPECT_TRUE(std::filesystem::exists(Work("rolled_back")));
}

TEST_F(RunbookCliTest, ARunKilledInTheMiddleOfAStepResumesWithoutRepeatingCompletedSteps) {
  InitRepo();
  std::filesystem::create_directories(dir_ / "work");
  // first: counts its runs; slow: waits the first time (the kill lands there), not when resumed.
  Runbook("slow", "title: Slow\nsteps:\n"
                  "  - id: first\n    title: First\n    shell: \"echo run >> " + Work("first") + "\"\n"
                  "  - id: slow\n    title: Slow\n    shell: \"if [ -f " + Work("started") + " ]; then exit 0; fi; touch " +
                      Work("started") + "; sleep 60\"\n"
                  "  - id: last\n    title: Last\n    action: backup\n    with: {components: files}\n");
  pid_t pid = Spawn("-c " + config_ + " runbook run slow --auto-execute --skip-confirmations");
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(Work("started")); }, std::chrono::seconds(30)));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ::waitpid(pid, nullptr, 0);

  auto history = Dr("--json runbook history");
  ASSERT_EQ(history.exit_code, 0) << history.err;
  json h = Json(history);
  ASSERT_EQ(h["executions"].size(), 1u);
  EXPECT_EQ(h["executions"][0]["status"], "running") << "killed: never finished";
  EXPECT_EQ(h["executions"][0]["steps"][0]["state"], "ok");
  EXPECT_EQ(h["executions"][0]["steps"][1]["state"], "running");
  std::string id = h["executions"][0]["execution_id"];

  auto resumed = Dr("--json runbook resume " + id + " </dev/null");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  json j = Json(resumed);
  EXPECT_EQ(j["execution_log"]["overall_status"], "completed");
  EXPECT_EQ(ReadFileOrDie(Work("first")), "run\n") << "the completed step was not run again";
  auto backups = Dr("--json backup list");
  EXPECT_EQ(Json(backups)["backups"].size(), 1u);
  auto again = Dr("runbook resume " + id);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("ended completed: there is nothing to resume"));
}

// `ecap-dr ARGS` with a pseudo-terminal as its standard input, output and
// error: what a person at a terminal sees and types.
class Pty {
 public:
  explicit Pty(const std::string& args) {
    std::string cmd = "exec " + DrBinary() + " " + args;  // built before fork (see Spawn)
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~Pty() {
    if (master_ >= 0) ::close(master_);
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Everything the terminal shows until `text` appears (false if the program
  // ended or 30 s passed first).
  bool WaitFor(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (screen_.find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      pollfd p{.fd = master_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(master_, buf, sizeof buf);
      if (n <= 0) return false;  // the program ended (EIO on Linux)
      screen_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  void Type(const std::string& line) { ASSERT_EQ(::write(master_, line.data(), line.size()), static_cast<ssize_t>(line.size())); }
  int Wait() {
    WaitFor("\x04never");  // drain what is left to read, so the program never blocks writing
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& screen() const { return screen_; }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  bool reaped_ = false;
  std::string screen_;
};

TEST_F(RunbookCliTest, ThePromptOnATerminalTakesYesNoAndAbortsWhenNobodyAnswers) {
  std::filesystem::create_directories(dir_ / "work");
  Runbook("two", "title: Two\nsteps:\n  - id: one\n    title: One\n    shell: \"echo 1 >> " + Work("log") + "\"\n"
                 "  - id: two\n    title: Two\n    shell: \"echo 2 >> " + Work("log") + "\"\n");
  {
    Pty yes("-c " + config_ + " runbook run two");
    ASSERT_TRUE(yes.WaitFor("== one: One")) << yes.screen();
    ASSERT_TRUE(yes.WaitFor("Run it? [y]es / [n]o, stop here / [s]kip it / [a]bort")) << yes.screen();
    yes.Type("y\n");
    ASSERT_TRUE(yes.WaitFor("== two: Two")) << yes.screen();
    yes.Type("yes\n");
    EXPECT_EQ(yes.Wait(), 0) << yes.screen();
    EXPECT_THAT(yes.screen(), HasSubstr("runbook two completed"));
  }
  EXPECT_EQ(ReadFileOrDie(Work("log")), "1\n2\n");
  {
    Pty no("-c " + config_ + " runbook run two");
    ASSERT_TRUE(no.WaitFor("Run it?")) << no.screen();
    no.Type("s\n");  // skip one
    ASSERT_TRUE(no.WaitFor("== two: Two")) << no.screen();
    no.Type("n\n");  // and stop before two
    EXPECT_EQ(no.Wait(), 1) << no.screen();
    EXPECT_THAT(no.screen(), HasSubstr("runbook two declined"));
  }
  EXPECT_EQ(ReadFileOrDie(Work("log")), "1\n2\n") << "nothing ran";
  {
    Pty silent("-c " + config_ + " runbook run two --confirm-timeout 1");
    ASSERT_TRUE(silent.WaitFor("(1 s, then abort)")) << silent.screen();
    EXPECT_EQ(silent.Wait(), 1) << silent.screen();
    EXPECT_THAT(silent.screen(), HasSubstr("no answer: abort"));
    EXPECT_THAT(silent.screen(), HasSubstr("runbook two aborted"));
  }
  EXPECT_EQ(ReadFileOrDie(Work("log")), "1\n2\n");
}

TEST_F(RunbookCliTest, ABrokenRunbookFileIsNamedWithItsLine) {
  Runbook("broken", "title: Broken\nsteps:\n  - id: a\n    title: A\n    action: teleport\n");
  auto r = Dr("runbook run broken --dry-run");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("runbooks/broken.yaml:5: step 'a': unknown action 'teleport'"));
  Runbook("broken", "title: Broken\nsteps:\n  - id: a\n    title: A\n    shell: x\n    depends: [b]\n");
  auto list = Dr("runbook list");
  EXPECT_EQ(list.exit_code, 2);
  EXPECT_THAT(list.err, HasSubstr("broken.yaml:6: step 'a': unknown key 'depends'"));
}

}  // namespace
}  // namespace dr::test
