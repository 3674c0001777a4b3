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
  // Digits where digits go, nothing else: "YYYY-MM-DD?HH:MM:SS" first.
  auto digits = [&](size_t at, size_t n, int& out) {
    if (at + n > text.size()) return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(0, 4, year) || text.size() < 19 || text[4] != '-' || !digits(5, 2, month) || text[7] != '-' ||
      !digits(8, 2, day) || (text[10] != 'T' && text[10] != ' ') || !digits(11, 2, hour) || text[13] != ':' ||
      !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second)) {
    return bad();
  }
  if (hour > 23 || minute > 59 || second > 59) return bad();
  size_t pos = 19;
  std::chrono::nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    int64_t scale = 100000000;
    size_t first = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == first) return bad();
  }
  std::string zone = text.substr(pos);
  int offset_minutes = 0;
  if (zone != "Z") {
    int hours = 0, minutes = 0;
    bool ok = zone.size() >= 3 && (zone[0] == '+' || zone[0] == '-') && digits(pos + 1, 2, hours) &&
              (zone.size() == 3 || (zone.size() == 6 && zone[3] == ':' && digits(pos + 4, 2, minutes)) ||
               (zone.size() == 5 && digits(pos + 3, 2, minutes)));
    if (!ok || hours > 14 || minutes > 59) return bad();
    offset_minutes = (zone[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t secs = timegm(&tm);
  // A day that does not exist (February 30th) comes back as another: refused, not moved.
  std::tm back{};
  if (gmtime_r(&secs, &back) == nullptr || back.tm_year != year - 1900 || back.tm_mon != month - 1 ||
      back.tm_mday != day) {
    return bad();
  }
  auto t = std::chrono::system_clock::from_time_t(secs) - std::chrono::minutes(offset_minutes);
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
