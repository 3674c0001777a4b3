#include "base/time_util.h"

#include <charconv>
#include <ctime>
#include <cstdio>

namespace dr {

std::string FormatUtc(std::chrono::system_clock::time_point t, bool millis) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (millis) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    if (ms < 0) ms += 1000;
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(ms));
    out += buf;
  }
  return out + "Z";
}

std::string FormatUtcPattern(std::chrono::system_clock::time_point t, const char* format) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string CompactUtc(std::chrono::system_clock::time_point t) { return FormatUtcPattern(t, "%Y%m%dT%H%M%SZ"); }

Result<std::string> ReportMonth(const std::string& month, std::chrono::system_clock::time_point now) {
  std::string m = month.empty() ? FormatUtcPattern(now, "%Y-%m") : month;
  int number = m.size() == 7 ? std::atoi(m.c_str() + 5) : 0;
  if (m.size() != 7 || m[4] != '-' || number < 1 || number > 12 || !ParseUtc(m + "-01T00:00:00Z")) {
    return InvalidArgument("invalid month '" + month + "' (use YYYY-MM)");
  }
  return m;
}

std::optional<std::chrono::system_clock::time_point> ParseUtc(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  std::string rest = text.substr(static_cast<size_t>(consumed));
  if (!rest.empty() && rest[0] == '.') {
    if (std::sscanf(rest.c_str(), ".%3d", &ms) != 1) return std::nullopt;
    rest = rest.substr(4);
  }
  if (rest != "Z") return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = timegm(&tm);
  return std::chrono::system_clock::from_time_t(secs) + std::chrono::milliseconds(ms);
}

Result<std::chrono::system_clock::time_point> ParseTimeArg(const std::string& text) {
  auto bad = [&] {
    return InvalidArgument("invalid time '" + text + "' (use 2026-11-26T10:41:00Z or \"2026-11-26 10:41:00+00\")");
  };
  std::tm tm{};
  int consumed = 0;
  char sep = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &sep,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 7 ||
      (sep != 'T' && sep != ' ')) {
    return bad();
  }
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return bad();
  }
  std::string rest = text.substr(static_cast<size_t>(consumed));
  std::chrono::nanoseconds fraction{0};
  if (!rest.empty() && rest[0] == '.') {
    size_t digits = 1;
    int64_t scale = 100000000;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
      fraction += std::chrono::nanoseconds((rest[digits] - '0') * scale);
      scale /= 10;
      ++digits;
    }
    if (digits == 1) return bad();
    rest = rest.substr(digits);
  }
  int offset_minutes = 0;
  if (rest != "Z") {
    int hours = 0, minutes = 0;
    char sign = rest.empty() ? 0 : rest[0];
    std::string zone = rest.size() > 1 ? rest.substr(1) : "";
    bool ok = (sign == '+' || sign == '-') &&
              ((zone.size() == 2 && std::sscanf(zone.c_str(), "%2d", &hours) == 1) ||
               (zone.size() == 5 && zone[2] == ':' && std::sscanf(zone.c_str(), "%2d:%2d", &hours, &minutes) == 2) ||
               (zone.size() == 4 && std::sscanf(zone.c_str(), "%2d%2d", &hours, &minutes) == 2));
    if (!ok || hours > 14 || minutes > 59) return bad();
    offset_minutes = (sign == '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  auto t = std::chrono::system_clock::from_time_t(timegm(&tm)) - std::chrono::minutes(offset_minutes);
  return t + std::chrono::duration_cast<std::chrono::system_clock::duration>(fraction);
}

Result<std::chrono::seconds> ParseDuration(const std::string& text) {
  auto bad = [&] { return InvalidArgument("invalid duration '" + text + "' (use 90s, 30m, 4h, 1d, 2w or 1h30m)"); };
  if (text.empty()) return bad();
  long long total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i == text.size() || i - start > 9) return bad();
    long long n = std::stoll(text.substr(start, i - start));
    switch (text[i++]) {
      case 's': total += n; break;
      case 'm': total += n * 60; break;
      case 'h': total += n * 3600; break;
      case 'd': total += n * 86400; break;
      case 'w': total += n * 7 * 86400; break;
      default: return bad();
    }
  }
  return std::chrono::seconds(total);
}

std::string FormatDuration(std::chrono::seconds d) {
  const std::pair<long, char> units[] = {{7 * 86400, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}};
  for (auto [size, unit] : units) {
    if (d.count() != 0 && d.count() % size == 0) return std::to_string(d.count() / size) + unit;
  }
  return std::to_string(d.count()) + "s";
}

}  // namespace dr
