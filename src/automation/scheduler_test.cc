#include "automation/scheduler.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include <gtest/gtest.h>

#include "base/fake_clock.h"
#include "base/time_util.h"
#include "test/support/test_support.h"

namespace dr::automation {
namespace scheduler_test {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

Job MakeJob(const std::string& name, const std::string& kind, const std::string& spec) {
  config::JobConfig c;
  c.name = name;
  c.action = "backup";
  auto s = Schedule::Parse(kind, spec);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return {c, *s};
}

// A runner that records what ran and answers what the test tells it.
struct FakeRunner {
  std::mutex mu;
  std::vector<std::pair<std::string, TimePoint>> calls;  // job, clock time
  std::function<JobOutcome(const Job&, std::stop_token)> answer = [](const Job&, std::stop_token) {
    return JobOutcome{Status::Ok(), {{"ok", true}}};
  };
  Clock* clock = nullptr;

  JobRunFn Fn() {
    return [this](const Job& job, std::stop_token stop) {
      {
        std::lock_guard lock(mu);
        calls.emplace_back(job.name(), clock->Now());
      }
      return answer(job, stop);
    };
  }
  size_t count(const std::string& job) {
    std::lock_guard lock(mu);
    return static_cast<size_t>(std::count_if(calls.begin(), calls.end(), [&](const auto& c) { return c.first == job; }));
  }
};

// Keeps the scheduler's log lines; a test waits for one.
class LogObserver : public SchedulerObserver {
 public:
  void Log(const std::string& line) override {
    std::lock_guard lock(mu_);
    lines_.push_back(line);
    cv_.notify_all();
  }
  void WaitFor(const std::string& text) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] {
      return std::any_of(lines_.begin(), lines_.end(), [&](const auto& l) { return l.find(text) != std::string::npos; });
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = RunStore::Open(dir_ / "events.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    runner_.clock = &clock_;
  }
  SchedulerOptions Options() {
    SchedulerOptions o;
    o.clock = &clock_;
    o.max_sleep = hours(24 * 40);
    o.retry_delay = minutes(1);
    o.lock_retry = seconds(30);
    return o;
  }
  // A daemon started now (catch-up and takeover at start) and stopped once idle.
  void StartAndStop(const SchedulerOptions& options) {
    Scheduler s({MakeJob("nightly", "daily", "02:00")}, *store_, runner_.Fn(), options);
    std::stop_source stop;
    std::jthread loop([&] { EXPECT_TRUE(s.Run(stop.get_token()).ok()); });
    clock_.WaitForSleepers(1);
    s.WaitIdle();
    stop.request_stop();
  }
  // Moves the clock to `t` (UTC) and waits until the scheduler's loop sleeps again with no run going.
  void AdvanceTo(Scheduler& s, const std::string& t) {
    clock_.Advance(*ParseUtc(t) - clock_.Now());
    clock_.WaitForSleepers(1);
    s.WaitIdle();
  }

  FakeClock clock_{*ParseUtc("2026-03-01T00:00:00Z")};
  test::TempDir dir_;
  std::unique_ptr<RunStore> store_;
  FakeRunner runner_;
};

TEST_F(SchedulerTest, RunsEachJobAtItsDueTimesAndRemembersThem) {
  Scheduler s({MakeJob("nightly", "daily", "02:00"), MakeJob("quarter", "cron", "*/15 * * * *")}, *store_,
              runner_.Fn(), Options());
  std::stop_source stop;
  std::jthread loop([&] { EXPECT_TRUE(s.Run(stop.get_token()).ok()); });
  clock_.WaitForSleepers(1);
  AdvanceTo(s, "2026-03-01T00:15:00Z");
  AdvanceTo(s, "2026-03-01T00:30:00Z");
  EXPECT_EQ(runner_.count("quarter"), 2u);
  EXPECT_EQ(runner_.count("nightly"), 0u);
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(minutes(15));
    clock_.WaitForSleepers(1);
    s.WaitIdle();
  }
  EXPECT_EQ(runner_.count("quarter"), 7u);
  EXPECT_EQ(runner_.count("nightly"), 0u);
  AdvanceTo(s, "2026-03-01T02:00:00Z");
  EXPECT_EQ(runner_.count("quarter"), 8u);
  EXPECT_EQ(runner_.count("nightly"), 1u);
  stop.request_stop();
  loop.join();
  auto last = store_->Last("nightly");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->outcome, "succeeded");
  EXPECT_EQ(FormatUtc((*last)->scheduled_for), "2026-03-01T02:00:00Z");
  EXPECT_EQ((*last)->result["ok"], true);
  auto status = s.Statuses(2);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(FormatUtc((*status)[0].next_runs[0]), "2026-03-02T02:00:00Z");
  EXPECT_EQ((*status)[0].last_success->id, (*last)->id);
}

TEST_F(SchedulerTest, ARestartNeitherRepeatsNorSkipsAndCatchesUpOnceWithinTheDeadline) {
  auto options = Options();
  options.starting_deadline = hours(6);
  {
    Scheduler s({MakeJob("nightly", "daily", "02:00")}, *store_, runner_.Fn(), options);
    std::stop_source stop;
    std::jthread loop([&] { EXPECT_TRUE(s.Run(stop.get_token()).ok()); });
    clock_.WaitForSleepers(1);
    AdvanceTo(s, "2026-03-01T02:00:00Z");
    stop.request_stop();
  }
  EXPECT_EQ(runner_.count("nightly"), 1u);
  // Restarted at 02:30 the same night: the 02:00 run is not repeated.
  clock_.Advance(minutes(30));
  StartAndStop(options);
  EXPECT_EQ(runner_.count("nightly"), 1u);
  // Down for three nights, back at 05:00: one catch-up run for the 04 March 02:00 due time, not three.
  clock_.SetWall(*ParseUtc("2026-03-04T05:00:00Z"));
  StartAndStop(options);
  EXPECT_EQ(runner_.count("nightly"), 2u);
  auto last = store_->Last("nightly");
  EXPECT_EQ((*last)->trigger, "catch_up");
  EXPECT_EQ(FormatUtc((*last)->scheduled_for), "2026-03-04T02:00:00Z");
  // Down until 09:00 the next day (7 h after the due time, beyond the 6 h deadline): no catch-up.
  clock_.SetWall(*ParseUtc("2026-03-05T09:00:00Z"));
  StartAndStop(options);
  EXPECT_EQ(runner_.count("nightly"), 2u);
}

TEST_F(SchedulerTest, ARunADeadDaemonLeftUnfinishedRunsOnceMore) {
  JobRun left;
  left.job = "nightly";
  left.scheduled_for = *ParseUtc("2026-03-01T00:00:00Z") - minutes(10);
  left.started = left.scheduled_for;
  left.owner = "another-host:12345";
  ASSERT_TRUE(store_->Begin(left).ok());
  Scheduler s({MakeJob("nightly", "daily", "23:50")}, *store_, runner_.Fn(), Options());
  std::stop_source stop;
  std::jthread loop([&] { EXPECT_TRUE(s.Run(stop.get_token()).ok()); });
  clock_.WaitForSleepers(1);
  s.WaitIdle();
  stop.request_stop();
  loop.join();
  EXPECT_EQ(runner_.count("nightly"), 1u);
  auto history = store_->History("nightly", 10);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].trigger, "takeover");
  EXPECT_EQ((*history)[0].outcome, "succeeded");
  EXPECT_EQ((*history)[0].scheduled_for, left.scheduled_for);
  EXPECT_EQ((*history)[1].outcome, "interrupted");
  EXPECT_NE((*history)[1].message.find("another-host:12345"), std::string::npos);
}

TEST_F(SchedulerTest, TemporaryFailuresAreRetriedWithBackoffThenReported) {
  std::atomic<int> n{0};
  runner_.answer = [&](const Job&, std::stop_token) {
    ++n;
    return JobOutcome{Unavailable("postgresql at 127.0.0.1:1 does not answer"), nullptr};
  };
  Scheduler s({MakeJob("nightly", "daily", "02:00")}, *store_, runner_.Fn(), Options());
  std::thread run([&] {
    auto r = s.RunNow("nightly");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->outcome, "failed");
    EXPECT_EQ(r->attempts, 3);
    EXPECT_EQ(r->error_code, "unavailable");
  });
  clock_.WaitForSleepers(1);  // after attempt 1: waits 1 min
  clock_.Advance(minutes(1));
  clock_.WaitForSleepers(1);  // after attempt 2: waits 2 min
  EXPECT_EQ(n.load(), 2);
  clock_.Advance(minutes(1));
  EXPECT_EQ(n.load(), 2);  // not yet: the second wait is twice the first
  clock_.Advance(minutes(1));
  run.join();
  EXPECT_EQ(n.load(), 3);
  // A bad configuration is not retried.
  runner_.answer = [&](const Job&, std::stop_token) { return JobOutcome{ConfigError("no repository"), nullptr}; };
  auto once = s.RunNow("nightly");
  EXPECT_EQ(once->attempts, 1);
  EXPECT_EQ(once->outcome, "failed");
  EXPECT_EQ(s.RunNow("weekly").status().code(), Code::kNotFound);
}

TEST_F(SchedulerTest, ALockedRepositoryIsWaitedForWithoutUsingUpAttempts) {
  std::atomic<int> n{0};
  runner_.answer = [&](const Job&, std::stop_token) {
    return ++n <= 5 ? JobOutcome{Status(Code::kLocked, "repository is locked by prune"), nullptr}
                    : JobOutcome{Status::Ok(), nullptr};
  };
  Scheduler s({MakeJob("nightly", "daily", "02:00")}, *store_, runner_.Fn(), Options());
  std::thread run([&] {
    auto r = s.RunNow("nightly");
    EXPECT_EQ(r->outcome, "succeeded");
    EXPECT_EQ(r->attempts, 6);
  });
  for (int i = 0; i < 5; ++i) {
    clock_.WaitForSleepers(1);
    clock_.Advance(seconds(30));
  }
  run.join();
}

TEST_F(SchedulerTest, AJobNeverOverlapsItself) {
  std::stop_source release;
  runner_.answer = [&](const Job&, std::stop_token) {
    // Runs until released (or stopped): longer than its 15-minute interval.
    clock_.SleepFor(hours(10), std::stop_token(release.get_token()));
    return JobOutcome{Status::Ok(), nullptr};
  };
  Scheduler s({MakeJob("quarter", "cron", "*/15 * * * *")}, *store_, runner_.Fn(), Options());
  std::stop_source stop;
  std::jthread loop([&] { EXPECT_TRUE(s.Run(stop.get_token()).ok()); });
  clock_.WaitForSleepers(1);
  clock_.Advance(minutes(15));
  clock_.WaitForSleepers(2);  // the loop and the run
  clock_.Advance(minutes(15));
  clock_.WaitForSleepers(2);
  EXPECT_EQ(runner_.count("quarter"), 1u);
  release.request_stop();
  s.WaitIdle();
  stop.request_stop();
  loop.join();
  auto history = store_->History("quarter", 10);
  ASSERT_EQ(history->size(), 2u);
  // Newest first: the skipped due time was recorded while the first run went on.
  EXPECT_EQ((*history)[0].outcome, "skipped");
  EXPECT_NE((*history)[0].message.find("still running"), std::string::npos);
  EXPECT_EQ((*history)[1].outcome, "succeeded");
}

TEST_F(SchedulerTest, StoppingLetsARunFinishWithinTheTimeoutThenCancelsIt) {
  std::atomic<bool> saw_stop{false};
  runner_.answer = [&](const Job&, std::stop_token stop) {
    bool finished = clock_.SleepFor(hours(1), stop);  // an hour-long backup
    saw_stop = !finished;
    return finished ? JobOutcome{Status::Ok(), nullptr} : JobOutcome{Status(Code::kCancelled, "backup interrupted: stop requested"), nullptr};
  };
  auto options = Options();
  options.shutdown_timeout = minutes(5);
  LogObserver log;
  Scheduler s({MakeJob("quarter", "cron", "*/15 * * * *")}, *store_, runner_.Fn(), options, &log);
  std::stop_source stop;
  std::jthread loop([&] { EXPECT_TRUE(s.Run(stop.get_token()).ok()); });
  clock_.WaitForSleepers(1);
  clock_.Advance(minutes(15));
  clock_.WaitForSleepers(2);  // the loop and the running job
  stop.request_stop();        // SIGTERM
  log.WaitFor("stopping: waiting up to 5m for 1 running job");
  clock_.WaitForSleepers(2);  // the job, and the shutdown waiting for it
  clock_.Advance(minutes(4));
  EXPECT_FALSE(saw_stop.load());  // still within the timeout
  clock_.WaitForSleepers(2);
  clock_.Advance(minutes(1));
  loop.join();
  EXPECT_TRUE(saw_stop.load());
  auto last = store_->Last("quarter");
  EXPECT_EQ((*last)->outcome, "cancelled");
  EXPECT_NE((*last)->message.find("stop requested"), std::string::npos);
}

// Several daemons: only the leader runs jobs. A deposed leader cancels its
// running job and hands the run over; the new leader runs it once more.
TEST_F(SchedulerTest, OnlyTheLeaderRunsJobsAndANewLeaderRunsTheDeposedOnesJobOnce) {
  std::atomic<int> calls{0};
  runner_.answer = [&](const Job&, std::stop_token stop) {
    if (++calls > 1) return JobOutcome{Status::Ok(), nullptr};  // the new leader's run ends at once
    bool finished = clock_.SleepFor(hours(10), stop);             // the first runs until its leader is deposed
    return finished ? JobOutcome{Status::Ok(), nullptr} : JobOutcome{Status(Code::kCancelled, "stop requested"), nullptr};
  };
  std::atomic<char> leader{'a'};
  auto options_for = [&](char name) {
    auto o = Options();
    o.owner = std::string("host-") + name + ":1";
    o.leading = [&leader, name] { return leader.load() == name; };
    o.leader_poll = seconds(1);
    return o;
  };
  LogObserver log_a, log_b;
  Scheduler a({MakeJob("quarter", "cron", "*/15 * * * *")}, *store_, runner_.Fn(), options_for('a'), &log_a);
  Scheduler b({MakeJob("quarter", "cron", "*/15 * * * *")}, *store_, runner_.Fn(), options_for('b'), &log_b);
  std::stop_source stop;
  std::jthread loop_a([&] { EXPECT_TRUE(a.Run(stop.get_token()).ok()); });
  std::jthread loop_b([&] { EXPECT_TRUE(b.Run(stop.get_token()).ok()); });
  log_a.WaitFor("leading: this daemon runs the jobs");
  log_b.WaitFor("following: another daemon leads");
  clock_.WaitForSleepers(2);
  clock_.Advance(minutes(15));
  log_a.WaitFor("job quarter: started (schedule");
  clock_.WaitForSleepers(3);  // both loops and a's run
  EXPECT_EQ(runner_.count("quarter"), 1u);

  leader = 'b';
  clock_.Advance(seconds(1));
  log_a.WaitFor("left to the next leader");
  log_b.WaitFor("job quarter: succeeded");
  stop.request_stop();
  loop_a.join();
  loop_b.join();
  EXPECT_EQ(runner_.count("quarter"), 2u);
  auto history = store_->History("quarter", 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].trigger, "takeover");
  EXPECT_EQ((*history)[0].outcome, "succeeded");
  EXPECT_EQ((*history)[0].owner, "host-b:1");
  EXPECT_EQ((*history)[1].outcome, "interrupted");
  EXPECT_EQ((*history)[1].scheduled_for, (*history)[0].scheduled_for);
}

// The ledger several daemons share (etcd in serve), in memory: each daemon
// writes through its own view, refused unless it leads (etcd's fenced put).
struct SharedLedger {
  std::mutex mu;
  std::map<std::string, LedgerEntry> entries;
};
class LedgerView : public RunLedger {
 public:
  LedgerView(SharedLedger& shared, std::function<bool()> leading) : shared_(shared), leading_(std::move(leading)) {}
  Status Put(const LedgerEntry& entry) override {
    if (!leading_()) return Status(Code::kLocked, "this daemon no longer leads");
    std::lock_guard lock(shared_.mu);
    shared_.entries[entry.job] = entry;
    return Status::Ok();
  }
  Result<std::vector<LedgerEntry>> All(std::vector<std::string>* = nullptr) override {
    std::lock_guard lock(shared_.mu);
    std::vector<LedgerEntry> out;
    for (const auto& [job, e] : shared_.entries) out.push_back(e);
    return out;
  }

 private:
  SharedLedger& shared_;
  std::function<bool()> leading_;
};

// Daemons on different hosts, each with a store of its own: the new leader
// learns from the ledger which run the deposed one left and runs it once, and
// a daemon that never ran a job catches up the due time the others missed.
TEST_F(SchedulerTest, ALeaderOnAnotherHostTakesOverThroughTheSharedLedger) {
  std::atomic<int> calls{0};
  runner_.answer = [&](const Job&, std::stop_token stop) {
    if (++calls > 1) return JobOutcome{Status::Ok(), nullptr};
    bool finished = clock_.SleepFor(hours(10), stop);
    return finished ? JobOutcome{Status::Ok(), nullptr} : JobOutcome{Status(Code::kCancelled, "stop requested"), nullptr};
  };
  SharedLedger shared;
  std::atomic<char> leader{'a'};
  std::map<char, std::unique_ptr<RunStore>> stores;
  std::map<char, std::unique_ptr<LedgerView>> views;
  auto options_for = [&](char name) {
    auto store = RunStore::Open(dir_ / (std::string("host-") + name + ".db"));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    stores[name] = std::move(*store);
    auto o = Options();
    o.owner = std::string("host-") + name + ":1";
    o.leading = [&leader, name] { return leader.load() == name; };
    views[name] = std::make_unique<LedgerView>(shared, o.leading);
    o.ledger = views[name].get();
    return o;
  };
  const Job quarter = MakeJob("quarter", "cron", "*/15 * * * *");
  LogObserver log_a, log_b;
  auto options_a = options_for('a'), options_b = options_for('b');
  {
    Scheduler a({quarter}, *stores['a'], runner_.Fn(), options_a, &log_a);
    Scheduler b({quarter}, *stores['b'], runner_.Fn(), options_b, &log_b);
    std::stop_source stop;
    std::jthread loop_a([&] { EXPECT_TRUE(a.Run(stop.get_token()).ok()); });
    std::jthread loop_b([&] { EXPECT_TRUE(b.Run(stop.get_token()).ok()); });
    log_a.WaitFor("leading: this daemon runs the jobs");
    log_b.WaitFor("following: another daemon leads");
    clock_.WaitForSleepers(2);
    clock_.Advance(minutes(15));
    log_a.WaitFor("job quarter: started (schedule");
    clock_.WaitForSleepers(3);
    {
      std::lock_guard lock(shared.mu);
      EXPECT_EQ(shared.entries.at("quarter").outcome, "running");
      EXPECT_EQ(shared.entries.at("quarter").owner, "host-a:1");
    }

    leader = 'b';
    clock_.Advance(seconds(1));
    log_a.WaitFor("left to the next leader");
    log_b.WaitFor("job quarter: succeeded");
    stop.request_stop();
  }
  EXPECT_EQ(runner_.count("quarter"), 2u);
  auto history = stores['b']->History("quarter", 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u) << "b's own store knew nothing of the run: the ledger told it";
  EXPECT_EQ((*history)[0].trigger, "takeover");
  EXPECT_EQ((*history)[0].outcome, "succeeded");
  EXPECT_EQ(FormatUtc((*history)[0].scheduled_for), "2026-03-01T00:15:00Z");
  EXPECT_EQ((*history)[1].outcome, "interrupted");
  EXPECT_EQ((*history)[1].owner, "host-a:1");
  {
    std::lock_guard lock(shared.mu);
    const LedgerEntry& e = shared.entries.at("quarter");
    EXPECT_EQ(e.outcome, "succeeded") << "the deposed leader handed its run over without writing over b's";
    EXPECT_EQ(e.owner, "host-b:1");
  }

  // Everyone down over 00:30; a third host, its store empty, leads at 00:31:
  // the ledger says the job last ran for 00:15, so 00:30 is caught up once.
  clock_.SetWall(*ParseUtc("2026-03-01T00:31:00Z"));
  leader = 'c';
  auto options_c = options_for('c');
  {
    Scheduler c({quarter}, *stores['c'], runner_.Fn(), options_c);
    std::stop_source stop;
    std::jthread loop([&] { EXPECT_TRUE(c.Run(stop.get_token()).ok()); });
    clock_.WaitForSleepers(1);
    c.WaitIdle();
    stop.request_stop();
  }
  EXPECT_EQ(runner_.count("quarter"), 3u);
  auto last = stores['c']->Last("quarter");
  ASSERT_TRUE(last.ok() && *last);
  EXPECT_EQ((*last)->trigger, "catch_up");
  EXPECT_EQ(FormatUtc((*last)->scheduled_for), "2026-03-01T00:30:00Z");
}

// A run this daemon's store still holds as unfinished (it was deposed, then
// down) that another leader has since run to its end: closed, not run again;
// and a ledger entry that cannot be read is left out, not fatal.
TEST_F(SchedulerTest, ARunAnotherLeaderFinishedSinceIsNotRunAgain) {
  JobRun left;
  left.job = "nightly";
  left.scheduled_for = *ParseUtc("2026-02-28T23:50:00Z");
  left.started = left.scheduled_for;
  left.owner = "";  // disowned when this daemon lost the lead
  ASSERT_TRUE(store_->Begin(left).ok());
  SharedLedger shared;
  shared.entries["nightly"] = {.job = "nightly", .scheduled_for = left.scheduled_for, .trigger = "takeover",
                               .owner = "host-b:7@1", .outcome = "succeeded"};
  struct BadLedger : LedgerView {
    using LedgerView::LedgerView;
    Result<std::vector<LedgerEntry>> All(std::vector<std::string>* problems) override {
      if (problems != nullptr) problems->push_back("etcd key /ecap-dr/automation/runs/x left out: not JSON");
      return LedgerView::All(problems);
    }
  } view(shared, [] { return true; });
  auto options = Options();
  options.ledger = &view;
  LogObserver log;
  Scheduler s({MakeJob("nightly", "daily", "23:50")}, *store_, runner_.Fn(), options, &log);
  std::stop_source stop;
  std::jthread loop([&] { EXPECT_TRUE(s.Run(stop.get_token()).ok()); });
  clock_.WaitForSleepers(1);
  s.WaitIdle();
  stop.request_stop();
  loop.join();
  EXPECT_EQ(runner_.count("nightly"), 0u);
  auto history = store_->History("nightly", 10);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].outcome, "interrupted");
  EXPECT_NE((*history)[0].message.find("another leader has run the job since"), std::string::npos);
  log.WaitFor("shared run ledger: etcd key /ecap-dr/automation/runs/x left out");
  std::lock_guard lock(shared.mu);
  EXPECT_EQ(shared.entries.at("nightly").outcome, "succeeded") << "not written over";
}

}  // namespace scheduler_test
}  // namespace dr::automation
