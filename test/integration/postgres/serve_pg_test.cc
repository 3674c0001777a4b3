// `serve` in the middle of a PostgreSQL backup job, held there by a table lock
// the test owns (so "the middle" is certain, not timed):
// - two daemons elect one leader through a real etcd; only the leader runs
//   jobs; the leader is killed mid-job, the follower takes over within the
//   lease, runs the interrupted job once, and the repository holds exactly one
//   backup from it;
// - SIGTERM mid-job: the job gets shutdown_timeout, is then cancelled, the
//   run is recorded as cancelled, the daemon exits 0 and the repository checks
//   clean.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "automation/run_store.h"
#include "net/postgres/pg_client.h"
#include "test/integration/cli/cli_harness.h"
#include "test/support/etcd_server.h"
#include "test/support/pg_server.h"

namespace dr::test {
namespace {

using nlohmann::json;

class ServePgTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    auto pg = PgServer::Start(dir_ / "pg", {});
    ASSERT_TRUE(pg.ok()) << "PostgreSQL 15 must start for this test: " << pg.status().ToString();
    pg_ = std::move(*pg);
    ASSERT_TRUE(pg_->Tool("createdb", "shop").ok());
    ASSERT_TRUE(pg_->Psql("shop", "create table orders (id int primary key, total numeric); "
                                  "insert into orders select g, g * 1.5 from generate_series(1, 1000) g").ok());
    InitRepo();
  }
  // The configuration: the job `pg`, the state directory, and `coordinator` / `automation` extras.
  void Configure(const std::string& coordinator, const std::string& automation) {
    WriteFile(config_, PgCliConfig(repo_, key_, pg_->port(), "shop", "postgres",
                                   "dr_coordinator:\n  state_dir: \"" + dir_ / "state" + "\"\n" + coordinator +
                                       "automation:\n  listen: \"127.0.0.1:0\"\n" + automation + "  jobs:\n"
                                       "    - {name: pg, action: backup, components: [postgresql], daily: \"03:00\","
                                       " max_attempts: 1}\n"));
  }
  // A run of `pg` that a daemon on another host left unfinished: whoever leads takes it over at once.
  void SeedInterruptedRun() {
    auto store = automation::RunStore::Open(dir_ / "state/events.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    automation::JobRun seeded;
    seeded.job = "pg";
    seeded.trigger = "schedule";
    seeded.scheduled_for = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - std::chrono::minutes(1);
    seeded.started = seeded.scheduled_for;
    seeded.owner = "a-host-that-is-gone:1";
    ASSERT_TRUE((*store)->Begin(seeded).ok());
  }
  // Locks the table until the connection commits: pg_dump waits for it, so the job is surely mid-run.
  std::unique_ptr<net::pg::Connection> LockOrders() {
    auto lock = net::pg::Connection::OpenConninfo(pg_->Conninfo() + " dbname=shop", 5);
    EXPECT_TRUE(lock.ok()) << lock.status().ToString();
    if (!lock.ok()) return nullptr;
    EXPECT_TRUE((*lock)->Exec("BEGIN").ok());
    EXPECT_TRUE((*lock)->Exec("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE").ok());
    return std::move(*lock);
  }
  void TearDown() override {
    for (pid_t& pid : pids_) {
      if (pid > 0) ::kill(pid, SIGKILL), ::waitpid(pid, nullptr, 0);
    }
  }

  // Starts a daemon (of `config`, by default the fixture's), its stderr in serve-N.err; returns its index.
  int StartDaemon(const std::string& config = "") {
    int n = static_cast<int>(pids_.size());
    std::string cmd = "exec " + DrBinary() + " -c " + (config.empty() ? config_ : config) + " serve 2>" + Log(n);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    pids_.push_back(pid);
    return n;
  }
  std::string Log(int n) { return dir_ / ("serve-" + std::to_string(n) + ".err"); }
  std::string ReadLog(int n) {
    std::ifstream in(Log(n));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Waits (up to 60 s) until `done` holds; false (and a failure naming `what`) otherwise.
  bool WaitFor(const std::string& what, const std::function<bool()>& done) {
    if (Eventually(done, std::chrono::seconds(60))) return true;
    ADD_FAILURE() << "still waiting for: " << what << "\n--- daemon 0:\n" << ReadLog(0) << "\n--- daemon 1:\n" << ReadLog(1);
    return false;
  }
  bool LogHas(int n, const std::string& text) { return ReadLog(n).find(text) != std::string::npos; }
  // Backends of pg_dump waiting for the test's lock (the backup's row count waits beside it, not counted here).
  int Waiting() {
    auto r = pg_->Psql("shop", "select count(*) from pg_locks l join pg_stat_activity a on a.pid = l.pid "
                                   "where not l.granted and a.application_name = 'pg_dump' and l.relation = "
                                   "(select oid from pg_class where relname = 'orders')");
    return r.ok() ? std::atoi(r->c_str()) : -1;
  }
  std::vector<automation::JobRun> Runs(const std::string& state_dir = "state") {
    auto store = automation::RunStore::Open(dir_ / (state_dir + "/events.db"));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return {};
    auto runs = (*store)->History("pg", 100);
    EXPECT_TRUE(runs.ok()) << runs.status().ToString();
    return runs.ok() ? *runs : std::vector<automation::JobRun>{};
  }

  std::unique_ptr<PgServer> pg_;
  std::unique_ptr<EtcdServer> etcd_;
  std::vector<pid_t> pids_;
  int exit_status_ = 0;
};

TEST_F(ServePgTest, AFollowerTakesOverTheKilledLeadersJobAndRunsItOnce) {
  auto etcd = EtcdServer::Start(dir_ / "etcd");
  ASSERT_TRUE(etcd.ok()) << "etcd must start for this test: " << etcd.status().ToString();
  etcd_ = std::move(*etcd);
  Configure("  coordination:\n    etcd:\n      endpoints: [\"" + etcd_->endpoint() + "\"]\n      lease_seconds: 2\n", "");
  SeedInterruptedRun();
  auto lock = LockOrders();
  ASSERT_NE(lock, nullptr);

  int a = StartDaemon();
  ASSERT_TRUE(WaitFor("daemon 0 leads", [&] { return LogHas(a, "leading: this daemon runs the jobs"); }));
  ASSERT_TRUE(WaitFor("daemon 0 runs the interrupted job", [&] { return LogHas(a, "job pg: started (takeover"); }));
  ASSERT_TRUE(WaitFor("its pg_dump waits for the lock", [&] { return Waiting() == 1; }));
  int b = StartDaemon();
  ASSERT_TRUE(WaitFor("daemon 1 follows", [&] { return LogHas(b, "following: another daemon leads"); }));
  EXPECT_FALSE(LogHas(b, "job pg: started"));

  // The leader dies mid-job.
  ::kill(pids_[a], SIGKILL);
  ::waitpid(pids_[a], nullptr, 0);
  pids_[a] = -1;
  ASSERT_TRUE(WaitFor("daemon 1 takes over", [&] { return LogHas(b, "leading: this daemon runs the jobs"); }));
  ASSERT_TRUE(WaitFor("daemon 1 runs the job again", [&] { return LogHas(b, "job pg: started (takeover"); }));
  ASSERT_TRUE(WaitFor("its pg_dump waits too", [&] { return Waiting() >= 1 && LogHas(b, "was interrupted; running it again"); }));

  ASSERT_TRUE(lock->Exec("COMMIT").ok());
  ASSERT_TRUE(WaitFor("the job succeeds", [&] { return LogHas(b, "job pg: succeeded"); }));

  // The record: the seeded run and the killed leader's run interrupted, one run succeeded.
  auto runs = Runs();
  int interrupted = 0, succeeded = 0;
  for (const auto& r : runs) {
    interrupted += r.outcome == "interrupted";
    succeeded += r.outcome == "succeeded";
  }
  EXPECT_EQ(interrupted, 2);
  EXPECT_EQ(succeeded, 1);
  EXPECT_EQ(runs.size(), 3u);
  // And one backup, made by the new leader, restorable by the usual means.
  ::kill(pids_[b], SIGTERM);
  int status = 0;
  ::waitpid(pids_[b], &status, 0);
  pids_[b] = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadLog(b);
  auto list = Dr("--json backup list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json backups = json::parse(list.out)["backups"];
  ASSERT_EQ(backups.size(), 1u) << list.out;
  EXPECT_EQ(backups[0]["status"], "completed");
  EXPECT_NE(backups[0].dump().find("job:pg"), std::string::npos) << backups[0].dump();
  auto verify = Dr("verify " + backups[0]["backup_id"].get<std::string>());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// Daemons on two hosts, each with a state directory of its own: the new
// leader learns of the killed leader's unfinished run from etcd alone (its own
// store has never seen it) and runs it once.
TEST_F(ServePgTest, ALeaderWithAStateDirectoryOfItsOwnTakesOverThroughEtcd) {
  auto etcd = EtcdServer::Start(dir_ / "etcd");
  ASSERT_TRUE(etcd.ok()) << "etcd must start for this test: " << etcd.status().ToString();
  etcd_ = std::move(*etcd);
  Configure("  coordination:\n    etcd:\n      endpoints: [\"" + etcd_->endpoint() + "\"]\n      lease_seconds: 2\n", "");
  std::string config_b = dir_ / "config-b.yaml";
  std::string text = ReadFileOrDie(config_);
  std::string state = "state_dir: \"" + dir_ / "state" + "\"";
  ASSERT_NE(text.find(state), std::string::npos);
  WriteFile(config_b, text.replace(text.find(state), state.size(), "state_dir: \"" + dir_ / "state-b" + "\""));
  SeedInterruptedRun();  // in the first host's store only
  auto lock = LockOrders();
  ASSERT_NE(lock, nullptr);

  int a = StartDaemon();
  ASSERT_TRUE(WaitFor("daemon 0 runs the interrupted job", [&] { return LogHas(a, "job pg: started (takeover"); }));
  ASSERT_TRUE(WaitFor("its pg_dump waits for the lock", [&] { return Waiting() == 1; }));
  int b = StartDaemon(config_b);
  ASSERT_TRUE(WaitFor("daemon 1 follows", [&] { return LogHas(b, "following: another daemon leads"); }));

  ::kill(pids_[a], SIGKILL);
  ::waitpid(pids_[a], nullptr, 0);
  pids_[a] = -1;
  ASSERT_TRUE(WaitFor("daemon 1 runs the job again", [&] { return LogHas(b, "job pg: started (takeover"); }));
  ASSERT_TRUE(lock->Exec("COMMIT").ok());
  ASSERT_TRUE(WaitFor("the job succeeds", [&] { return LogHas(b, "job pg: succeeded"); }));
  ::kill(pids_[b], SIGTERM);
  ASSERT_TRUE(WaitFor("daemon 1 exits", [&] { return ::waitpid(pids_[b], &exit_status_, WNOHANG) == pids_[b]; }));
  pids_[b] = -1;

  // The second host's record: the first host's run interrupted, its own run succeeded, for the same due time.
  auto runs = Runs("state-b");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].outcome, "succeeded");
  EXPECT_EQ(runs[0].trigger, "takeover");
  EXPECT_EQ(runs[1].outcome, "interrupted");
  EXPECT_EQ(runs[1].scheduled_for, runs[0].scheduled_for);
  EXPECT_NE(runs[1].owner, runs[0].owner);
  auto list = Dr("--json backup list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(json::parse(list.out)["backups"].size(), 1u) << "the job ran once to its end: " << list.out;
}

TEST_F(ServePgTest, SigtermMidBackupCancelsItAfterTheTimeoutAndLeavesTheRepositoryClean) {
  Configure("", "  shutdown_timeout: 1s\n");
  SeedInterruptedRun();
  auto lock = LockOrders();
  ASSERT_NE(lock, nullptr);
  int d = StartDaemon();
  ASSERT_TRUE(WaitFor("the job runs", [&] { return LogHas(d, "job pg: started (takeover"); }));
  ASSERT_TRUE(WaitFor("its pg_dump waits for the lock", [&] { return Waiting() == 1; }));

  ::kill(pids_[d], SIGTERM);
  ASSERT_TRUE(WaitFor("the daemon exits", [&] { return ::waitpid(pids_[d], &exit_status_, WNOHANG) == pids_[d]; }));
  pids_[d] = -1;
  EXPECT_TRUE(WIFEXITED(exit_status_) && WEXITSTATUS(exit_status_) == 0) << ReadLog(d);
  std::string log = ReadLog(d);
  EXPECT_NE(log.find("stopping: waiting up to 1s for 1 running job"), std::string::npos) << log;
  EXPECT_NE(log.find("job pg: still running after 1s; cancelling it"), std::string::npos) << log;
  EXPECT_NE(log.find("job pg: cancelled"), std::string::npos) << log;
  // pg_dump was stopped with the job. (Its session on the server waits for
  // the lock until it next talks to its client, as PostgreSQL does for any
  // client that went away; it ends once the lock is released.)
  // Only this test's server's (-p PORT): other suites may run a pg_dump of their own meanwhile.
  // ("[p]g_dump" does not match the shell that runs pgrep with this pattern.)
  std::string pgrep = "pgrep -f '[p]g_dump .*-p " + std::to_string(pg_->port()) + " ' >/dev/null";
  EXPECT_NE(std::system(pgrep.c_str()), 0) << "a pg_dump outlived its cancelled job";
  ASSERT_TRUE(lock->Exec("COMMIT").ok());
  ASSERT_TRUE(WaitFor("the orphaned session ends", [&] { return Waiting() == 0; }));

  auto runs = Runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].outcome, "cancelled");
  EXPECT_EQ(runs[1].outcome, "interrupted");
  auto list = Dr("--json backup list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(json::parse(list.out)["backups"].size(), 0u) << list.out;
  auto check = Dr("repo check --read-data");
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  // The next run completes: nothing of the cancelled one is in the way.
  auto again = Dr("--json schedule run pg");
  EXPECT_EQ(again.exit_code, 0) << again.err << again.out;
}

}  // namespace
}  // namespace dr::test
