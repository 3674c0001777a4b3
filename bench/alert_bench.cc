// Alert evaluations with one channel down (issue 13, "Performance"): what
// `serve` does after every run and every minute (track, hold back repeats,
// hand to the notifier), 1,000 times, each evaluation a change (an alert
// fires or resolves), with every channel ecap-dr has configured: Slack,
// webhook, Alertmanager and PagerDuty to local HTTP receivers, and email to an SMTP
// "server" that accepts connections and never says a word (the worst kind of
// down: each attempt waits for its timeout). The scheduler starts a job on
// the thread that evaluates, so the time an evaluation takes is how late a
// job can start because of alerting; the budget is 1 s.
//
// Prints the latency of an evaluation (p50, p99, max) and what each healthy
// receiver got. Usage: build/bench/dr_bench_alerts [EVALUATIONS]
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "automation/alert_rules.h"
#include "automation/notify/notifier.h"
#include "automation/notify/repeat_gate.h"

using namespace dr;
using namespace dr::automation;

namespace {

// Listens and never accepts: connections complete in the kernel's backlog and then hear nothing.
int SilentListener(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(fd, 1024);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  int evaluations = argc > 1 ? std::atoi(argv[1]) : 1000;
  std::atomic<int> received[4] = {0, 0, 0, 0};
  httplib::Server receiver;
  receiver.Post("/slack", [&](const httplib::Request&, httplib::Response& res) { ++received[0], res.status = 200; });
  receiver.Post("/hook", [&](const httplib::Request&, httplib::Response& res) { ++received[1], res.status = 200; });
  receiver.Post("/api/v2/alerts", [&](const httplib::Request&, httplib::Response& res) { ++received[2], res.status = 200; });
  receiver.Post("/v2/enqueue", [&](const httplib::Request&, httplib::Response& res) { ++received[3], res.status = 202; });
  int http_port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });
  int smtp_port = 0;
  int silent = SilentListener(&smtp_port);

  config::AlertingConfig cfg;
  std::string base = "http://127.0.0.1:" + std::to_string(http_port);
  cfg.email = {.enabled = true, .smtp_server = "127.0.0.1", .port = smtp_port, .from_address = "dr@example.com",
               .to_addresses = {"ops@example.com"}};
  cfg.email.smtp_port = smtp_port;
  cfg.slack = {.enabled = true, .url = base + "/slack"};
  cfg.webhook = {.enabled = true, .url = base + "/hook"};
  cfg.alertmanager = {.enabled = true, .url = base};
  cfg.pagerduty = {.enabled = true, .routing_key = "bench-routing-key", .url = base + "/v2/enqueue"};
  auto channels = notify::NewChannels(cfg);
  if (!channels.ok()) {
    std::fprintf(stderr, "channels: %s\n", channels.status().ToString().c_str());
    return 1;
  }
  std::atomic<int> failed_email{0};
  notify::NotifierOptions options;
  options.log = [](const std::string&) {};
  options.on_outcome = [&](const notify::DeliveryOutcome& o) {
    if (o.channel == "email" && !o.status.ok()) ++failed_email;
  };
  notify::Notifier notifier(std::move(*channels), options);

  AlertTracker tracker;
  notify::RepeatGate gate(std::chrono::hours(4));
  std::vector<double> ms;
  std::vector<std::shared_future<notify::DeliveryOutcome>> healthy;
  auto t = std::chrono::system_clock::now();
  for (int i = 0; i < evaluations; ++i) {
    // Each evaluation changes something: a job's failure fires, then resolves.
    std::vector<notify::Alert> firing;
    notify::Alert a;
    a.name = "BackupFailed";
    a.severity = "critical";
    a.labels = {{"job", "nightly"}};
    a.annotations = {{"summary", "The last run of backup job nightly did not succeed."}};
    a.starts_at = t;
    if (i % 2 == 0) firing.push_back(a);
    t += std::chrono::minutes(1);
    auto start = std::chrono::steady_clock::now();
    auto changed = gate.Filter(tracker.Update(firing, t), t);
    std::vector<std::shared_future<notify::DeliveryOutcome>> outcomes;
    if (!changed.empty()) outcomes = notifier.Send(notify::MakeNotification(changed, t));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    for (size_t c = 1; c < outcomes.size(); ++c) healthy.push_back(outcomes[c]);  // [0] is email
    // Paced as the HTTP channels deliver (a real daemon evaluates once a minute).
    if (!outcomes.empty()) outcomes.back().wait();
  }
  for (auto& f : healthy) f.wait();
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p / 100 * ms.size()))]; };
  std::printf("| evaluations | channels | evaluation p50 | p99 | max | delivered: slack / webhook / alertmanager / pagerduty | email (silent server) |\n");
  std::printf("|---:|---|---:|---:|---:|---|---|\n");
  std::printf("| %d | email (down), slack, webhook, alertmanager, pagerduty | %.3f ms | %.3f ms | %.3f ms | %d / %d / %d / %d | %d failed so far, the rest queued or dropped |\n",
              evaluations, pct(50), pct(99), ms.back(), received[0].load(), received[1].load(), received[2].load(),
              received[3].load(), failed_email.load());
  receiver.stop();
  serving.join();
  ::close(silent);
  return ms.back() < 1000 ? 0 : 1;
}
