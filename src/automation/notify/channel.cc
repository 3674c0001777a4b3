#include "automation/notify/channel.h"

#include <algorithm>

namespace dr::automation::notify {

Redactor::Redactor(const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) Add(s);
}

void Redactor::Add(const std::string& secret) {
  if (secret.empty()) return;
  secrets_.push_back(secret);
  // A URL's path and query carry a webhook's token; libraries may print them
  // without the host ("POST /services/T0/B0/XYZ").
  if (auto scheme = secret.find("://"); scheme != std::string::npos) {
    if (auto path = secret.find('/', scheme + 3); path != std::string::npos && path + 1 < secret.size()) {
      secrets_.push_back(secret.substr(path));
    }
  }
  // Longest first, so that a secret containing another is replaced whole.
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string Redactor::operator()(std::string text) const {
  for (const auto& s : secrets_) {
    for (size_t at = text.find(s); at != std::string::npos; at = text.find(s, at + 3)) text.replace(at, s.size(), "***");
  }
  return text;
}

std::string RedactUrl(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "(url)";
  size_t host_start = scheme + 3;
  size_t host_end = url.find_first_of("/?#", host_start);
  std::string authority = url.substr(host_start, host_end == std::string::npos ? std::string::npos : host_end - host_start);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);  // user:password@
  std::string out = url.substr(0, host_start) + authority;
  if (host_end != std::string::npos && host_end + 1 < url.size()) out += "/...";
  return out;
}

Status HttpOutcome(const Result<net::HttpReply>& reply, const std::string& target, const Redactor* redact) {
  if (!reply.ok()) return Unavailable(target + " is unreachable: " + reply.status().message());
  long code = reply->status;
  if (code >= 200 && code < 300) return Status::Ok();
  std::string body = (redact != nullptr ? (*redact)(reply->body) : reply->body).substr(0, 200);
  for (char& c : body) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::string message = target + " answered " + std::to_string(code) + (body.empty() ? "" : ": " + body);
  if (code == 408 || code == 429 || code >= 500) return Unavailable(message);
  return Failed(message);
}

}  // namespace dr::automation::notify
