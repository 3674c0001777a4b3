#include "server/api_jobs.h"

#include <vector>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/status_json.h"
#include "base/time_util.h"

namespace dr::server {

using nlohmann::json;

namespace {
constexpr size_t kKeepFinished = 100;
}  // namespace

ApiJobs::ApiJobs(Clock& clock, size_t max_running) : clock_(clock), max_running_(max_running) {}

ApiJobs::~ApiJobs() { StopAll(); }

Result<json> ApiJobs::Start(const std::string& operation, const std::string& user,
                            std::function<ops::OpResult(std::stop_token)> run) {
  std::lock_guard lock(mu_);
  if (stopped_) return Unavailable("the daemon is stopping; no new job starts");
  ReapFinished();
  if (running_ >= max_running_) {
    return Unavailable(std::to_string(running_) + " jobs run already (at most " + std::to_string(max_running_) +
                       " at once); poll GET /api/v1/jobs and try again when one ended");
  }
  std::string id = "job-" + HexEncode(crypto::RandomBytes(8));
  auto job = std::make_unique<Job>();
  job->doc = {{"job_id", id},
              {"operation", operation},
              {"user", user},
              {"state", "running"},
              {"created_at", FormatUtc(clock_.Now(), true)}};
  json doc = job->doc;
  Job* raw = job.get();
  jobs_[id] = std::move(job);
  ++running_;
  auto start = clock_.Monotonic();
  raw->thread = std::jthread([this, id, start, run = std::move(run)](std::stop_token stop) {
    ops::OpResult result = run(stop);
    double seconds = std::chrono::duration<double>(clock_.Monotonic() - start).count();
    std::lock_guard done(mu_);
    json& d = jobs_.at(id)->doc;
    d["state"] = result.ok() ? "succeeded" : result.status.code() == Code::kCancelled ? "cancelled" : "failed";
    d["finished_at"] = FormatUtc(clock_.Now(), true);
    d["duration_seconds"] = seconds;
    d["result"] = result.ToJson();
    if (!result.ok()) d["error"] = ErrorJson(result.status);
    if (!result.warnings.empty()) d["warnings"] = result.warnings;
    --running_;
    finished_.push_back(id);
    ended_.notify_all();
  });
  return doc;
}

void ApiJobs::ReapFinished() {
  for (const auto& id : finished_) {
    auto it = jobs_.find(id);
    if (it != jobs_.end() && it->second->thread.joinable()) it->second->thread.join();
  }
  while (finished_.size() > kKeepFinished) {
    jobs_.erase(finished_.front());
    finished_.pop_front();
  }
}

std::optional<json> ApiJobs::Get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second->doc;
}

json ApiJobs::List() const {
  std::lock_guard lock(mu_);
  std::vector<json> all;
  for (const auto& [id, job] : jobs_) all.push_back(job->doc);
  std::sort(all.begin(), all.end(), [](const json& a, const json& b) {
    return a["created_at"].get<std::string>() > b["created_at"].get<std::string>();
  });
  return json{{"jobs", all}};
}

void ApiJobs::StopAll(std::chrono::milliseconds grace) {
  std::vector<std::jthread*> threads;
  {
    std::unique_lock lock(mu_);
    stopped_ = true;
    ended_.wait_for(lock, grace, [&] { return running_ == 0; });
    for (auto& [id, job] : jobs_) {
      job->thread.request_stop();
      threads.push_back(&job->thread);
    }
  }
  // Outside the lock: a job ending takes it to record its outcome. No entry is
  // erased once stopped, so the pointers stay valid.
  for (auto* t : threads) {
    if (t->joinable()) t->join();
  }
}

}  // namespace dr::server
