// What each channel sends, as pure functions of a Notification: the email's
// text, Slack's message, Alertmanager's webhook document (version 4) and its
// postable alerts. Kept apart from the channels so that the shapes are unit
// tested without a server, and the channels only transport.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automation/notify/alert.h"

namespace dr::automation::notify {

// The plain-text body: one block per alert with its state, severity, summary,
// description, labels and since-when (and until-when when resolved).
std::string EmailBody(const Notification& n);

struct EmailEnvelope {
  std::string from;
  std::vector<std::string> to;
  std::string message_id;  // "<...@host>": unique per message
};
// The whole RFC 5322 message (CRLF line ends): From, To, Subject (the
// notification's Title), Date, Message-ID, MIME headers, then EmailBody.
// Header values lose any CR or LF, so an alert's name cannot add headers.
std::string EmailMessage(const Notification& n, const EmailEnvelope& envelope);
// "Wed, 02 Dec 2026 06:00:00 +0000" (RFC 5322 date-time, UTC).
std::string Rfc5322Date(std::chrono::system_clock::time_point t);

// Slack incoming webhook: {"text": "<title>\n• BackupFailed (critical) job=nightly: summary, since ..."}.
nlohmann::json SlackPayload(const Notification& n);

// Alertmanager's webhook document, version "4": receiver, status, alerts[]
// (status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint),
// groupLabels, commonLabels, commonAnnotations, externalURL, groupKey,
// truncatedAlerts. A firing alert's endsAt is "0001-01-01T00:00:00Z", as
// Alertmanager writes it.
nlohmann::json WebhookPayload(const Notification& n, const std::string& receiver, const std::string& external_url);

// Alertmanager's POST /api/v2/alerts body: a list of postable alerts (labels
// with alertname and severity, annotations, startsAt, and endsAt for a
// resolved alert, which tells Alertmanager it resolved).
nlohmann::json AlertmanagerPayload(const Notification& n);

// PagerDuty Events API v2: one event per alert. A firing alert is a
// "trigger" (payload: summary, source, severity, timestamp, component, group,
// class, custom_details) and a resolved one a "resolve"; both carry the dedup
// key "ecap-dr-<fingerprint>", so a repeat updates the open incident instead
// of opening another, and the resolve closes it.
// `source`: where the alert comes from (the daemon's host name).
std::vector<nlohmann::json> PagerDutyEvents(const Notification& n, const std::string& routing_key,
                                            const std::string& source);

}  // namespace dr::automation::notify
