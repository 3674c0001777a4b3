// Child processes with pipes (pg_dump, pg_restore, pg_basebackup, psql, hooks).
// Secrets go through the environment (PGPASSWORD), never through argv where
// `ps` shows them. Standard error is collected in the background (its tail is
// kept for error messages) so a chatty child can never block on a full pipe.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dr/result.h"

namespace dr {

struct SubprocessOptions {
  std::vector<std::string> argv;     // argv[0] is searched in PATH
  std::vector<std::string> env;      // "NAME=value" added to (or replacing in) the environment
  bool pipe_stdin = false;           // else /dev/null
  bool pipe_stdout = true;           // else /dev/null
  std::string stdout_file;           // when set, stdout goes to this file (truncated) instead
};

class Subprocess {
 public:
  ~Subprocess();  // kills (SIGKILL) and reaps a child that is still running
  static Result<std::unique_ptr<Subprocess>> Start(const SubprocessOptions& options);

  int stdin_fd() const { return stdin_fd_; }
  int stdout_fd() const { return stdout_fd_; }
  void CloseStdin();
  void CloseStdout();
  // Waits for the child; returns its exit code (128+signal when killed).
  Result<int> Wait();
  // Safe from another thread while Wait runs (a stop callback): the child is
  // reaped only under the same lock, so its pid cannot be reused meanwhile.
  void Kill(int signal);
  // Kill, for the child and every process it started (pg_restore -j's
  // workers, which would otherwise go on, and hold Wait on the stderr pipe
  // they share). The child is stopped first, so it starts no new one
  // meanwhile. Returns whether the child was still there to be signalled.
  bool KillTree(int signal);
  pid_t pid() const { return pid_; }
  // The last few KB the child wrote to stderr (complete once Wait returned).
  std::string StderrTail();
  // "pg_dump exited with code 1: <stderr tail>"
  Status ExitError(int code);

 private:
  Subprocess() = default;
  std::string name_;
  pid_t pid_ = -1;
  std::mutex reap_mu_;  // Kill vs. the reaping in Wait
  bool reaped_ = false;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::thread stderr_reader_;
  std::mutex mu_;
  std::string stderr_tail_;
};

// Runs a command to completion; returns its stdout, or an error with its stderr.
Result<std::string> RunCommand(const SubprocessOptions& options);

// Runs a shell command with a timeout (coreutils timeout, then SIGKILL);
// returns its exit code (124 on timeout) and fills output with its stdout+stderr tail.
// Hooks of the failover, command health checks, runbook shell steps.
Result<int> RunShell(const std::string& command, double timeout_seconds, std::string* output,
                     const std::vector<std::string>& env = {});

}  // namespace dr
