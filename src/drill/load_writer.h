// The load generator of the disruptive drills: a client that writes one
// numbered record at a time to a LoadTarget and records every write the
// service acknowledged, so the drill can count afterwards which of them the
// recovered platform still has.
//
// The database drills' target commits rows into ecap_dr_drill_writes. It
// opens its connections the way an application does: to the address
// `resolve` gives now (the service's DNS name, resolved before each
// connection), with short connect, statement and TCP timeouts, so a dead or
// silent server costs it seconds, not the kernel's retransmission minutes.
// A failed write is counted, the connection dropped, and the next one
// resolves the name again after a short pause. (The lake's target,
// lake_load.h, puts objects into the lake's active bucket.)
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "dr/clock.h"
#include "dr/result.h"

namespace dr::net::pg {
class Connection;
}

namespace dr::drill {

inline constexpr char kDrillTable[] = "ecap_dr_drill_writes";

// create table if not exists ecap_dr_drill_writes (drill_id, seq, at; primary key (drill_id, seq)).
std::string DrillTableDdl();

// `service_conninfo` with its host replaced by `address` (when not empty) and
// the drill's timeouts: connect 2 s, statements 5 s, TCP keepalives and
// tcp_user_timeout 5 s (a server that stops answering is given up on).
Result<std::string> DrillConninfo(const std::string& service_conninfo, const std::string& address);

// A connection with the drill's timeouts (DrillConninfo) to
// `service_conninfo`, its host replaced by `address` when not empty and
// `changes` applied (another user, password or database).
Result<std::unique_ptr<net::pg::Connection>> OpenDrillConnection(
    const std::string& service_conninfo, const std::string& address,
    const std::map<std::string, std::string>& changes = {});

// One acknowledged write: its seq, when it was acknowledged (wall clock),
// when its connection was opened and when the acknowledgement came
// (monotonic), and where the connection led (an address, a bucket).
struct Ack {
  int64_t seq = 0;
  std::chrono::system_clock::time_point at;
  std::chrono::steady_clock::time_point connected, done;
  std::string where;
};

// Where the load goes. Called from the writer's thread only.
class LoadTarget {
 public:
  virtual ~LoadTarget() = default;
  // Finds where writes go now (resolves the name, asks for the active
  // bucket) and connects there; the result names it.
  virtual Result<std::string> Connect() = 0;
  virtual bool connected() const = 0;
  // Writes record `seq` where Connect led. After a failure the writer pauses,
  // and connects again when the target dropped its connection.
  virtual Status Write(int64_t seq) = 0;
  // The least time from one write's start to the next's (zero: as fast as
  // the target takes them). A drill measures which acknowledged writes a
  // recovery loses, not throughput: unpaced, an idle bucket or cluster takes
  // thousands a second, each lost one is named in the result, and the fault
  // (a bucket's removal) and the recovery's backups grow with them.
  virtual std::chrono::steady_clock::duration pace() const { return {}; }
};

struct LoadWriterOptions {
  std::string drill_id;   // the rows' drill_id
  std::string conninfo;   // the service's conninfo; the host comes from resolve
  std::function<Result<std::string>()> resolve;  // the address to connect to now
};

// The database drills' target: rows of ecap_dr_drill_writes through the service's name.
std::unique_ptr<LoadTarget> DrillTableTarget(LoadWriterOptions options);

class LoadWriter {
 public:
  LoadWriter(LoadWriterOptions options, Clock& clock) : LoadWriter(DrillTableTarget(std::move(options)), clock) {}
  LoadWriter(std::unique_ptr<LoadTarget> target, Clock& clock) : target_(std::move(target)), clock_(clock) {}
  ~LoadWriter() { Stop(); }
  LoadWriter(const LoadWriter&) = delete;
  LoadWriter& operator=(const LoadWriter&) = delete;

  void Start();
  void Stop();  // returns once the thread has ended (each call it makes is bounded by the timeouts above)
  std::vector<Ack> acks() const;
  size_t ack_count() const;
  uint64_t failures() const;
  Status last_error() const;  // why the last write or connection failed (ok: none failed)
  // The first write acknowledged on a connection opened after `t` (and, when
  // `where` is given, that led there). (A backend of a killed postmaster can
  // still commit for a moment on a connection made before.)
  std::optional<Ack> FirstConnectedAfter(std::chrono::steady_clock::time_point t, const std::string& where = "") const;
  // The first commit acknowledged at or after `t` (wall clock), on any connection.
  std::optional<Ack> FirstAcknowledgedFrom(std::chrono::system_clock::time_point t) const;

 private:
  void Run(std::stop_token stop);
  void Fail(Status why);

  const std::unique_ptr<LoadTarget> target_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::vector<Ack> acks_;
  uint64_t failures_ = 0;
  Status last_error_;
  std::jthread thread_;
};

}  // namespace dr::drill
