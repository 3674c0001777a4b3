// Reading a request's JSON body strictly: bad JSON, a body that is not an
// object, a field of the wrong type and a field the endpoint does not know
// are each kInvalidArgument naming the field (the API answers 400), so a
// typo ("dry-run" for "dry_run") never runs an operation with defaults.
//
//   BodyReader body;
//   DR_RETURN_IF_ERROR(body.Parse(req.body));
//   body.Read("full", full);                 // absent: unchanged
//   body.Read("components", components);
//   DR_RETURN_IF_ERROR(body.Finish());       // the first error, or an unknown field
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/status.h"

namespace dr::server {

class BodyReader {
 public:
  // `where`: how fields are named in messages ("" at the top, "postgresql." inside).
  explicit BodyReader(std::string where = "") : where_(std::move(where)) {}

  // An empty body is {}.
  Status Parse(const std::string& text);
  // Reads the object `object` (a nested one, for Sub).
  void Reset(nlohmann::json object) { object_ = std::move(object); }

  void Read(const char* key, std::string& out);
  void Read(const char* key, bool& out);
  void Read(const char* key, int& out);
  void Read(const char* key, std::vector<std::string>& out);
  // A nested object, read by its own reader (whose errors come back here via Finish).
  bool Sub(const char* key, BodyReader& sub);

  // The first error; else kInvalidArgument naming a field nobody read.
  Status Finish();

 private:
  const nlohmann::json* Take(const char* key, nlohmann::json::value_t type, const char* type_name);

  std::string where_;
  nlohmann::json object_ = nlohmann::json::object();
  std::vector<std::string> read_;
  Status error_;
};

}  // namespace dr::server
