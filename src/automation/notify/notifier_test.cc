// The Notifier's queues on a FakeClock: retries and backoff, bounded
// attempts, one dead channel holding up no other, grouping, overflow, stop,
// and secrets kept out of every log line and outcome.
#include "automation/notify/notifier.h"

#include <condition_variable>
#include <mutex>

#include "base/fake_clock.h"
#include "base/time_util.h"
#include "test/support/test_support.h"

namespace dr::automation::notify {
namespace notifier_test {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::HasSubstr;
using testing::Not;

const auto kT0 = *ParseUtc("2026-12-02T06:00:00Z");

// What a scripted channel answers, shared with the test (the channel itself
// belongs to the notifier).
struct Script {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Status> results;  // answer i to call i; Ok once exhausted
  std::vector<Notification> received;
  bool blocked = false;          // Deliver waits until unblocked
  int calls = 0;

  void Unblock() {
    std::lock_guard lock(mu);
    blocked = false;
    cv.notify_all();
  }
  void WaitForCalls(int n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return calls >= n; });
  }
  int Calls() {
    std::lock_guard lock(mu);
    return calls;
  }
};

class ScriptedChannel : public Channel {
 public:
  ScriptedChannel(std::string name, std::shared_ptr<Script> script, std::string secret = "")
      : name_(std::move(name)), script_(std::move(script)), secret_(std::move(secret)) {}
  std::string name() const override { return name_; }
  std::string target() const override { return name_ + "-target"; }
  std::vector<std::string> secrets() const override { return {secret_}; }
  Status Deliver(const Notification& n) override {
    std::unique_lock lock(script_->mu);
    int i = script_->calls++;
    script_->received.push_back(n);
    script_->cv.notify_all();
    script_->cv.wait(lock, [&] { return !script_->blocked; });
    return i < static_cast<int>(script_->results.size()) ? script_->results[i] : Status::Ok();
  }

 private:
  std::string name_;
  std::shared_ptr<Script> script_;
  std::string secret_;
};

// Log lines, collected from the workers.
struct LogLines {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(const std::string&)> Sink() {
    return [this](const std::string& l) {
      std::lock_guard lock(mu);
      lines.push_back(l);
    };
  }
  std::string All() {
    std::lock_guard lock(mu);
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    return all;
  }
};

std::vector<std::unique_ptr<Channel>> One(std::unique_ptr<Channel> c) {
  std::vector<std::unique_ptr<Channel>> v;
  v.push_back(std::move(c));
  return v;
}

Notification Sample(std::string name = "BackupFailed") {
  return MakeNotification({Alert{.name = std::move(name), .labels = {{"job", "nightly"}}, .starts_at = kT0}}, kT0);
}

RetryPolicy Policy(int attempts) {
  return {.max_attempts = attempts, .initial_backoff = seconds(1), .max_backoff = seconds(60), .multiplier = 2};
}

TEST(RetryPolicyTest, ExponentialAndCapped) {
  RetryPolicy p = Policy(10);
  EXPECT_EQ(p.BackoffAfter(1), seconds(1));
  EXPECT_EQ(p.BackoffAfter(2), seconds(2));
  EXPECT_EQ(p.BackoffAfter(3), seconds(4));
  EXPECT_EQ(p.BackoffAfter(7), seconds(60));
}

TEST(NotifierTest, RetriesWithExponentialBackoffOnTheClock) {
  FakeClock clock(kT0);
  auto script = std::make_shared<Script>();
  script->results = {Unavailable("down"), Unavailable("down")};
  LogLines log;
  Notifier notifier(One(std::make_unique<ScriptedChannel>("email", script)),
                    {.clock = &clock, .retry = Policy(5), .log = log.Sink()});
  auto outcomes = notifier.Send(Sample());
  ASSERT_EQ(outcomes.size(), 1u);
  clock.WaitForSleepers(1);  // attempt 1 failed; waiting 1 s
  EXPECT_EQ(script->Calls(), 1);
  clock.Advance(milliseconds(999));
  clock.WaitForSleepers(1);  // not yet
  EXPECT_EQ(script->Calls(), 1);
  clock.Advance(milliseconds(1));
  clock.WaitForSleepers(1);  // attempt 2 failed; waiting 2 s
  EXPECT_EQ(script->Calls(), 2);
  clock.Advance(milliseconds(1999));
  clock.WaitForSleepers(1);
  EXPECT_EQ(script->Calls(), 2);
  clock.Advance(milliseconds(1));
  DeliveryOutcome o = outcomes[0].get();
  EXPECT_OK(o.status);
  EXPECT_EQ(o.attempts, 3);
  EXPECT_EQ(o.channel, "email");
  EXPECT_EQ(o.title, "[FIRING:1] ecap-dr: BackupFailed");
  EXPECT_THAT(log.All(), HasSubstr("email: attempt 1 of 5 failed: down; retrying in 1s"));
  EXPECT_THAT(log.All(), HasSubstr("email: attempt 2 of 5 failed: down; retrying in 2s"));
  EXPECT_THAT(log.All(), HasSubstr("email: delivered after 3 attempts"));
}

TEST(NotifierTest, GivesUpAfterMaxAttemptsAndReportsIt) {
  FakeClock clock(kT0);
  auto script = std::make_shared<Script>();
  script->results = {Unavailable("x unreachable"), Unavailable("x unreachable"), Unavailable("x unreachable")};
  LogLines log;
  std::mutex mu;
  std::vector<DeliveryOutcome> observed;
  Notifier notifier(One(std::make_unique<ScriptedChannel>("slack", script)),
                    {.clock = &clock,
                     .retry = Policy(3),
                     .on_outcome = [&](const DeliveryOutcome& o) {
                       std::lock_guard lock(mu);
                       observed.push_back(o);
                     },
                     .log = log.Sink()});
  auto outcomes = notifier.Send(Sample());
  clock.WaitForSleepers(1);
  clock.Advance(seconds(1));
  clock.WaitForSleepers(1);
  clock.Advance(seconds(2));
  DeliveryOutcome o = outcomes[0].get();
  EXPECT_THAT(o.status, test::StatusIs(Code::kUnavailable));
  EXPECT_EQ(o.status.message(), "x unreachable");
  EXPECT_EQ(o.attempts, 3);
  EXPECT_EQ(script->Calls(), 3);
  EXPECT_THAT(log.All(), HasSubstr("slack: giving up after 3 attempts: x unreachable"));
  std::lock_guard lock(mu);
  ASSERT_EQ(observed.size(), 1u);  // on_outcome runs before the future is ready
  EXPECT_EQ(observed[0].attempts, 3);
}

TEST(NotifierTest, PermanentErrorIsNotRetried) {
  FakeClock clock(kT0);
  auto script = std::make_shared<Script>();
  script->results = {Failed("SMTP server h:25 refused the login (535)")};
  LogLines log;
  Notifier notifier(One(std::make_unique<ScriptedChannel>("email", script)),
                    {.clock = &clock, .retry = Policy(5), .log = log.Sink()});
  DeliveryOutcome o = notifier.Send(Sample())[0].get();
  EXPECT_THAT(o.status, test::StatusIs(Code::kFailed));
  EXPECT_EQ(o.attempts, 1);
  EXPECT_THAT(log.All(), HasSubstr("email: not delivered (permanent error, not retried): SMTP server h:25 refused"));
}

TEST(NotifierTest, ADeadChannelHoldsUpNoOtherChannelNorTheCaller) {
  FakeClock clock(kT0);
  auto email = std::make_shared<Script>();
  email->blocked = true;  // an SMTP server that never answers
  auto slack = std::make_shared<Script>();
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::make_unique<ScriptedChannel>("email", email));
  channels.push_back(std::make_unique<ScriptedChannel>("slack", slack));
  LogLines log;
  Notifier notifier(std::move(channels), {.clock = &clock, .retry = Policy(3), .log = log.Sink()});
  EXPECT_EQ(notifier.channels(), (std::vector<std::string>{"email", "slack"}));
  auto first = notifier.Send(Sample("First"));  // returns although email hangs
  auto second = notifier.Send(Sample("Second"));
  email->WaitForCalls(1);
  // Slack delivers both while email is stuck in its first delivery. (The
  // deadline only bounds a failing test; a passing one never waits on it.)
  ASSERT_EQ(first[1].wait_for(seconds(30)), std::future_status::ready);
  ASSERT_EQ(second[1].wait_for(seconds(30)), std::future_status::ready);
  EXPECT_OK(first[1].get().status);
  EXPECT_OK(second[1].get().status);
  EXPECT_EQ(email->Calls(), 1);
  EXPECT_EQ(first[0].wait_for(seconds(0)), std::future_status::timeout);
  email->Unblock();
  EXPECT_OK(first[0].get().status);
  EXPECT_OK(second[0].get().status);
}

TEST(NotifierTest, OneNotificationPerChannelPerEvaluation) {
  auto a = std::make_shared<Script>();
  auto b = std::make_shared<Script>();
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::make_unique<ScriptedChannel>("webhook", a));
  channels.push_back(std::make_unique<ScriptedChannel>("alertmanager", b));
  FakeClock clock(kT0);
  Notifier notifier(std::move(channels), {.clock = &clock});
  Notification n = MakeNotification({Alert{.name = "BackupFailed", .labels = {{"job", "a"}}},
                                     Alert{.name = "BackupFailed", .labels = {{"job", "b"}}},
                                     Alert{.name = "BackupTooOld", .labels = {{"component", "kafka"}}}},
                                    kT0);
  for (auto& f : notifier.Send(n)) EXPECT_OK(f.get().status);
  for (auto* s : {a.get(), b.get()}) {
    std::lock_guard lock(s->mu);
    ASSERT_EQ(s->received.size(), 1u);
    EXPECT_EQ(s->received[0].alerts.size(), 3u);
  }
}

TEST(NotifierTest, AFullQueueDropsItsOldestWaitingNotification) {
  FakeClock clock(kT0);
  auto script = std::make_shared<Script>();
  script->blocked = true;
  LogLines log;
  Notifier notifier(One(std::make_unique<ScriptedChannel>("email", script)),
                    {.clock = &clock, .queue_capacity = 1, .log = log.Sink()});
  auto in_flight = notifier.Send(Sample("InFlight"));
  script->WaitForCalls(1);  // the worker holds it; the queue is empty
  auto waiting = notifier.Send(Sample("Waiting"));
  auto newest = notifier.Send(Sample("Newest"));
  DeliveryOutcome dropped = waiting[0].get();
  EXPECT_THAT(dropped.status, test::StatusIs(Code::kUnavailable));
  EXPECT_THAT(dropped.status.message(), HasSubstr("queue full"));
  EXPECT_EQ(dropped.attempts, 0);
  script->Unblock();
  EXPECT_OK(in_flight[0].get().status);
  EXPECT_OK(newest[0].get().status);
  EXPECT_THAT(log.All(), HasSubstr("notification dropped: [FIRING:1] ecap-dr: Waiting"));
}

TEST(NotifierTest, StoppingEndsABackoffWaitAsCancelled) {
  FakeClock clock(kT0);
  auto script = std::make_shared<Script>();
  script->results = {Unavailable("down")};
  std::shared_future<DeliveryOutcome> outcome;
  {
    LogLines log;
    Notifier notifier(One(std::make_unique<ScriptedChannel>("email", script)),
                      {.clock = &clock, .retry = Policy(5), .log = log.Sink()});
    outcome = notifier.Send(Sample())[0];
    clock.WaitForSleepers(1);
  }
  DeliveryOutcome o = outcome.get();
  EXPECT_THAT(o.status, test::StatusIs(Code::kCancelled));
  EXPECT_EQ(o.attempts, 1);
}

TEST(NotifierTest, SecretsNeverReachTheLogOrTheOutcome) {
  FakeClock clock(kT0);
  auto script = std::make_shared<Script>();
  // A server (or library) that echoes the secret back.
  script->results = {Unavailable("login alerts:hunter2-pass refused"), Unavailable("login alerts:hunter2-pass refused")};
  LogLines log;
  Notifier notifier(One(std::make_unique<ScriptedChannel>("email", script, "hunter2-pass")),
                    {.clock = &clock, .retry = Policy(2), .log = log.Sink()});
  auto outcomes = notifier.Send(Sample());
  clock.WaitForSleepers(1);
  clock.Advance(seconds(1));
  DeliveryOutcome o = outcomes[0].get();
  EXPECT_EQ(o.status.message(), "login alerts:*** refused");
  EXPECT_THAT(log.All(), HasSubstr("login alerts:*** refused"));
  EXPECT_THAT(log.All(), Not(HasSubstr("hunter2")));
}

}  // namespace notifier_test
}  // namespace dr::automation::notify
