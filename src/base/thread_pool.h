// A fixed pool of worker threads running submitted tasks in FIFO order.
// Used by the repository pipeline (chunk -> hash -> compress -> seal -> pack)
// and by restore's read-ahead. Memory is bounded by the callers, which limit
// how many tasks they have in flight (see repo/repository.cc).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace dr {

class ThreadPool {
 public:
  // threads == 0 means one per core.
  explicit ThreadPool(size_t threads = 0);
  ~ThreadPool();  // runs every queued task, then joins
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size(); }

  template <typename F>
  auto Submit(F&& fn) -> std::future<decltype(fn())> {
    using R = decltype(fn());
    auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(fn));
    auto future = task->get_future();
    Enqueue([task] { (*task)(); });
    return future;
  }

 private:
  void Enqueue(std::function<void()> fn);
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// Waits, when the scope ends (also by an exception), for every future still in
// `futures` (a container of std::future): their tasks reference the scope's
// locals, and destroying a task's future does not wait for the task.
template <typename Futures>
class WaitOnExit {
 public:
  explicit WaitOnExit(Futures& futures) : futures_(futures) {}
  ~WaitOnExit() {
    for (auto& f : futures_) {
      if (f.valid()) f.wait();
    }
  }
  WaitOnExit(const WaitOnExit&) = delete;
  WaitOnExit& operator=(const WaitOnExit&) = delete;

 private:
  Futures& futures_;
};

// Runs task(i) for every i in [0, n) on `pool`, at most pool.size() at once,
// and hands the results to take() in the order of i, each as soon as it and
// those before it are done. take() returns false to stop: no further task is
// started, and those running are waited for and dropped.
template <typename Task, typename Take>
void MapInOrder(ThreadPool& pool, size_t n, const Task& task, const Take& take) {
  using R = decltype(task(size_t{0}));
  std::deque<std::future<R>> running;
  WaitOnExit wait(running);  // the tasks reference `task`
  size_t next = 0;
  while (true) {
    for (; next < n && running.size() < pool.size(); ++next) {
      running.push_back(pool.Submit([&task, i = next] { return task(i); }));
    }
    if (running.empty()) return;
    R result = running.front().get();
    running.pop_front();
    if (!take(std::move(result))) return;
  }
}

}  // namespace dr
