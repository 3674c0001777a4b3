#include "base/schedule.h"

#include <map>

#include <gtest/gtest.h>

#include "base/time_util.h"

namespace dr {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TimePoint Utc(const std::string& text) { return *ParseUtc(text); }

Schedule Must(std::string_view kind, std::string_view spec) {
  auto s = Schedule::Parse(kind, spec);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return *s;
}

// Every due time in [from, to).
std::vector<TimePoint> DueTimes(const Schedule& s, TimePoint from, TimePoint to, const cctz::time_zone& zone) {
  std::vector<TimePoint> out;
  TimePoint t = from - std::chrono::seconds(1);
  while (auto next = s.NextAfter(t, zone)) {
    if (*next >= to) break;
    out.push_back(*next);
    t = *next;
  }
  return out;
}

// Due times per local calendar day.
std::map<std::string, int> PerDay(const std::vector<TimePoint>& times, const cctz::time_zone& zone) {
  std::map<std::string, int> days;
  for (auto t : times) ++days[FormatLocal(t, zone).substr(0, 10)];
  return days;
}

TEST(ScheduleTest, AYearOfDailyJobsAcrossBothDstChangesInTwoZones) {
  struct Zone {
    const char* name;
    const char* spring;      // the spring-forward day
    const char* spring_run;  // when the 02:30 job runs that day (the moment clocks jump, in UTC)
    const char* fall;
    const char* fall_run;    // the first 02:30 (Berlin) or 01:30 (New York)
  };
  for (const Zone& z : {Zone{"Europe/Berlin", "2026-03-29", "2026-03-29T01:00:00Z", "2026-10-25", "2026-10-25T00:30:00Z"},
                        Zone{"America/New_York", "2026-03-08", "2026-03-08T07:00:00Z", "2026-11-01",
                             "2026-11-01T05:30:00Z"}}) {
    SCOPED_TRACE(z.name);
    auto zone = LoadZone(z.name);
    ASSERT_TRUE(zone.ok());
    // Berlin repeats 02:00-03:00 in October, New York 01:00-02:00 in November.
    Schedule daily = Must("daily", "02:30");
    Schedule fall_daily = Must("daily", std::string(z.name) == "Europe/Berlin" ? "02:30" : "01:30");
    auto year = DueTimes(daily, Utc("2026-01-01T00:00:00Z"), Utc("2027-01-01T00:00:00Z"), *zone);
    EXPECT_EQ(year.size(), 365u);
    auto days = PerDay(year, *zone);
    EXPECT_EQ(days.size(), 365u);  // once every day, including both change days
    for (const auto& [day, n] : days) EXPECT_EQ(n, 1) << day;
    auto spring = DueTimes(daily, Utc(std::string(z.spring) + "T00:00:00Z"), Utc(std::string(z.spring) + "T23:00:00Z"), *zone);
    ASSERT_EQ(spring.size(), 1u);
    EXPECT_EQ(FormatUtc(spring[0]), z.spring_run);
    auto fall = DueTimes(fall_daily, Utc(std::string(z.fall) + "T00:00:00Z"), Utc(std::string(z.fall) + "T23:00:00Z"), *zone);
    ASSERT_EQ(fall.size(), 1u);
    EXPECT_EQ(FormatUtc(fall[0]), z.fall_run);
  }
}

TEST(ScheduleTest, HourlyJobsRunOnceAnElapsedHourAcrossDstChanges) {
  auto zone = LoadZone("Europe/Berlin");
  ASSERT_TRUE(zone.ok());
  Schedule hourly = Must("cron", "0 * * * *");
  auto year = DueTimes(hourly, Utc("2026-01-01T00:00:00Z"), Utc("2027-01-01T00:00:00Z"), *zone);
  EXPECT_EQ(year.size(), 8760u);
  for (size_t i = 1; i < year.size(); ++i) ASSERT_EQ(year[i] - year[i - 1], hours(1)) << FormatUtc(year[i]);
  auto days = PerDay(year, *zone);
  EXPECT_EQ(days["2026-03-29"], 23);
  EXPECT_EQ(days["2026-10-25"], 25);
  // A job at one fixed hour inside the repeated hour runs once that day.
  Schedule fixed = Must("cron", "15 2 * * *");
  EXPECT_EQ(DueTimes(fixed, Utc("2026-10-24T22:00:00Z"), Utc("2026-10-25T22:00:00Z"), *zone).size(), 1u);
  // Every 15 minutes inside the skipped hour: once, when the clocks jump.
  Schedule skipped = Must("cron", "*/15 2 * * *");
  auto jump = DueTimes(skipped, Utc("2026-03-28T22:00:00Z"), Utc("2026-03-29T22:00:00Z"), *zone);
  ASSERT_EQ(jump.size(), 1u);
  EXPECT_EQ(FormatUtc(jump[0]), "2026-03-29T01:00:00Z");
}

TEST(ScheduleTest, WeeklyMonthlyAndCronFields) {
  auto utc = cctz::utc_time_zone();
  TimePoint from = Utc("2026-01-01T00:00:00Z"), to = Utc("2027-01-01T00:00:00Z");
  Schedule weekly = Must("weekly", "sun 05:00");
  auto sundays = DueTimes(weekly, from, to, utc);
  EXPECT_EQ(sundays.size(), 52u);
  EXPECT_EQ(FormatUtc(sundays[0]), "2026-01-04T05:00:00Z");
  EXPECT_EQ(weekly.expected_interval(), hours(24 * 7));
  EXPECT_EQ(DueTimes(Must("weekly", "mon-fri 22:30"), from, to, utc).size(), 261u);
  Schedule monthly = Must("monthly", "1 04:00");
  EXPECT_EQ(DueTimes(monthly, from, to, utc).size(), 12u);
  EXPECT_EQ(monthly.expected_interval(), hours(24 * 31));
  EXPECT_EQ(DueTimes(Must("monthly", "31 04:00"), from, to, utc).size(), 7u);  // months without a 31st skip
  EXPECT_EQ(DueTimes(Must("monthly", "1,15 04:00"), from, to, utc).size(), 24u);
  EXPECT_EQ(Must("daily", "02:00").expected_interval(), hours(24));
  EXPECT_EQ(Must("cron", "*/15 * * * *").expected_interval(), minutes(15));
  // Day of month and day of week both restricted: either (Vixie cron). 2026 has 12 13ths, 52 Fridays, 3 Friday 13ths.
  EXPECT_EQ(DueTimes(Must("cron", "0 0 13 * fri"), from, to, utc).size(), 12u + 52u - 3u);
  EXPECT_EQ(DueTimes(Must("cron", "0 0 * * 7"), from, to, utc).size(), 52u);  // 7 is Sunday
  EXPECT_EQ(DueTimes(Must("cron", "30 4 1 jan-mar *"), from, to, utc).size(), 3u);
  EXPECT_EQ(DueTimes(Must("cron", "5/20 * 1 1 *"), Utc("2026-01-01T00:00:00Z"), Utc("2026-01-01T01:00:00Z"), utc).size(),
            3u);  // :05 :25 :45
  EXPECT_EQ(DueTimes(Must("cron", "@daily"), from, to, utc).size(), 365u);
  // 29 February: due in 2028 (found within the five-year search).
  auto leap = Must("cron", "0 0 29 2 *").NextAfter(from, utc);
  ASSERT_TRUE(leap.has_value());
  EXPECT_EQ(FormatUtc(*leap), "2028-02-29T00:00:00Z");
}

TEST(ScheduleTest, ALatestMissedRunWithinTheWindow) {
  auto utc = cctz::utc_time_zone();
  Schedule daily = Must("daily", "02:00");
  auto missed = daily.LatestAtOrBefore(Utc("2026-05-03T07:00:00Z"), hours(6), utc);
  ASSERT_TRUE(missed.has_value());
  EXPECT_EQ(FormatUtc(*missed), "2026-05-03T02:00:00Z");
  EXPECT_FALSE(daily.LatestAtOrBefore(Utc("2026-05-03T09:00:00Z"), hours(6), utc).has_value());
  EXPECT_EQ(FormatUtc(*daily.LatestAtOrBefore(Utc("2026-05-03T02:00:00Z"), hours(1), utc)), "2026-05-03T02:00:00Z");
}

TEST(ScheduleTest, MistakesAreNamed) {
  struct Case {
    const char* kind;
    const char* spec;
    const char* says;
  };
  for (const Case& c : {Case{"daily", "25:00", "'25:00' is not a time of day"},
                        Case{"daily", "2am", "'2am' is not a time of day"},
                        Case{"weekly", "05:00", "expected DAY HH:MM"},
                        Case{"weekly", "someday 05:00", "day-of-week field: 'someday' is not a day-of-week"},
                        Case{"monthly", "32 04:00", "day-of-month field: '32' is outside 1-31"},
                        Case{"cron", "61 * * * *", "minute field: '61' is outside 0-59"},
                        Case{"cron", "* * * *", "expected 5 fields"},
                        Case{"cron", "*/0 * * * *", "bad step"},
                        Case{"cron", "0 0 31 2 *", "never due"},
                        Case{"hourly", "x", "unknown schedule kind 'hourly'"}}) {
    auto s = Schedule::Parse(c.kind, c.spec);
    ASSERT_FALSE(s.ok()) << c.kind << " " << c.spec;
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
    EXPECT_NE(s.status().message().find(c.says), std::string::npos) << s.status().message();
  }
  auto zone = LoadZone("Mars/Olympus_Mons");
  ASSERT_FALSE(zone.ok());
  EXPECT_NE(zone.status().message().find("unknown time zone 'Mars/Olympus_Mons'"), std::string::npos);
}

TEST(ScheduleTest, DurationsReadAndWrite) {
  EXPECT_EQ(*ParseDuration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseDuration("15m"), minutes(15));
  EXPECT_EQ(*ParseDuration("6h"), hours(6));
  EXPECT_FALSE(ParseDuration("6").ok());
  EXPECT_FALSE(ParseDuration("-1h").ok());
  EXPECT_FALSE(ParseDuration("1.5h").ok());
  EXPECT_EQ(FormatDuration(hours(4)), "4h");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(90)), "90s");
  EXPECT_EQ(FormatDuration(hours(24 * 14)), "2w");
}

}  // namespace
}  // namespace dr
