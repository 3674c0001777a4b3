// Long operations the HTTP API was asked for (create a backup, verify,
// restore, run a scheduled job now): each runs on its own thread and is
// answered at once with a job id to poll (GET /api/v1/jobs/ID), as Velero's
// Backup objects and Kubernetes Jobs are polled.
//
// A job is {job_id, operation, user, state, created_at, finished_at,
// duration_seconds, result, error}; state is running, succeeded, failed or
// cancelled. At most `max_running` run at once (the rest are refused: 429);
// the newest 100 finished jobs are kept in memory (a restart forgets them:
// every outcome is in the audit log and the event history as well).
// Stopping requests every running job's stop token and waits for them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "dr/clock.h"
#include "dr/result.h"
#include "ops/operation.h"

namespace dr::server {

class ApiJobs {
 public:
  explicit ApiJobs(Clock& clock, size_t max_running = 4);
  ~ApiJobs();  // StopAll
  ApiJobs(const ApiJobs&) = delete;
  ApiJobs& operator=(const ApiJobs&) = delete;

  // Starts `run` on a thread of its own with a stop token; returns the job's
  // document (state running). kUnavailable when max_running run already, or
  // after StopAll.
  Result<nlohmann::json> Start(const std::string& operation, const std::string& user,
                               std::function<ops::OpResult(std::stop_token)> run);
  // The job's document, or nullopt for an id never given or forgotten.
  std::optional<nlohmann::json> Get(const std::string& id) const;
  // Every job kept, newest first.
  nlohmann::json List() const;
  // No job starts after this. Running jobs get `grace` to end by themselves
  // (real time: the daemon's shutdown_timeout), then are cancelled; returns
  // when every one has ended.
  void StopAll(std::chrono::milliseconds grace = std::chrono::milliseconds(0));

 private:
  struct Job {
    nlohmann::json doc;
    std::jthread thread;
  };
  void Finish(const std::string& id, const ops::OpResult& result);
  void ReapFinished();  // joins threads of finished jobs and forgets the oldest ones; mu_ held

  Clock& clock_;
  size_t max_running_;
  mutable std::mutex mu_;
  std::condition_variable ended_;  // a job ended (running_ went down)
  bool stopped_ = false;
  size_t running_ = 0;
  std::map<std::string, std::unique_ptr<Job>> jobs_;
  std::deque<std::string> finished_;  // oldest first
};

}  // namespace dr::server
