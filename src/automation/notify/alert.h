// Alerts and notifications: the data every channel renders.
//
// An Alert is one condition (BackupFailed for job "nightly"), firing or
// resolved, identified by a stable fingerprint over its name and labels, so
// that the alert of the next evaluation is recognised as the same one (repeat
// suppression, Alertmanager de-duplication). Labels are of low cardinality
// only (job, component, service): never a backup id or a timestamp, which
// would make every evaluation a new alert.
//
// A Notification is the alerts of one evaluation, grouped: each channel sends
// one message per Notification (one email, one Slack post, one webhook call),
// whatever the number of alerts in it.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dr::automation::notify {

enum class AlertState { kFiring, kResolved };

// "firing" or "resolved", as Alertmanager writes them.
const char* StateName(AlertState state);

struct Alert {
  std::string name;                               // the alertname: "BackupFailed"
  std::map<std::string, std::string> labels;      // job, component, service (sorted by key)
  std::map<std::string, std::string> annotations; // summary, description
  std::string severity = "warning";               // critical, warning, info
  AlertState state = AlertState::kFiring;
  std::chrono::system_clock::time_point starts_at;
  // When a resolved alert stopped firing; unset while firing.
  std::optional<std::chrono::system_clock::time_point> ends_at;

  bool firing() const { return state == AlertState::kFiring; }
  // 16 hex digits of SHA-256 over the name and the sorted labels (not the
  // severity, annotations, state or times): the same for the same condition
  // in every evaluation and every process.
  std::string Fingerprint() const;
  // The labels with alertname and severity added, as Alertmanager sees them.
  std::map<std::string, std::string> AllLabels() const;
};

struct Notification {
  std::vector<Alert> alerts;  // firing first, then by name and fingerprint (MakeNotification)
  std::chrono::system_clock::time_point time;  // when the evaluation ran
  // Labels and annotations every alert has with the same value.
  std::map<std::string, std::string> common_labels;
  std::map<std::string, std::string> common_annotations;

  size_t firing_count() const;
  size_t resolved_count() const;
  // "firing" when any alert fires, else "resolved".
  const char* status() const;
  // Identifies the group for receivers that de-duplicate ("{}:{alertname=~\"...\"}"),
  // stable for the same set of alert names.
  std::string GroupKey() const;
  // "[FIRING:2] ecap-dr: BackupFailed, BackupTooOld" (the names of the firing
  // alerts; of the resolved ones when none fires: "[RESOLVED] ...").
  std::string Title() const;
};

// Groups the alerts of one evaluation into one Notification at `time`:
// sorted, with the common labels and annotations computed.
Notification MakeNotification(std::vector<Alert> alerts, std::chrono::system_clock::time_point time);

}  // namespace dr::automation::notify
