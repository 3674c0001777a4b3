// DNS for failover: asking a name server for a name's A records, and changing
// them by RFC 2136 dynamic update signed with TSIG (RFC 8945), as a
// compare-and-swap: the update carries the old address as a prerequisite, so
// it applies only if the record still points where the coordinator believes.
// Messages, TSIG and transport are libldns's.
#pragma once

#include <string>
#include <vector>

#include "dr/result.h"

namespace dr::coordinator {

struct Endpoint {
  std::string host;
  int port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};
// "127.0.0.1:5353" or "10.0.0.53" (default_port).
Result<Endpoint> ParseEndpoint(const std::string& text, int default_port);

struct TsigKey {
  std::string name;
  std::string algorithm;  // "hmac-sha256"
  std::string secret;     // base64
};
// A BIND key file as tsig-keygen writes it: key "name" { algorithm hmac-sha256; secret "..."; };
Result<TsigKey> LoadTsigKey(const std::string& path);

// The A records of name (asked of that server, no recursion). kNotFound when it has none.
Result<std::vector<std::string>> ResolveA(const Endpoint& server, const std::string& name, double timeout_seconds);

// Replaces name's A records by new_address, only if they are exactly {old_address}.
// A server that refuses the prerequisite gives kFailed naming what it holds now.
Status SwapARecord(const Endpoint& server, const std::string& zone, const std::string& name,
                   const std::string& old_address, const std::string& new_address, int ttl, const TsigKey& key,
                   double timeout_seconds);

}  // namespace dr::coordinator
