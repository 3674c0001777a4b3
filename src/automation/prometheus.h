// A small metrics registry that renders the Prometheus text exposition format
// (version 0.0.4: # HELP, # TYPE, one line per series). Written here: Debian
// packages no C++ Prometheus client (prometheus-cpp is not in bookworm), and
// the daemon needs only gauges, counters and histograms with fixed labels.
//
// Every series the daemon exports is created at start (Declare + a first
// Set/Add with 0), so none appears late or vanishes between scrapes. Render()
// reads only this registry: a scrape never touches the repository.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace dr::automation {

// Label names and values, in the order they are rendered.
using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricRegistry {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Declares a family; rendered in declaration order. `buckets`: the upper
  // bounds of a histogram's buckets, ascending (+Inf is added).
  void Declare(const std::string& name, Type type, const std::string& help, std::vector<double> buckets = {});
  // Gauges: sets the series' value. Counters: Add only.
  void Set(const std::string& name, const Labels& labels, double value);
  void Add(const std::string& name, const Labels& labels, double delta = 1);
  // Histograms: one observation (creates the series with zero counts when
  // `value` is NaN, to initialise it).
  void Observe(const std::string& name, const Labels& labels, double value);
  // A gauge's current value (0 when unset).
  double Get(const std::string& name, const Labels& labels) const;

  std::string Render() const;

 private:
  struct Series {
    double value = 0;
    std::vector<uint64_t> bucket_counts;  // histograms: cumulative per bucket
    uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    std::string name;
    Type type;
    std::string help;
    std::vector<double> buckets;
    std::map<Labels, Series> series;
  };
  Family& Find(const std::string& name);

  mutable std::mutex mu_;
  std::vector<Family> families_;
};

// A value as the exposition format writes it: integers without a fraction,
// NaN and infinities by name.
std::string FormatValue(double v);

}  // namespace dr::automation
