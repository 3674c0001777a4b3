// One email over SMTP with libcurl: the envelope, the whole message, and the
// server's answer turned into a Status a person can act on.
//
// The password travels only to libcurl; no message of this module contains it
// (the errors name the server as host:port and the SMTP reply code).
#pragma once

#include <string>
#include <vector>

#include "dr/status.h"

namespace dr::net {

struct SmtpRequest {
  std::string host;        // "smtp.company.com" or an address
  int port = 25;
  bool implicit_tls = false;  // smtps:// (port 465); else plain smtp://
  bool starttls = false;      // upgrade with STARTTLS and refuse to go on without it
  std::string username;       // AUTH when not empty
  std::string password;       // secret
  std::string from;           // envelope sender
  std::vector<std::string> to;  // envelope recipients
  std::string message;        // the RFC 5322 message, CRLF line ends (headers and body)
  long timeout_ms = 30000;
};

// Sends the message once (the caller retries). Returns:
//   kUnavailable  the server could not be reached, timed out, or answered 4xx
//                 (transient: worth retrying);
//   kFailed       the server refused the login, STARTTLS, the sender, a
//                 recipient or the message with a permanent 5xx reply, or TLS
//                 verification failed (retrying does not help);
//   kInvalidArgument  no recipient.
// Messages read "SMTP server host:port refused the login (535)".
Status SmtpSend(const SmtpRequest& request);

}  // namespace dr::net
