// Interruption of long operations (Ctrl-C, SIGTERM, SIGHUP): one process-wide
// flag that the signal handler sets and long loops poll between units of work
// (a blob, an object, a message batch). Stopping there instead of dying in the
// middle of a write lets every caller remove its partial output, release its
// locks and exit with kCancelled and a message naming what was interrupted.
// A second signal of the same kind ends the process at once (the default
// action), for a process that does not reach a poll point.
#pragma once

#include <stop_token>
#include <string_view>

#include "dr/status.h"

namespace dr {

// Installs handlers for SIGINT, SIGTERM and SIGHUP that set the flag.
void InstallInterruptHandlers();
bool Interrupted();
// kCancelled naming `what` once interrupted, Ok before.
Status CheckInterrupted(std::string_view what);
// For tests and for callers that stop work themselves (a daemon's shutdown).
void RequestInterrupt();
void ClearInterrupt();
// Requested as soon as the flag is set (by a signal or RequestInterrupt), so
// that waits end at once instead of at their next poll: a monitor's or a
// scheduler's sleep (Clock::SleepFor), a lock's refresh. A signal wakes a
// thread of its own (sem_post is async-signal-safe) that requests the stop.
std::stop_token InterruptToken();

}  // namespace dr
