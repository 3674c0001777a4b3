// When a scheduled job is due: the guide's daily, weekly and monthly
// schedules, or a cron expression, in a configured time zone.
//
//   daily   "02:00"              every day at 02:00
//   weekly  "sun 05:00"          days as cron's day-of-week field: "mon,thu 05:00", "mon-fri 22:30"
//   monthly "1 04:00"            days of the month as cron's field: "1,15 04:00"; a month without the day skips it
//   cron    "*/15 * * * *"       minute hour day-of-month month day-of-week (Vixie cron: lists, ranges,
//                                steps, names, 0 or 7 for Sunday, day-of-month OR day-of-week when both
//                                are restricted), or @hourly @daily @weekly @monthly @yearly
//
// The cron parser and the search below are written here: no Debian package
// parses cron expressions. Time zones come from cctz (the system's tzdata).
//
// Daylight saving time, as cron users expect it (cronie, Kubernetes):
// - a time that does not exist (02:30 on the spring-forward day) runs once,
//   at the moment the clocks jump (03:00 new time);
// - a time that exists twice (01:30 on the fall-back day) runs once, at its
//   first occurrence, unless the hour field is "every hour" (then the job
//   runs in both hours: an hourly job runs 25 times that day, 23 on the
//   spring-forward day, once an elapsed hour).
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <cctz/time_zone.h>

#include "dr/result.h"

namespace dr {

using TimePoint = std::chrono::system_clock::time_point;

class Schedule {
 public:
  // kind: "daily", "weekly", "monthly" or "cron"; spec as above. Errors
  // (kInvalidArgument) name the kind, the text and what is wrong.
  static Result<Schedule> Parse(std::string_view kind, std::string_view spec);

  // The first time strictly after `after` at which the job is due, in `zone`;
  // nullopt if it is never due in the next five years (a 31 February).
  std::optional<TimePoint> NextAfter(TimePoint after, const cctz::time_zone& zone) const;
  // The latest due time at or before `at` (for runs missed while the daemon
  // was down), searching back no further than `window`; nullopt if none.
  std::optional<TimePoint> LatestAtOrBefore(TimePoint at, std::chrono::seconds window,
                                            const cctz::time_zone& zone) const;

  // As configured: "daily 02:00", "cron */15 * * * *".
  const std::string& text() const { return text_; }
  // The longest gap between two due times (over the next year in UTC): when
  // the job counts as missed (no success within two of these).
  std::chrono::seconds expected_interval() const { return interval_; }

 private:
  bool DayMatches(const cctz::civil_day& day) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;      // 1..31
  std::bitset<13> months_;    // 1..12
  std::bitset<7> weekdays_;   // 0 = Sunday
  bool days_any_ = true;      // the day-of-month field was "*" (cron's rule for day OR weekday)
  bool weekdays_any_ = true;
  std::chrono::seconds interval_{0};
};

// Loads a zone by IANA name ("Europe/Berlin", "UTC"); "" or "local" is the
// system's zone. An unknown name is kInvalidArgument naming it.
Result<cctz::time_zone> LoadZone(const std::string& name);

// "2026-03-29 03:00:00 CEST": a due time as a person in that zone reads it.
std::string FormatLocal(TimePoint t, const cctz::time_zone& zone);

}  // namespace dr
