#include "base/interrupt.h"

#include <semaphore.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

namespace dr {
namespace {

std::atomic<int> g_signal{0};  // lock-free: read and written from the handler
sem_t g_wake;                  // posted by the handler, waited on by the watcher thread

std::mutex& SourceMutex() {
  static auto* mu = new std::mutex();  // never destroyed: used from a detached thread
  return *mu;
}
std::stop_source*& Source() {
  static std::stop_source* source = new std::stop_source();
  return source;
}
void RequestStop() {
  std::lock_guard lock(SourceMutex());
  Source()->request_stop();
}

void OnSignal(int sig) {
  int expected = 0;
  if (g_signal.compare_exchange_strong(expected, sig)) {
    ::sem_post(&g_wake);
  } else {
    // Asked twice: the operation did not stop in time; let the signal end the process.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
}

}  // namespace

void InstallInterruptHandlers() {
  static std::once_flag watcher;
  std::call_once(watcher, [] {
    ::sem_init(&g_wake, 0, 0);
    std::thread([] {
      while (true) {
        while (::sem_wait(&g_wake) != 0) {
        }
        RequestStop();
      }
    }).detach();
  });
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  ::sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // reads and writes continue; loops poll the flag
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

bool Interrupted() { return g_signal.load(std::memory_order_relaxed) != 0; }

Status CheckInterrupted(std::string_view what) {
  int sig = g_signal.load(std::memory_order_relaxed);
  if (sig == 0) return Status::Ok();
  if (sig == -1) return Status(Code::kCancelled, std::string(what) + " interrupted: stop requested");
  std::string name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
  return Status(Code::kCancelled, std::string(what) + " interrupted by " + name);
}

void RequestInterrupt() {
  g_signal.store(-1);
  RequestStop();
}

void ClearInterrupt() {
  g_signal.store(0);
  std::lock_guard lock(SourceMutex());
  if (Source()->stop_requested()) {  // a requested source stays requested: start a new one
    delete Source();                 // tokens share its state, which outlives it
    Source() = new std::stop_source();
  }
}

std::stop_token InterruptToken() {
  std::lock_guard lock(SourceMutex());
  return Source()->get_token();
}

}  // namespace dr
