// Repository locks on a fake clock: a refreshed lock is never taken over, one
// that was not refreshed for stale_after + max_clock_skew is, and a holder
// learns when its lock was lost.
#include "repo/lock.h"

#include <nlohmann/json.hpp>

#include "base/fake_clock.h"
#include "base/time_util.h"
#include "storage/faulty/faulty_backend.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::repo {
namespace {

using std::chrono::minutes;
using test::StatusIs;
using ::testing::HasSubstr;

constexpr LockTiming kTiming{.refresh_interval = std::chrono::seconds(300),
                             .stale_after = std::chrono::seconds(1800),
                             .max_clock_skew = std::chrono::seconds(300)};

class LockTest : public ::testing::Test {
 protected:
  // A lock written by a process on another host, last refreshed `age` ago by our clock.
  void ForeignLock(const std::string& id, std::chrono::seconds age) {
    std::string when = FormatUtc(clock_.Now() - age);
    nlohmann::json body{{"host", "elsewhere"}, {"pid", 4242}, {"purpose", "backup x"},
                        {"time", when},        {"refreshed", when}, {"token", "t"}};
    ASSERT_OK(store_->Put({ObjectKind::kLock, id}, body.dump(), {.overwrite = true}));
  }
  bool Exists(const std::string& id) { return store_->Stat({ObjectKind::kLock, id}).ok(); }
  // One refresh interval passes and the refresh thread has done its work.
  void OneInterval() {
    clock_.Advance(kTiming.refresh_interval);
    clock_.WaitForSleepers(1);
  }

  FakeClock clock_;
  std::unique_ptr<Backend> store_ = storage::NewMemoryBackend();
};

TEST_F(LockTest, SharedLocksCoexistAndExcludePrune) {
  auto a = RepoLock::AcquireShared(*store_, "backup a", clock_, kTiming);
  auto b = RepoLock::AcquireShared(*store_, "backup b", clock_, kTiming);
  ASSERT_OK(a);
  ASSERT_OK(b);
  auto prune = RepoLock::AcquireExclusive(*store_, "prune", clock_, kTiming);
  EXPECT_THAT(prune, StatusIs(Code::kLocked));
  EXPECT_THAT(prune.status().message(), HasSubstr("backup"));
  ASSERT_OK((*a)->Release());
  ASSERT_OK((*b)->Release());
  auto again = RepoLock::AcquireExclusive(*store_, "prune", clock_, kTiming);
  ASSERT_OK(again);
  EXPECT_THAT(RepoLock::AcquireShared(*store_, "backup c", clock_, kTiming), StatusIs(Code::kLocked));
}

TEST_F(LockTest, ARefreshedLockIsNeverTakenOver) {
  auto held = RepoLock::AcquireShared(*store_, "backup long", clock_, kTiming);
  ASSERT_OK(held);
  clock_.WaitForSleepers(1);
  // Four hours: eight times the stale time, refreshed every five minutes.
  for (int i = 0; i < 48; ++i) {
    OneInterval();
    ASSERT_OK((*held)->Check());
    if (i % 12 == 11) {
      EXPECT_THAT(RepoLock::AcquireExclusive(*store_, "prune", clock_, kTiming), StatusIs(Code::kLocked));
    }
  }
  EXPECT_TRUE(Exists((*held)->id()));
}

TEST_F(LockTest, ALockNotRefreshedForStaleTimePlusSkewIsTakenOver) {
  // 34 minutes without a refresh: the other host's clock may be up to 5 minutes
  // behind ours, so this may still be a live lock.
  ForeignLock("shared-0001", std::chrono::seconds(34 * 60));
  EXPECT_THAT(RepoLock::AcquireExclusive(*store_, "prune", clock_, kTiming), StatusIs(Code::kLocked));
  EXPECT_TRUE(Exists("shared-0001"));
  // 36 minutes: stale by any clock within the skew; removed by whoever finds it.
  ForeignLock("shared-0001", std::chrono::seconds(36 * 60));
  auto prune = RepoLock::AcquireExclusive(*store_, "prune", clock_, kTiming);
  ASSERT_OK(prune);
  EXPECT_FALSE(Exists("shared-0001"));
}

TEST_F(LockTest, AnExclusiveLockReplacedByAnotherProcessIsNotOursAnyMore) {
  auto old = RepoLock::AcquireExclusive(*store_, "prune old", clock_, kTiming);
  ASSERT_OK(old);
  // Another host judged it stale and wrote its own in its place.
  ForeignLock("exclusive", std::chrono::seconds(0));
  auto replaced = (*old)->Confirm();
  EXPECT_THAT(replaced, StatusIs(Code::kLocked));
  EXPECT_THAT(replaced.message(), HasSubstr("replaced by another process"));
  // A lost lock is not removed on release: it belongs to someone else now.
  ASSERT_OK((*old)->Release());
  EXPECT_TRUE(Exists("exclusive"));
}

TEST_F(LockTest, AHolderWhoseLockWasRemovedLearnsItAtTheNextRefresh) {
  auto held = RepoLock::AcquireShared(*store_, "backup a", clock_, kTiming);
  ASSERT_OK(held);
  clock_.WaitForSleepers(1);
  ASSERT_OK(store_->Remove({ObjectKind::kLock, (*held)->id()}));
  clock_.Advance(kTiming.refresh_interval);
  // The refresh thread ends once the lock is lost: wait for Check to say so.
  Status s;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((s = (*held)->Check()).ok() && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  EXPECT_THAT(s, StatusIs(Code::kLocked));
  EXPECT_THAT(s.message(), HasSubstr("removed by another process"));
  EXPECT_FALSE(Exists((*held)->id()));  // and it is not written back
}

TEST_F(LockTest, RefreshesThatFailForTooLongLoseTheLock) {
  auto faulty = std::make_unique<storage::FaultyBackend>(test::BorrowBackend(*store_));
  auto held = RepoLock::AcquireShared(*faulty, "backup a", clock_, kTiming);
  ASSERT_OK(held);
  clock_.WaitForSleepers(1);
  faulty->FailNext(storage::Op::kPut, Status(Code::kUnavailable, "storage is down"), 1000);
  for (int i = 0; i < 5; ++i) OneInterval();  // 25 minutes without a refresh
  ASSERT_OK((*held)->Check());
  OneInterval();  // 30: others may take it over 5 minutes from now at the earliest
  auto s = (*held)->Check();
  EXPECT_THAT(s, StatusIs(Code::kLocked));
  EXPECT_THAT(s.message(), HasSubstr("could not be refreshed for 30 minutes"));
  EXPECT_THAT(s.message(), HasSubstr("storage is down"));
  faulty->Reset();
}

}  // namespace
}  // namespace dr::repo
