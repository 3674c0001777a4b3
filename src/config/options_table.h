// The one declaration of every configuration key. Each entry binds a YAML
// path to the Config member it fills; the member's C++ type is the key's type,
// and the member's default initializer, read back from a default-constructed
// record, is the key's default. An entry adds the range or accepted values,
// whether the value is a secret, and a line of documentation. Everything else
// iterates this table: the loader reads and validates through it (config.cc),
// Config::ToJson prints and redacts through it, and `ecap-dr config reference`
// renders it as docs/configuration.md (reference.h).
//
// Records: the keys of Config, and of the two kinds of mapping that occur more
// than once (a repository location: `repository` and each of `replicas`; a
// coordinated service: each of `dr_coordinator.services`).
//
// Adding a key: the member, with its default initializer, in config.h; one
// Key(...) line in options_table.cc; then `ecap-dr config reference >
// docs/configuration.md` (a unit test fails until the file is regenerated).
// A default taken from another key also needs a line in ApplyDerivedDefaults
// (config.cc) and a default_text here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dr::config {

enum class OptionType {
  kSection,        // a mapping of further keys of the same record
  kString,
  kInt,            // an integer: digits with an optional sign, nothing else
  kNumber,         // a finite decimal number: 60, 0.5, 1e3
  kBool,           // true, false, yes, no
  kStringList,
  kStringListMap,  // a mapping of any name to a list of strings (access_control.users)
  kRecord,         // a mapping of the keys of another record (repository)
  kRecordList,     // a list of mappings of the keys of another record (replicas)
};

enum class Secrecy : uint8_t {
  kNone,
  kSecret,        // printed as "***" when redacted (when not empty)
  kSecretValues,  // a "key=value" list: the values of keys naming a password or secret are "***"
};

// The optional parts of a declaration, given with designated initializers.
struct OptionDetails {
  double min = 0;  // kInt / kNumber
  double max = 0;  // max <= min: no upper bound
  std::string_view allowed = {};  // kString: the accepted values, "a|b|c"; empty: any
  Secrecy secrecy = Secrecy::kNone;
  // The default as the reference shows it, when the member's initializer is not
  // the whole story (a default taken from another key at load time).
  std::string_view default_text = {};
};

struct RecordType;

struct Option {
  std::string_view path;  // relative to its record: "retention_policies.daily"
  OptionType type;
  std::string_view doc;
  OptionDetails details;
  // The member inside a record of this option's RecordType; nullptr for kSection.
  // The pointee's type is the one `type` names (std::string, int, double, bool,
  // std::vector<std::string>, std::map<std::string, std::vector<std::string>>,
  // the record, or a std::vector of it), which the table builder guarantees.
  void* (*field)(void* record) = nullptr;
  const RecordType* record = nullptr;  // kRecord, kRecordList: the element's keys

  bool secret() const { return details.secrecy != Secrecy::kNone; }
};

// A struct whose members the table binds, with its keys and the type-erased
// operations the loader and the printer need on it.
struct RecordType {
  std::string_view name;
  std::vector<Option> options;  // in table order; a section comes before its keys
  std::shared_ptr<void> (*make_default)() = nullptr;  // a default-constructed record
  // On a std::vector of the record (kRecordList):
  size_t (*size)(const void* list) = nullptr;
  void* (*at)(void* list, size_t index) = nullptr;
  void* (*append)(void* list) = nullptr;  // a default-constructed element, appended

  // Returns nullptr when path (relative to this record) is not declared.
  const Option* Find(std::string_view path) const;
};

// The keys of Config: the root of the configuration file.
const RecordType& ConfigKeys();

// The value `option` binds inside `record`, as `config check --json` prints it:
// with redact, a secret that is not empty is "***".
nlohmann::json OptionToJson(const Option& option, const void* record, bool redact);
// Every key of `record`, nested as in the YAML file (a section is an object).
nlohmann::json RecordToJson(const RecordType& keys, const void* record, bool redact);

// The member `option` binds inside `record` (a record of the option's RecordType).
inline void* FieldOf(const Option& option, void* record) { return option.field(record); }
inline const void* FieldOf(const Option& option, const void* record) {
  // The accessor only takes the member's address; nothing is written through it.
  return option.field(const_cast<void*>(record));
}

}  // namespace dr::config
