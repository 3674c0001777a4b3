#include "automation/notify/repeat_gate.h"

namespace dr::automation::notify {

std::vector<Alert> RepeatGate::Filter(const std::vector<Alert>& alerts, std::chrono::system_clock::time_point now) {
  std::vector<Alert> out;
  for (const auto& a : alerts) {
    std::string fp = a.Fingerprint();
    auto it = last_sent_.find(fp);
    if (!a.firing()) {
      if (it == last_sent_.end()) continue;  // nobody was told it fired
      last_sent_.erase(it);
      out.push_back(a);
      continue;
    }
    if (it != last_sent_.end() && now - it->second < repeat_interval_) continue;
    last_sent_[fp] = now;
    out.push_back(a);
  }
  return out;
}

}  // namespace dr::automation::notify
