// Timestamps as people and the guide's JSON read them: ISO 8601 in UTC.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "dr/result.h"

namespace dr {

// "2026-11-26T10:41:00Z" (seconds precision) or with milliseconds when asked.
std::string FormatUtc(std::chrono::system_clock::time_point t, bool millis = false);
// "20261126T104100Z": for generated backup ids.
std::string CompactUtc(std::chrono::system_clock::time_point t);
// A report's month: "YYYY-MM" as given, or the month of `now` (UTC) when "";
// kInvalidArgument "invalid month '...' (use YYYY-MM)" otherwise.
Result<std::string> ReportMonth(const std::string& month, std::chrono::system_clock::time_point now);
// strftime(format) of t in UTC: "%Y-%m-%d" for days, "%G-W%V" for ISO weeks, "%Y-%m" for months.
std::string FormatUtcPattern(std::chrono::system_clock::time_point t, const char* format);
// Parses what FormatUtc writes, with or without milliseconds.
std::optional<std::chrono::system_clock::time_point> ParseUtc(const std::string& text);
// A point in time as a user gives it: "2026-11-26T10:41:00Z", or as
// PostgreSQL writes one, "2026-11-26 10:41:00+00" (a space or T, an optional
// fraction, and Z or an offset: +00, +01:30, -0500). kInvalidArgument naming
// the text and the forms otherwise.
Result<std::chrono::system_clock::time_point> ParseTimeArg(const std::string& text);

// "90s", "15m", "12h", "30d", "2w" and sums of them ("1h30m"), as Prometheus
// writes durations. Errors (kInvalidArgument) name the text and the forms.
Result<std::chrono::seconds> ParseDuration(const std::string& text);
// The shortest of those forms that says `d` exactly: 3600s -> "1h", 90s -> "90s".
std::string FormatDuration(std::chrono::seconds d);

// A duration in seconds with their fraction, as results and printouts give them.
template <typename Rep, typename Period>
double SecondsOf(std::chrono::duration<Rep, Period> d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace dr
