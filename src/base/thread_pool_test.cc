// MapInOrder: results in the order of their indexes whatever order the tasks
// finish in, never more at once than the pool has threads, and a stop starts
// nothing more.
#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace dr {
namespace {

TEST(MapInOrderTest, ResultsComeInOrderWithAtMostThePoolsSizeRunning) {
  constexpr size_t kTasks = 20;
  ThreadPool pool(3);
  std::atomic<int> running{0}, most{0};
  std::vector<size_t> taken;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<bool> done(kTasks, false);
  std::vector<size_t> finished;  // indexes in the order their tasks ended
  MapInOrder(
      pool, kTasks,
      [&](size_t i) {
        int now = ++running;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        std::unique_lock lock(mu);
        // Every third task ends only after the next one has (it runs beside
        // it: MapInOrder keeps the pool's size in flight), so later indexes
        // finish first and the order must come from MapInOrder. The deadline
        // only keeps a broken MapInOrder from hanging the test.
        if (i % 3 == 0 && i + 1 < kTasks) cv.wait_for(lock, std::chrono::seconds(30), [&] { return done[i + 1]; });
        --running;
        done[i] = true;
        finished.push_back(i);
        cv.notify_all();
        return i;
      },
      [&](size_t i) {
        taken.push_back(i);
        return true;
      });
  ASSERT_EQ(taken.size(), kTasks);
  for (size_t i = 0; i < taken.size(); ++i) EXPECT_EQ(taken[i], i);
  EXPECT_LE(most.load(), 3);
  ASSERT_EQ(finished.size(), kTasks);
  auto position = [&](size_t i) { return std::find(finished.begin(), finished.end(), i) - finished.begin(); };
  EXPECT_LT(position(1), position(0)) << "task 1 ended before task 0: the tasks did finish out of order";
}

TEST(MapInOrderTest, AFalseFromTakeStartsNoFurtherTask) {
  ThreadPool pool(2);
  std::atomic<int> started{0};
  std::vector<int> taken;
  MapInOrder(
      pool, 100,
      [&](size_t i) {
        ++started;
        return static_cast<int>(i);
      },
      [&](int i) {
        taken.push_back(i);
        return i < 4;
      });
  EXPECT_EQ(taken, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_LE(started.load(), 4 + 1 + 2) << "at most the pool's size beyond the one that stopped";
}

}  // namespace
}  // namespace dr
