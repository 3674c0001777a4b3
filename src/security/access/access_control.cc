#include "security/access/access_control.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "base/crypto.h"
#include "base/encoding.h"

namespace dr::security {

bool PatternMatches(const std::string& pattern, const std::string& permission) {
  if (pattern == "*" || pattern == permission) return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*") {
    std::string prefix = pattern.substr(0, pattern.size() - 1);  // "backup."
    return permission.rfind(prefix, 0) == 0;
  }
  return false;
}

Decision AccessControl::Check(const std::string& user, const std::string& permission) const {
  if (!config_.enabled) return {true, "access control disabled"};
  auto it = config_.users.find(user);
  if (it == config_.users.end()) return {false, "user '" + user + "' is not listed in access_control.users"};
  for (const auto& pattern : it->second) {
    if (pattern.rfind("role:", 0) == 0) {
      std::string role = pattern.substr(5);
      auto r = config_.roles.find(role);
      if (r == config_.roles.end()) continue;
      for (const auto& rp : r->second) {
        if (PatternMatches(rp, permission)) return {true, "role " + role + " (of user " + user + "): " + rp};
      }
    } else if (PatternMatches(pattern, permission)) {
      return {true, "user " + user + ": " + pattern};
    }
  }
  return {false, "no pattern of user '" + user + "' or its roles covers " + permission};
}

Identity ProcessIdentity() {
  Identity id;
  if (passwd* pw = ::getpwuid(::geteuid())) {
    id.user = pw->pw_name;
  } else {
    id.user = "uid:" + std::to_string(::geteuid());
  }
  id.session = HexEncode(crypto::RandomBytes(6)) + "-" + std::to_string(::getpid());
  id.source = "local";
  if (const char* ssh = std::getenv("SSH_CLIENT"); ssh != nullptr && *ssh != '\0') {
    std::istringstream in(ssh);
    in >> id.source;  // "10.0.0.5 51234 22": the client address
  }
  return id;
}

}  // namespace dr::security
