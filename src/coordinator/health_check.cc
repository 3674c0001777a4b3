#include "coordinator/health_check.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "base/subprocess.h"
#include "net/http.h"
#include "net/kafka/client.h"
#include "net/postgres/pg_client.h"

namespace dr::coordinator {

using nlohmann::json;

namespace {

using Steady = std::chrono::steady_clock;

double Ms(Steady::time_point start) { return std::chrono::duration<double, std::milli>(Steady::now() - start).count(); }

CheckResult Fail(std::string error, json details = json::object()) {
  return {Health::kFailed, 0, std::move(error), std::move(details)};
}

// A check's bound on each wait (the connection, each reply), as configured:
// a server that hangs must fail the check, not hold the monitor.
double Seconds(const config::CoordinatedService& s) { return s.timeout_seconds > 0 ? s.timeout_seconds : 1; }

CheckResult CheckPostgres(const config::CoordinatedService& s) {
  json details;
  auto primary = net::pg::Connection::OpenBounded(s.primary, Seconds(s));
  if (!primary.ok()) return Fail("primary: " + primary.status().message(), {{"primary", {{"reachable", false}}}});
  auto row = (*primary)->Query(
      "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN '' ELSE pg_current_wal_lsn()::text END");
  if (!row.ok() || row->empty()) {
    return Fail("primary: " + (row.ok() ? std::string("no answer") : row.status().message()));
  }
  bool in_recovery = (*row)[0][0] == "t";
  std::string primary_lsn = (*row)[0][1];
  details["primary"] = {{"reachable", true}, {"address", (*primary)->where()}, {"lsn", primary_lsn}};
  if (in_recovery) return Fail("primary at " + (*primary)->where() + " is in recovery (a standby)", details);
  CheckResult r{Health::kHealthy, 0, "", details};
  if (s.standby.empty()) return r;

  auto standby = net::pg::Connection::OpenBounded(s.standby, Seconds(s));
  if (!standby.ok()) {
    r.status = Health::kDegraded;
    r.error = "standby: " + standby.status().message();
    r.details["standby"] = {{"reachable", false}};
    return r;
  }
  auto srow = (*standby)->Query(
      "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_receive_lsn()::text, ''),"
      " coalesce(pg_last_wal_replay_lsn()::text, ''),"
      " coalesce(extract(epoch from pg_last_xact_replay_timestamp())::text, ''),"
      " CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END");
  if (!srow.ok() || srow->empty()) {
    r.status = Health::kDegraded;
    r.error = "standby: " + (srow.ok() ? std::string("no answer") : srow.status().message());
    return r;
  }
  const auto& v = (*srow)[0];
  int64_t replay = ParseLsn(v[2]), written = ParseLsn(primary_lsn);
  int64_t lag_bytes = replay >= 0 && written >= 0 ? std::max<int64_t>(0, written - replay) : -1;
  double lag_seconds = 0;
  if (lag_bytes != 0 && !v[3].empty()) {
    double replayed_at = std::stod(v[3]);
    double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    lag_seconds = std::max(0.0, now - replayed_at);
  }
  r.details["standby"] = {{"reachable", true},     {"address", (*standby)->where()}, {"in_recovery", v[0] == "t"},
                          {"receive_lsn", v[1]},   {"replay_lsn", v[2]},           {"lag_bytes", lag_bytes},
                          {"lag_seconds", lag_seconds}, {"replay_paused", v[4] == "t"}};
  if (v[0] != "t") {
    r.status = Health::kDegraded;
    r.error = "standby at " + (*standby)->where() + " is not in recovery (two primaries?)";
  } else if (lag_seconds > s.max_lag_seconds) {
    r.status = Health::kDegraded;
    r.error = "standby is " + std::to_string(static_cast<int64_t>(lag_seconds)) + " s behind (" +
              std::to_string(lag_bytes) + " bytes)";
  }
  return r;
}

CheckResult CheckTcp(const std::string& address, double timeout_seconds) {
  auto ep = ParseEndpoint(address, 0);
  if (!ep.ok()) return Fail(ep.status().message());
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (int rc = getaddrinfo(ep->host.c_str(), std::to_string(ep->port).c_str(), &hints, &res); rc != 0) {
    return Fail("cannot resolve " + ep->host + ": " + gai_strerror(rc));
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  std::string error;
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout_seconds * 1000)) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) error = std::string("connect to ") + address + ": " + std::strerror(err);
    } else {
      error = "connect to " + address + ": timed out";
    }
  } else if (rc != 0) {
    error = std::string("connect to ") + address + ": " + std::strerror(errno);
  }
  ::close(fd);
  if (!error.empty()) return Fail(error);
  return {Health::kHealthy, 0, "", {{"address", address}}};
}

CheckResult CheckHttp(const config::CoordinatedService& s) {
  auto reply = net::HttpRequest("GET", s.url, "", static_cast<long>(s.timeout_seconds * 1000));
  if (!reply.ok()) return Fail(reply.status().message());
  json details{{"url", s.url}, {"http_status", reply->status}};
  if (reply->status != s.expect_status) {
    return Fail("GET " + s.url + " answered " + std::to_string(reply->status) + ", expected " +
                    std::to_string(s.expect_status),
                details);
  }
  if (!s.expect_body.empty() && reply->body.find(s.expect_body) == std::string::npos) {
    return Fail("GET " + s.url + ": the body does not contain '" + s.expect_body + "'", details);
  }
  return {Health::kHealthy, 0, "", details};
}

CheckResult CheckDns(const config::CoordinatedService& s, const CheckContext& ctx) {
  std::string server = s.server.empty() ? ctx.dns_server : s.server;
  if (server.empty()) return Fail("no DNS server: set server on the service or dr_coordinator.failover.dns.server");
  auto ep = ParseEndpoint(server, 53);
  if (!ep.ok()) return Fail(ep.status().message());
  auto addrs = ResolveA(*ep, s.record, s.timeout_seconds);
  if (!addrs.ok()) return Fail(addrs.status().message());
  json details{{"record", s.record}, {"addresses", *addrs}};
  if (!s.expect_address.empty() && std::find(addrs->begin(), addrs->end(), s.expect_address) == addrs->end()) {
    return Fail(s.record + " resolves to " + addrs->front() + ", expected " + s.expect_address, details);
  }
  return {Health::kHealthy, 0, "", details};
}

CheckResult CheckKafka(const config::CoordinatedService& s, const CheckContext& ctx) {
  net::kafka::ClientOptions o{.bootstrap_servers = s.bootstrap_servers,
                              .timeout_ms = static_cast<int>(s.timeout_seconds * 1000)};
  const auto& platform = ctx.kafka_platform_servers;
  if (std::find(platform.begin(), platform.end(), s.bootstrap_servers) != platform.end()) {
    o.properties = ctx.kafka_properties;  // the platform's brokers: its security settings
  }
  auto client = net::kafka::Client::Connect(o);
  if (!client.ok()) return Fail(client.status().message());
  return {Health::kHealthy, 0, "", {{"brokers", (*client)->broker_count()}}};
}

CheckResult CheckS3(const config::CoordinatedService& s, const CheckContext& ctx) {
  net::s3::S3Options o = ctx.s3_mirror && ctx.s3_mirror->bucket == s.bucket ? *ctx.s3_mirror : ctx.s3;
  o.bucket = s.bucket;
  o.max_retries = 0;
  o.timeout_seconds = std::max(1L, static_cast<long>(s.timeout_seconds));
  net::s3::S3Client client(o);
  // Write, read back and delete a small probe: a bucket that lists but refuses writes is not healthy.
  const std::string key = ".ecap-dr-health-probe";
  const std::string body = "ecap-dr health probe";
  for (const char* method : {"PUT", "GET", "DELETE"}) {
    auto r = client.Send(method, key, {}, {}, std::string(method) == "PUT" ? body : "");
    if (!r.ok()) return Fail(r.status().message());
    if (r->status / 100 != 2) return Fail(client.ErrorOf(*r, std::string(method) + " s3://" + s.bucket + "/" + key).message());
    if (std::string(method) == "GET" && r->body != body) return Fail("s3://" + s.bucket + ": the probe read back wrong");
  }
  return {Health::kHealthy, 0, "", {{"bucket", s.bucket}}};
}

CheckResult CheckCommand(const config::CoordinatedService& s) {
  std::string output;
  auto rc = RunShell(s.command, s.timeout_seconds, &output);
  if (!rc.ok()) return Fail(rc.status().message());
  if (*rc == 124) return Fail("'" + s.command + "' timed out after " + std::to_string(s.timeout_seconds) + " s");
  if (*rc != 0) return Fail("'" + s.command + "' exited with " + std::to_string(*rc) + ": " + output, {{"exit_code", *rc}});
  return {Health::kHealthy, 0, "", {{"exit_code", 0}}};
}

}  // namespace

const char* HealthName(Health h) {
  switch (h) {
    case Health::kHealthy:
      return "healthy";
    case Health::kDegraded:
      return "degraded";
    default:
      return "failed";
  }
}

int64_t ParseLsn(const std::string& lsn) {
  auto slash = lsn.find('/');
  if (slash == std::string::npos) return -1;
  try {
    return static_cast<int64_t>((std::stoull(lsn.substr(0, slash), nullptr, 16) << 32) |
                                std::stoull(lsn.substr(slash + 1), nullptr, 16));
  } catch (...) {
    return -1;
  }
}

CheckResult RunCheck(const config::CoordinatedService& service, const CheckContext& context) {
  auto start = Steady::now();
  CheckResult r;
  const std::string& t = service.type;
  if (t == "postgresql") {
    r = CheckPostgres(service);
  } else if (t == "tcp") {
    r = CheckTcp(service.address, service.timeout_seconds);
  } else if (t == "http") {
    r = CheckHttp(service);
  } else if (t == "dns") {
    r = CheckDns(service, context);
  } else if (t == "kafka") {
    r = CheckKafka(service, context);
  } else if (t == "s3") {
    r = CheckS3(service, context);
  } else if (t == "command") {
    r = CheckCommand(service);
  } else {
    r = Fail("unknown service type '" + t + "'");
  }
  r.latency_ms = Ms(start);
  return r;
}

}  // namespace dr::coordinator
