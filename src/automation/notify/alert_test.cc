#include "automation/notify/alert.h"

#include "automation/notify/repeat_gate.h"
#include "base/time_util.h"
#include "test/support/test_support.h"

namespace dr::automation::notify {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const auto kT0 = *ParseUtc("2026-12-02T06:00:00Z");

Alert Make(std::string name, std::map<std::string, std::string> labels, AlertState state = AlertState::kFiring) {
  return Alert{.name = std::move(name),
               .labels = std::move(labels),
               .annotations = {{"summary", "something is wrong"}},
               .severity = "critical",
               .state = state,
               .starts_at = kT0 - hours(1)};
}

TEST(AlertTest, FingerprintIsStableAndPinned) {
  Alert a = Make("BackupFailed", {{"job", "nightly"}, {"component", "postgresql"}});
  // Pinned: a change of the hash input would make every running alert new.
  EXPECT_EQ(a.Fingerprint(), "b9e55940d08b82ac");
  EXPECT_EQ(a.Fingerprint().size(), 16u);
  Alert b;
  b.labels["component"] = "postgresql";  // other insertion order, other everything but name and labels
  b.labels["job"] = "nightly";
  b.name = "BackupFailed";
  b.severity = "warning";
  b.state = AlertState::kResolved;
  b.annotations = {{"summary", "other"}};
  EXPECT_EQ(a.Fingerprint(), b.Fingerprint());
  EXPECT_NE(a.Fingerprint(), Make("BackupFailed", {{"job", "weekly"}, {"component", "postgresql"}}).Fingerprint());
  EXPECT_NE(a.Fingerprint(), Make("BackupTooOld", {{"job", "nightly"}, {"component", "postgresql"}}).Fingerprint());
  // Field boundaries are part of the hash.
  EXPECT_NE(Make("A", {{"ab", "c"}}).Fingerprint(), Make("A", {{"a", "bc"}}).Fingerprint());
}

TEST(AlertTest, NotificationGroupsAnEvaluation) {
  Notification n = MakeNotification({Make("BackupTooOld", {{"job", "nightly"}}, AlertState::kResolved),
                                     Make("BackupTooOld", {{"job", "weekly"}}),
                                     Make("BackupFailed", {{"job", "nightly"}})},
                                    kT0);
  ASSERT_EQ(n.alerts.size(), 3u);
  EXPECT_EQ(n.alerts[0].name, "BackupFailed");  // firing first, then by name
  EXPECT_EQ(n.alerts[1].name, "BackupTooOld");
  EXPECT_FALSE(n.alerts[2].firing());
  EXPECT_EQ(n.firing_count(), 2u);
  EXPECT_EQ(n.resolved_count(), 1u);
  EXPECT_STREQ(n.status(), "firing");
  EXPECT_EQ(n.Title(), "[FIRING:2] ecap-dr: BackupFailed, BackupTooOld");
  EXPECT_EQ(n.common_labels, (std::map<std::string, std::string>{{"severity", "critical"}}));
  EXPECT_EQ(n.common_annotations, (std::map<std::string, std::string>{{"summary", "something is wrong"}}));
  EXPECT_EQ(n.GroupKey(), "{}:{alertname=~\"BackupFailed|BackupTooOld\"}");

  Notification resolved = MakeNotification({Make("BackupTooOld", {{"job", "nightly"}}, AlertState::kResolved)}, kT0);
  EXPECT_EQ(resolved.Title(), "[RESOLVED] ecap-dr: BackupTooOld");
  EXPECT_STREQ(resolved.status(), "resolved");
}

TEST(RepeatGateTest, NewAtOnceRepeatAfterIntervalResolvedOnce) {
  RepeatGate gate(std::chrono::duration_cast<std::chrono::seconds>(hours(4)));
  Alert failed = Make("BackupFailed", {{"job", "nightly"}});
  Alert resolved = failed;
  resolved.state = AlertState::kResolved;
  EXPECT_EQ(gate.Filter({failed}, kT0).size(), 1u);                         // new
  EXPECT_EQ(gate.Filter({failed}, kT0 + minutes(5)).size(), 0u);            // repeat suppressed
  EXPECT_EQ(gate.Filter({failed}, kT0 + hours(4)).size(), 1u);              // repeat interval passed
  EXPECT_EQ(gate.Filter({resolved}, kT0 + hours(5)).size(), 1u);            // resolved: told once
  EXPECT_EQ(gate.Filter({resolved}, kT0 + hours(6)).size(), 0u);
  EXPECT_EQ(gate.Filter({failed}, kT0 + hours(7)).size(), 1u);              // fires again: new
  Alert never_told = Make("BackupTooOld", {{"job", "x"}}, AlertState::kResolved);
  EXPECT_EQ(gate.Filter({never_told}, kT0).size(), 0u);
}

}  // namespace
}  // namespace dr::automation::notify
