// MapInOrder: results in the order of their indexes whatever order the tasks
// finish in, never more at once than the pool has threads, and a stop starts
// nothing more.
#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <vector>

namespace dr {
namespace {

TEST(MapInOrderTest, ResultsComeInOrderWithAtMostThePoolsSizeRunning) {
  ThreadPool pool(3);
  std::atomic<int> running{0}, most{0};
  std::vector<size_t> taken;
  MapInOrder(
      pool, 20,
      [&](size_t i) {
        int now = ++running;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        // Later indexes finish first: the order must come from MapInOrder.
        std::this_thread::sleep_for(std::chrono::milliseconds(i % 3 == 0 ? 6 : 1));
        --running;
        return i;
      },
      [&](size_t i) {
        taken.push_back(i);
        return true;
      });
  ASSERT_EQ(taken.size(), 20u);
  for (size_t i = 0; i < taken.size(); ++i) EXPECT_EQ(taken[i], i);
  EXPECT_LE(most.load(), 3);
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
