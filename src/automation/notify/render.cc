#include "automation/notify/render.h"

#include <ctime>

#include "base/time_util.h"

namespace dr::automation::notify {

using nlohmann::json;

namespace {

// Alertmanager's "zero" end time of an alert that has not ended.
constexpr const char* kNoEnd = "0001-01-01T00:00:00Z";

std::string Labels(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ", ") + k + "=" + v;
  return out;
}

std::string HeaderValue(std::string v) {
  for (char& c : v) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return v;
}

std::string Annotation(const Alert& a, const char* key) {
  auto it = a.annotations.find(key);
  return it == a.annotations.end() ? "" : it->second;
}

}  // namespace

std::string Rfc5322Date(std::chrono::system_clock::time_point t) {
  return FormatUtcPattern(t, "%a, %d %b %Y %H:%M:%S +0000");
}

std::string EmailBody(const Notification& n) {
  std::string body = n.Title() + "\n\n";
  body += std::to_string(n.firing_count()) + " firing, " + std::to_string(n.resolved_count()) +
          " resolved, evaluated at " + FormatUtc(n.time) + "\n";
  for (const auto& a : n.alerts) {
    body += "\n" + std::string(a.firing() ? "FIRING" : "RESOLVED") + "  " + a.name + "  (" + a.severity + ")\n";
    if (std::string s = Annotation(a, "summary"); !s.empty()) body += "  summary:     " + s + "\n";
    if (std::string d = Annotation(a, "description"); !d.empty()) body += "  description: " + d + "\n";
    for (const auto& [k, v] : a.annotations) {
      if (k != "summary" && k != "description") body += "  " + k + ": " + v + "\n";
    }
    if (!a.labels.empty()) body += "  labels:      " + Labels(a.labels) + "\n";
    body += "  since:       " + FormatUtc(a.starts_at) + "\n";
    if (a.ends_at) body += "  until:       " + FormatUtc(*a.ends_at) + "\n";
    body += "  fingerprint: " + a.Fingerprint() + "\n";
  }
  body += "\n-- \nsent by ecap-dr\n";
  return body;
}

std::string EmailMessage(const Notification& n, const EmailEnvelope& envelope) {
  std::string to;
  for (const auto& r : envelope.to) to += (to.empty() ? "" : ", ") + HeaderValue(r);
  std::string m;
  m += "From: " + HeaderValue(envelope.from) + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " + HeaderValue(n.Title()) + "\r\n";
  m += "Date: " + Rfc5322Date(n.time) + "\r\n";
  m += "Message-ID: " + HeaderValue(envelope.message_id) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "\r\n";
  for (char c : EmailBody(n)) {
    if (c == '\n') m += "\r\n";
    else m += c;
  }
  return m;
}

json SlackPayload(const Notification& n) {
  std::string text = "*" + n.Title() + "*";
  for (const auto& a : n.alerts) {
    text += "\n• " + std::string(a.firing() ? "FIRING" : "RESOLVED") + " " + a.name + " (" + a.severity + ")";
    if (!a.labels.empty()) text += " " + Labels(a.labels);
    if (std::string s = Annotation(a, "summary"); !s.empty()) text += ": " + s;
    text += ", since " + FormatUtc(a.starts_at);
    if (a.ends_at) text += ", until " + FormatUtc(*a.ends_at);
  }
  return json{{"text", text}};
}

json WebhookPayload(const Notification& n, const std::string& receiver, const std::string& external_url) {
  json alerts = json::array();
  for (const auto& a : n.alerts) {
    alerts.push_back({{"status", StateName(a.state)},
                      {"labels", a.AllLabels()},
                      {"annotations", a.annotations},
                      {"startsAt", FormatUtc(a.starts_at)},
                      {"endsAt", a.ends_at ? FormatUtc(*a.ends_at) : kNoEnd},
                      {"generatorURL", external_url},
                      {"fingerprint", a.Fingerprint()}});
  }
  return json{{"version", "4"},
              {"receiver", receiver},
              {"status", n.status()},
              {"alerts", alerts},
              {"groupLabels", json::object()},
              {"commonLabels", n.common_labels},
              {"commonAnnotations", n.common_annotations},
              {"externalURL", external_url},
              {"groupKey", n.GroupKey()},
              {"truncatedAlerts", 0}};
}

json AlertmanagerPayload(const Notification& n) {
  json out = json::array();
  for (const auto& a : n.alerts) {
    json j{{"labels", a.AllLabels()}, {"annotations", a.annotations}, {"startsAt", FormatUtc(a.starts_at)}};
    if (!a.firing()) j["endsAt"] = FormatUtc(a.ends_at.value_or(n.time));
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<json> PagerDutyEvents(const Notification& n, const std::string& routing_key, const std::string& source) {
  std::vector<json> out;
  for (const auto& a : n.alerts) {
    json event{{"routing_key", routing_key},
               {"event_action", a.firing() ? "trigger" : "resolve"},
               {"dedup_key", "ecap-dr-" + a.Fingerprint()}};
    if (a.firing()) {
      std::string summary = a.name;
      if (!a.labels.empty()) summary += " " + Labels(a.labels);
      if (std::string s = Annotation(a, "summary"); !s.empty()) summary += ": " + s;
      if (summary.size() > 1024) {  // the API's limit; cut between characters, never inside one
        size_t cut = 1021;
        while (cut > 0 && (static_cast<unsigned char>(summary[cut]) & 0xC0) == 0x80) --cut;
        summary = summary.substr(0, cut) + "...";
      }
      // PagerDuty knows critical, error, warning and info.
      std::string severity = a.severity == "critical" || a.severity == "warning" || a.severity == "info" ? a.severity
                                                                                                          : "error";
      json details = json::object();
      for (const auto& [k, v] : a.labels) details[k] = v;
      for (const auto& [k, v] : a.annotations) details[k] = v;
      // The component the alert is about: its first label's value (job, component, service, scenario).
      std::string component = a.labels.empty() ? "ecap-dr" : a.labels.begin()->second;
      event["payload"] = {{"summary", summary},       {"source", source},       {"severity", severity},
                          {"timestamp", FormatUtc(a.starts_at)}, {"component", component}, {"group", "ecap-dr"},
                          {"class", a.name},          {"custom_details", details}};
      event["client"] = "ecap-dr";
    }
    out.push_back(std::move(event));
  }
  return out;
}

}  // namespace dr::automation::notify
