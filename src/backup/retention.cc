#include "backup/retention.h"

#include <algorithm>
#include <ctime>
#include <map>

#include "base/time_util.h"

namespace dr::backup {

using nlohmann::json;

json RetentionDecision::ToJson() const {
  return json{{"backup_id", backup_id}, {"time", time}, {"keep", keep}, {"reasons", reasons}};
}

std::vector<RetentionDecision> DecideRetention(const std::vector<repo::Snapshot>& snapshots,
                                               const RetentionPolicy& policy) {
  struct Entry {
    const repo::Snapshot* snap;
    std::optional<std::chrono::system_clock::time_point> time;
  };
  std::vector<Entry> entries;
  for (const auto& s : snapshots) entries.push_back({&s, ParseUtc(s.start_time)});
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.time && b.time && *a.time != *b.time) return *a.time > *b.time;
    return a.snap->backup_id > b.snap->backup_id;
  });
  struct Rule {
    const char* name;
    const char* format;  // strftime bucket; nullptr for keep-last
    int remaining;
    std::string last_bucket;
  };
  std::vector<Rule> rules = {{"last", nullptr, policy.last, ""},
                             {"daily", "%Y-%m-%d", policy.daily, ""},
                             {"weekly", "%G-W%V", policy.weekly, ""},
                             {"monthly", "%Y-%m", policy.monthly, ""}};
  std::optional<std::chrono::system_clock::time_point> newest;
  for (const auto& e : entries) {
    if (e.time) {
      newest = e.time;
      break;
    }
  }
  std::vector<RetentionDecision> out;
  for (const auto& e : entries) {
    RetentionDecision d{e.snap->backup_id, e.snap->start_time, false, {}};
    if (std::find(e.snap->tags.begin(), e.snap->tags.end(), "pinned") != e.snap->tags.end()) {
      d.reasons.push_back("pinned");
    }
    if (!e.time) {
      d.reasons.push_back("unknown time");
    } else {
      if (policy.within.count() > 0 && newest && *newest - *e.time <= policy.within) d.reasons.push_back("within");
      for (auto& r : rules) {
        if (r.remaining <= 0) continue;
        std::string bucket = r.format ? FormatUtcPattern(*e.time, r.format) : e.snap->backup_id;
        if (bucket == r.last_bucket) continue;
        r.last_bucket = bucket;
        r.remaining--;
        d.reasons.push_back(std::string(r.name) + (r.format ? " " + bucket : ""));
      }
    }
    d.keep = !d.reasons.empty();
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace dr::backup
