// The load generator of the disruptive database drills: a client that
// commits one row at a time into ecap_dr_drill_writes and records every
// commit the server acknowledged, so the drill can count afterwards which of
// them the recovered database still has.
//
// It opens its connections the way an application does: to the address
// `resolve` gives now (the service's DNS name, resolved before each
// connection), with short connect, statement and TCP timeouts, so a dead or
// silent server costs it seconds, not the kernel's retransmission minutes.
// A failed commit is counted, the connection dropped, and the next one
// resolves the name again after a short pause.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "dr/clock.h"
#include "dr/result.h"

namespace dr::drill {

inline constexpr char kDrillTable[] = "ecap_dr_drill_writes";

// create table if not exists ecap_dr_drill_writes (drill_id, seq, at; primary key (drill_id, seq)).
std::string DrillTableDdl();

// `service_conninfo` with its host replaced by `address` (when not empty) and
// the drill's timeouts: connect 2 s, statements 5 s, TCP keepalives and
// tcp_user_timeout 5 s (a server that stops answering is given up on).
Result<std::string> DrillConninfo(const std::string& service_conninfo, const std::string& address);

// One acknowledged commit: its seq, when it was acknowledged (wall clock),
// when its connection was opened and when the acknowledgement came (monotonic).
struct Ack {
  int64_t seq = 0;
  std::chrono::system_clock::time_point at;
  std::chrono::steady_clock::time_point connected, done;
};

struct LoadWriterOptions {
  std::string drill_id;   // the rows' drill_id
  std::string conninfo;   // the service's conninfo; the host comes from resolve
  std::function<Result<std::string>()> resolve;  // the address to connect to now
};

class LoadWriter {
 public:
  LoadWriter(LoadWriterOptions options, Clock& clock) : options_(std::move(options)), clock_(clock) {}
  ~LoadWriter() { Stop(); }
  LoadWriter(const LoadWriter&) = delete;
  LoadWriter& operator=(const LoadWriter&) = delete;

  void Start();
  void Stop();  // returns once the thread has ended (each call it makes is bounded by the timeouts above)
  std::vector<Ack> acks() const;
  size_t ack_count() const;
  uint64_t failures() const;
  Status last_error() const;  // why the last commit or connection failed (ok: none failed)
  // The first commit acknowledged on a connection opened after `t`. (A
  // backend of a killed postmaster can still commit for a moment on a
  // connection made before.)
  std::optional<Ack> FirstConnectedAfter(std::chrono::steady_clock::time_point t) const;
  // The first commit acknowledged at or after `t` (wall clock), on any connection.
  std::optional<Ack> FirstAcknowledgedFrom(std::chrono::system_clock::time_point t) const;

 private:
  void Run(std::stop_token stop);
  void Fail(Status why);

  const LoadWriterOptions options_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::vector<Ack> acks_;
  uint64_t failures_ = 0;
  Status last_error_;
  std::jthread thread_;
};

}  // namespace dr::drill
