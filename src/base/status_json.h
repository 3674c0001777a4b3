// The one JSON form of an error, everywhere a result or event carries one:
// {"code": "<code name>", "message": "..."}. The code is Status's stable name
// (include/dr/status.h), so a script can branch on it as on the exit code.
#pragma once

#include <nlohmann/json.hpp>

#include "dr/status.h"

namespace dr {

inline nlohmann::json ErrorJson(const Status& s) {
  return nlohmann::json{{"code", s.code_name()}, {"message", s.message()}};
}

}  // namespace dr
