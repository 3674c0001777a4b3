#include "base/interrupt.h"

#include <signal.h>

#include <atomic>
#include <string>

namespace dr {
namespace {

std::atomic<int> g_signal{0};  // lock-free: read and written from the handler

void OnSignal(int sig) {
  int expected = 0;
  if (!g_signal.compare_exchange_strong(expected, sig)) {
    // Asked twice: the operation did not stop in time; let the signal end the process.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
}

}  // namespace

void InstallInterruptHandlers() {
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
  std::string name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
  return Status(Code::kCancelled, std::string(what) + " interrupted by " + name);
}

void RequestInterrupt() { g_signal.store(-1); }

void ClearInterrupt() { g_signal.store(0); }

}  // namespace dr
