#include "automation/prometheus.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "dr/result.h"

namespace dr::automation {
namespace {

// Label values escape backslash, double quote and newline; HELP text
// backslash and newline (the exposition format's rules).
std::string Escape(const std::string& s, bool quote) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
  return out;
}

std::string LabelText(const Labels& labels, const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  auto add = [&](const std::string& k, const std::string& v) {
    out += out.empty() ? "{" : ",";
    out += k + "=\"" + Escape(v, true) + "\"";
  };
  for (const auto& [k, v] : labels) add(k, v);
  if (!extra_name.empty()) add(extra_name, extra_value);
  if (!out.empty()) out += "}";
  return out;
}

const char* TypeName(MetricRegistry::Type t) {
  switch (t) {
    case MetricRegistry::Type::kCounter: return "counter";
    case MetricRegistry::Type::kGauge: return "gauge";
    case MetricRegistry::Type::kHistogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  // The shortest text that reads back as the same double (13.073743782, not
  // %.17g's 13.073743781999999).
  char buf[64];
  auto [end, error] = std::to_chars(buf, buf + sizeof(buf), v);
  if (error != std::errc()) {
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    return buf;
  }
  return std::string(buf, end);
}

void MetricRegistry::Declare(const std::string& name, Type type, const std::string& help, std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  for (const auto& f : families_) DR_CHECK(f.name != name) << "metric declared twice: " << name;
  families_.push_back({name, type, help, std::move(buckets), {}});
}

MetricRegistry::Family& MetricRegistry::Find(const std::string& name) {
  for (auto& f : families_) {
    if (f.name == name) return f;
  }
  DR_CHECK(false) << "metric not declared: " << name;
  return families_.front();
}

void MetricRegistry::Set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Find(name).series[labels].value = value;
}

void MetricRegistry::Add(const std::string& name, const Labels& labels, double delta) {
  std::lock_guard lock(mu_);
  Find(name).series[labels].value += delta;
}

void MetricRegistry::Observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Family& f = Find(name);
  Series& s = f.series[labels];
  s.bucket_counts.resize(f.buckets.size());
  if (std::isnan(value)) return;
  for (size_t i = 0; i < f.buckets.size(); ++i) {
    if (value <= f.buckets[i]) ++s.bucket_counts[i];
  }
  ++s.count;
  s.sum += value;
}

double MetricRegistry::Get(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  for (const auto& f : families_) {
    if (f.name != name) continue;
    auto it = f.series.find(labels);
    return it == f.series.end() ? 0 : it->second.value;
  }
  return 0;
}

std::string MetricRegistry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f.name + " " + Escape(f.help, false) + "\n";
    out += "# TYPE " + f.name + " " + TypeName(f.type) + "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != Type::kHistogram) {
        out += f.name + LabelText(labels) + " " + FormatValue(s.value) + "\n";
        continue;
      }
      for (size_t i = 0; i < f.buckets.size(); ++i) {
        uint64_t n = i < s.bucket_counts.size() ? s.bucket_counts[i] : 0;
        out += f.name + "_bucket" + LabelText(labels, "le", FormatValue(f.buckets[i])) + " " + std::to_string(n) + "\n";
      }
      out += f.name + "_bucket" + LabelText(labels, "le", "+Inf") + " " + std::to_string(s.count) + "\n";
      out += f.name + "_sum" + LabelText(labels) + " " + FormatValue(s.sum) + "\n";
      out += f.name + "_count" + LabelText(labels) + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

}  // namespace dr::automation
