#include "automation/notify/alert.h"

#include <algorithm>
#include <set>

#include "base/crypto.h"
#include "base/encoding.h"

namespace dr::automation::notify {

const char* StateName(AlertState state) { return state == AlertState::kFiring ? "firing" : "resolved"; }

std::string Alert::Fingerprint() const {
  // Length-prefixed fields: "a=bc" and "ab=c" must not hash alike.
  std::string input;
  auto put = [&](const std::string& s) { input += std::to_string(s.size()) + ":" + s; };
  put(name);
  for (const auto& [k, v] : labels) {
    if (k == "alertname") continue;  // the name is hashed once, above
    put(k);
    put(v);
  }
  return HexEncode(crypto::Sha256(input).substr(0, 8));
}

std::map<std::string, std::string> Alert::AllLabels() const {
  auto all = labels;
  all["alertname"] = name;
  if (!severity.empty()) all["severity"] = severity;
  return all;
}

size_t Notification::firing_count() const {
  return std::count_if(alerts.begin(), alerts.end(), [](const Alert& a) { return a.firing(); });
}

size_t Notification::resolved_count() const { return alerts.size() - firing_count(); }

const char* Notification::status() const { return firing_count() > 0 ? "firing" : "resolved"; }

std::string Notification::GroupKey() const {
  std::set<std::string> names;
  for (const auto& a : alerts) names.insert(a.name);
  std::string key = "{}:{alertname=~\"";
  bool first = true;
  for (const auto& n : names) {
    key += (first ? "" : "|") + n;
    first = false;
  }
  return key + "\"}";
}

std::string Notification::Title() const {
  size_t firing = firing_count();
  std::vector<std::string> names;
  for (const auto& a : alerts) {
    if ((firing > 0) != a.firing()) continue;
    if (std::find(names.begin(), names.end(), a.name) == names.end()) names.push_back(a.name);
  }
  std::string title = firing > 0 ? "[FIRING:" + std::to_string(firing) + "]" : "[RESOLVED]";
  title += " ecap-dr:";
  for (size_t i = 0; i < names.size(); ++i) title += (i == 0 ? " " : ", ") + names[i];
  return title;
}

namespace {

// The key/value pairs every map has with the same value.
std::map<std::string, std::string> Common(const std::vector<const std::map<std::string, std::string>*>& maps) {
  if (maps.empty()) return {};
  std::map<std::string, std::string> common = *maps.front();
  for (const auto* m : maps) {
    std::erase_if(common, [&](const auto& kv) {
      auto it = m->find(kv.first);
      return it == m->end() || it->second != kv.second;
    });
  }
  return common;
}

}  // namespace

Notification MakeNotification(std::vector<Alert> alerts, std::chrono::system_clock::time_point time) {
  Notification n{.alerts = std::move(alerts), .time = time};
  std::stable_sort(n.alerts.begin(), n.alerts.end(), [](const Alert& a, const Alert& b) {
    if (a.firing() != b.firing()) return a.firing();
    if (a.name != b.name) return a.name < b.name;
    return a.Fingerprint() < b.Fingerprint();
  });
  std::vector<std::map<std::string, std::string>> labels;
  std::vector<const std::map<std::string, std::string>*> label_ptrs, annotation_ptrs;
  labels.reserve(n.alerts.size());
  for (const auto& a : n.alerts) {
    labels.push_back(a.AllLabels());
    annotation_ptrs.push_back(&a.annotations);
  }
  for (const auto& l : labels) label_ptrs.push_back(&l);
  n.common_labels = Common(label_ptrs);
  n.common_annotations = Common(annotation_ptrs);
  return n;
}

}  // namespace dr::automation::notify
