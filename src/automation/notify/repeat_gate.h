// Repeat suppression (alerting.repeat_interval): of the alerts one evaluation
// finds, which are worth telling people about now. Alertmanager's rule: a
// new firing alert at once; one still firing again only after the repeat
// interval; a resolved alert once, if its firing was told. Alerts are known
// by their fingerprint.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "automation/notify/alert.h"

namespace dr::automation::notify {

class RepeatGate {
 public:
  explicit RepeatGate(std::chrono::seconds repeat_interval) : repeat_interval_(repeat_interval) {}

  // The alerts of `alerts` to notify at `now`, in their order; remembers them
  // as notified. Not thread-safe (one evaluation loop owns it).
  std::vector<Alert> Filter(const std::vector<Alert>& alerts, std::chrono::system_clock::time_point now);

 private:
  std::chrono::seconds repeat_interval_;
  std::map<std::string, std::chrono::system_clock::time_point> last_sent_;  // firing alerts told, by fingerprint
};

}  // namespace dr::automation::notify
