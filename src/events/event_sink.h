// Where operations report what happened: one structured event per backup,
// restore, verification, retention run, key change, failover step, denial...
// An event is (timestamp, event_type, data), the guide's field names. The
// sink stamps the time; emitters name the type and give the data.
//
// Emitting is best effort for the emitter: the audit log is the durable,
// tamper-evident record of who did what; the event history is for people and
// reports. A sink that fails returns the error and the caller warns.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/clock.h"
#include "dr/result.h"

namespace dr::events {

struct Event {
  int64_t id = 0;
  std::string timestamp;   // ISO 8601 UTC with milliseconds
  std::string event_type;  // backup_completed, health_changed, failover_completed, ...
  nlohmann::json data;
  nlohmann::json ToJson() const;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual Status Emit(const std::string& event_type, const nlohmann::json& data) = 0;
};

// Keeps events in memory, oldest first (tests; a caller that reads them back).
class MemorySink : public EventSink {
 public:
  explicit MemorySink(Clock& clock = RealClock()) : clock_(clock) {}
  Status Emit(const std::string& event_type, const nlohmann::json& data) override;
  std::vector<Event> events() const;
  std::vector<std::string> types() const;

 private:
  Clock& clock_;
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

}  // namespace dr::events
