#include "base/schedule.h"

#include <array>
#include <charconv>
#include <vector>

#include <cctz/civil_time.h>

namespace dr {
namespace {

using cctz::civil_day;
using cctz::civil_hour;
using cctz::civil_minute;
using cctz::civil_second;

// No UTC offset changes by more than this at once: civil times this far before
// `after`'s are before it in absolute time too (the search starts there).
constexpr int kMaxOffsetJumpMinutes = 180;
constexpr int kSearchYears = 5;  // a 29 February comes at least once in five years

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One field of a cron expression: its range and the names it accepts (index = value - names_base).
struct FieldSpec {
  const char* what;
  int lo, hi;
  std::vector<std::string_view> names;
  int names_base = 0;
};

const FieldSpec kMinute{"minute", 0, 59, {}};
const FieldSpec kHour{"hour", 0, 23, {}};
const FieldSpec kDay{"day-of-month", 1, 31, {}};
const FieldSpec kMonth{"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}, 1};
// 7 is Sunday too (Vixie cron).
const FieldSpec kWeekday{"day-of-week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}, 0};

std::optional<int> Value(std::string_view text, const FieldSpec& f) {
  std::string lower = Lower(text);
  for (size_t i = 0; i < f.names.size(); ++i) {
    if (lower == f.names[i]) return static_cast<int>(i) + f.names_base;
  }
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

// Sets the values `field` names in `bits` (index = value). Returns "" or what is wrong.
template <size_t N>
std::string ParseField(std::string_view field, const FieldSpec& f, std::bitset<N>& bits) {
  for (std::string_view item : Split(field, ',')) {
    std::string_view range = item;
    int step = 1;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      auto s = Value(item.substr(slash + 1), FieldSpec{f.what, 1, f.hi, {}});
      if (!s || *s < 1) return "bad step in '" + std::string(item) + "'";
      step = *s;
    }
    int lo = f.lo, hi = f.hi;
    if (range != "*") {
      auto dash = range.find('-');
      auto first = Value(range.substr(0, dash), f);
      if (!first) return "'" + std::string(range.substr(0, dash)) + "' is not a " + f.what;
      lo = *first;
      if (dash != std::string_view::npos) {
        auto last = Value(range.substr(dash + 1), f);
        if (!last) return "'" + std::string(range.substr(dash + 1)) + "' is not a " + f.what;
        hi = *last;
      } else if (step == 1) {
        hi = lo;  // "5" is 5; "5/15" is 5, 20, 35, 50 (Vixie cron)
      }
    }
    if (lo < f.lo || hi > f.hi || lo > hi) {
      return "'" + std::string(item) + "' is outside " + std::to_string(f.lo) + "-" + std::to_string(f.hi);
    }
    for (int v = lo; v <= hi; v += step) bits.set(static_cast<size_t>(v % static_cast<int>(N)));
  }
  return "";
}

// "02:00" -> {"0", "2"}: the minute and hour fields of a cron expression.
std::optional<std::pair<std::string, std::string>> ParseClock(std::string_view hhmm) {
  auto colon = hhmm.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || hhmm.size() - colon != 3) return std::nullopt;
  auto h = Value(hhmm.substr(0, colon), kHour);
  auto m = Value(hhmm.substr(colon + 1), kMinute);
  if (!h || !m || *h < 0 || *h > 23 || *m < 0 || *m > 59) return std::nullopt;
  return std::pair{std::to_string(*m), std::to_string(*h)};
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> Fields(std::string_view text) {
  std::vector<std::string> out;
  for (auto part : Split(text, ' ')) {
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

TimePoint FromCctz(cctz::time_point<cctz::seconds> t) { return std::chrono::time_point_cast<TimePoint::duration>(t); }

}  // namespace

Result<Schedule> Schedule::Parse(std::string_view kind, std::string_view spec_in) {
  std::string spec = Trim(spec_in);
  auto bad = [&](const std::string& why) {
    return InvalidArgument(std::string(kind) + " schedule '" + spec + "': " + why);
  };
  std::string cron;
  std::vector<std::string> words = Fields(spec);
  if (kind == "cron") {
    static const std::array<std::pair<std::string_view, std::string_view>, 6> kMacros = {{
        {"@hourly", "0 * * * *"}, {"@daily", "0 0 * * *"}, {"@midnight", "0 0 * * *"},
        {"@weekly", "0 0 * * 0"}, {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"}}};
    cron = spec;
    for (const auto& [name, expansion] : kMacros) {
      if (spec == name) cron = expansion;
    }
    if (spec == "@annually") cron = "0 0 1 1 *";
  } else if (kind == "daily" || kind == "weekly" || kind == "monthly") {
    size_t want = kind == "daily" ? 1 : 2;
    const char* form = kind == "daily" ? "HH:MM, e.g. 02:00" : kind == "weekly" ? "DAY HH:MM, e.g. sun 05:00"
                                                                               : "DAY-OF-MONTH HH:MM, e.g. 1 04:00";
    if (words.size() != want) return bad(std::string("expected ") + form);
    auto clock = ParseClock(words.back());
    if (!clock) return bad("'" + words.back() + "' is not a time of day (HH:MM)");
    auto [minute, hour] = *clock;
    if (kind == "daily") cron = minute + " " + hour + " * * *";
    if (kind == "weekly") cron = minute + " " + hour + " * * " + words[0];
    if (kind == "monthly") cron = minute + " " + hour + " " + words[0] + " * *";
  } else {
    return InvalidArgument("unknown schedule kind '" + std::string(kind) + "' (daily, weekly, monthly or cron)");
  }

  std::vector<std::string> fields = Fields(cron);
  if (fields.size() != 5) {
    return bad("expected 5 fields (minute hour day-of-month month day-of-week), got " + std::to_string(fields.size()));
  }
  Schedule s;
  s.text_ = std::string(kind) + " " + spec;
  std::bitset<8> weekdays;  // 0..7, 7 folded onto 0 below
  const std::pair<const FieldSpec*, std::string> parsed[] = {
      {&kMinute, ParseField(fields[0], kMinute, s.minutes_)}, {&kHour, ParseField(fields[1], kHour, s.hours_)},
      {&kDay, ParseField(fields[2], kDay, s.days_)},          {&kMonth, ParseField(fields[3], kMonth, s.months_)},
      {&kWeekday, ParseField(fields[4], kWeekday, weekdays)}};
  for (const auto& [field, error] : parsed) {
    if (!error.empty()) return bad(std::string(field->what) + " field: " + error);
  }
  for (size_t d = 0; d < 7; ++d) s.weekdays_[d] = weekdays[d];
  if (weekdays[7]) s.weekdays_[0] = true;
  s.days_any_ = fields[2].front() == '*';
  s.weekdays_any_ = fields[4].front() == '*';

  // The longest gap between due times over the next year (at most 400 of them), in UTC.
  const cctz::time_zone utc = cctz::utc_time_zone();
  TimePoint from = std::chrono::system_clock::from_time_t(1767225600);  // 2026-01-01T00:00:00Z
  auto first = s.NextAfter(from, utc);
  if (!first) return bad("it is never due (no such day in " + std::to_string(kSearchYears) + " years)");
  TimePoint prev = *first;
  std::chrono::seconds longest{0};
  for (int i = 0; i < 400 && prev - *first < std::chrono::hours(24 * 366); ++i) {
    auto next = s.NextAfter(prev, utc);
    if (!next) break;
    longest = std::max(longest, std::chrono::duration_cast<std::chrono::seconds>(*next - prev));
    prev = *next;
  }
  s.interval_ = longest.count() > 0 ? longest : std::chrono::hours(24 * 366);
  return s;
}

bool Schedule::DayMatches(const civil_day& day) const {
  bool dom = days_[static_cast<size_t>(day.day())];
  // cctz: Monday = 0 .. Sunday = 6; cron: Sunday = 0.
  int wd = (static_cast<int>(cctz::get_weekday(day)) + 1) % 7;
  bool dow = weekdays_[static_cast<size_t>(wd)];
  if (days_any_ && weekdays_any_) return true;
  if (days_any_) return dow;
  if (weekdays_any_) return dom;
  return dom || dow;  // both restricted: either (Vixie cron)
}

std::optional<TimePoint> Schedule::NextAfter(TimePoint after, const cctz::time_zone& zone) const {
  const civil_minute start(cctz::convert(std::chrono::time_point_cast<cctz::seconds>(after), zone));
  const civil_minute end = start + kSearchYears * 366 * 24 * 60;
  std::optional<TimePoint> best;
  civil_minute best_civil;
  // Walk civil minutes in order, skipping whole days and hours that cannot
  // match. Civil order and time order differ only around a DST change, so
  // once a due time is found, minutes up to kMaxOffsetJumpMinutes later may
  // still hold an earlier one (the second 01:30 comes after 01:45's first).
  for (civil_minute m = start - kMaxOffsetJumpMinutes; m < end;) {
    if (best && m > best_civil + kMaxOffsetJumpMinutes) break;
    const civil_day day(m);
    if (!months_[static_cast<size_t>(m.month())] || !DayMatches(day)) {
      m = civil_minute(day + 1);
      continue;
    }
    if (!hours_[static_cast<size_t>(m.hour())]) {
      m = civil_minute(civil_hour(m) + 1);
      continue;
    }
    if (minutes_[static_cast<size_t>(m.minute())]) {
      const auto lookup = zone.lookup(civil_second(m));
      auto consider = [&](TimePoint t) {
        if (t > after && (!best || t < *best)) {
          best = t;
          best_civil = m;
        }
      };
      switch (lookup.kind) {
        case cctz::time_zone::civil_lookup::UNIQUE: consider(FromCctz(lookup.pre)); break;
        case cctz::time_zone::civil_lookup::SKIPPED: consider(FromCctz(lookup.trans)); break;
        case cctz::time_zone::civil_lookup::REPEATED:
          consider(FromCctz(lookup.pre));
          if (hours_.all()) consider(FromCctz(lookup.post));
          break;
      }
    }
    ++m;
  }
  return best;
}

std::optional<TimePoint> Schedule::LatestAtOrBefore(TimePoint at, std::chrono::seconds window,
                                                    const cctz::time_zone& zone) const {
  std::optional<TimePoint> latest;
  TimePoint from = at - window - std::chrono::seconds(1);
  while (auto next = NextAfter(from, zone)) {
    if (*next > at) break;
    latest = *next;
    from = *next;
  }
  return latest;
}

Result<cctz::time_zone> LoadZone(const std::string& name) {
  if (name.empty() || name == "local") return cctz::local_time_zone();
  cctz::time_zone zone;
  if (!cctz::load_time_zone(name, &zone)) {
    return InvalidArgument("unknown time zone '" + name + "' (an IANA name such as Europe/Berlin or UTC; is tzdata installed?)");
  }
  return zone;
}

std::string FormatLocal(TimePoint t, const cctz::time_zone& zone) {
  return cctz::format("%Y-%m-%d %H:%M:%S %Z", std::chrono::time_point_cast<cctz::seconds>(t), zone);
}

}  // namespace dr
