// The daemon's status page (GET /): one server-rendered HTML page, no
// script, readable on a phone, for the person paged at 3 a.m. who wants one
// look: is every service healthy, is every component's newest backup within
// the RPO, what runs next, what is firing, how the last failover went, and
// what happened lately.
//
// Rendered from a StatusView document that the daemon assembles from what it
// holds in memory and its event history (never a scan of the repository):
//
//   {"generated_at", "host", "rto_target_seconds", "rpo_target_seconds",
//    "max_backup_age_seconds",
//    "services":   [{"name", "status", "since", "error"}],   (empty: no coordinator)
//    "components": [{"name", "last_backup", "age_seconds"|null, "size_bytes", "jobs": [name]}],
//    "jobs":       [JobStatus::ToJson],
//    "alerts":     [AlertsJson's entries],
//    "last_failover": {event data of failover_completed/_failed} | null,
//    "events":     [Event::ToJson, newest first]}
//
// Every value from outside (names, messages) is HTML-escaped.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace dr::server {

std::string RenderStatusPage(const nlohmann::json& view);

// (HTML escaping: dr::HtmlEscape, base/encoding.h.)

}  // namespace dr::server
