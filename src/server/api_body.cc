#include "server/api_body.h"

#include <algorithm>

namespace dr::server {

using nlohmann::json;

Status BodyReader::Parse(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    object_ = json::object();
    return Status::Ok();
  }
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return InvalidArgument("the request body is not valid JSON");
  if (!parsed.is_object()) return InvalidArgument("the request body must be a JSON object");
  object_ = std::move(parsed);
  return Status::Ok();
}

const json* BodyReader::Take(const char* key, json::value_t type, const char* type_name) {
  read_.push_back(key);
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  bool ok = it->type() == type || (type == json::value_t::number_integer && it->is_number_unsigned());
  if (!ok) {
    if (error_.ok()) error_ = InvalidArgument("field '" + where_ + key + "' must be " + type_name);
    return nullptr;
  }
  return &*it;
}

void BodyReader::Read(const char* key, std::string& out) {
  if (const json* v = Take(key, json::value_t::string, "a string")) out = v->get<std::string>();
}

void BodyReader::Read(const char* key, bool& out) {
  if (const json* v = Take(key, json::value_t::boolean, "true or false")) out = v->get<bool>();
}

void BodyReader::Read(const char* key, int& out) {
  if (const json* v = Take(key, json::value_t::number_integer, "an integer")) {
    if (v->get<int64_t>() < 0 || v->get<int64_t>() > 1000000) {
      if (error_.ok()) error_ = InvalidArgument("field '" + where_ + key + "' is out of range");
      return;
    }
    out = v->get<int>();
  }
}

void BodyReader::Read(const char* key, std::vector<std::string>& out) {
  const json* v = Take(key, json::value_t::array, "an array of strings");
  if (v == nullptr) return;
  std::vector<std::string> values;
  for (const auto& e : *v) {
    if (!e.is_string()) {
      if (error_.ok()) error_ = InvalidArgument("field '" + where_ + key + "' must be an array of strings");
      return;
    }
    values.push_back(e.get<std::string>());
  }
  out = std::move(values);
}

bool BodyReader::Sub(const char* key, BodyReader& sub) {
  const json* v = Take(key, json::value_t::object, "an object");
  if (v == nullptr) return false;
  sub.where_ = where_ + key + ".";
  sub.Reset(*v);
  return true;
}

Status BodyReader::Finish() {
  if (!error_.ok()) return error_;
  for (const auto& [key, value] : object_.items()) {
    if (std::find(read_.begin(), read_.end(), key) == read_.end()) {
      std::string known;
      for (const auto& k : read_) known += (known.empty() ? "" : ", ") + k;
      return InvalidArgument("unknown field '" + where_ + key + "'" +
                             (known.empty() ? " (this endpoint takes no body)" : " (known: " + known + ")"));
    }
  }
  return Status::Ok();
}

}  // namespace dr::server
