// The declaration of every configuration key: its type, whether it is a secret,
// its range, and a line of documentation. The loader validates against it,
// `config check` prints from it. Keys with '*' match any map key at that level.
#pragma once

#include <span>
#include <string_view>

namespace dr::config {

// kSectionList: a list of mappings whose keys are declared under "<path>.*.<key>".
enum class OptionType { kSection, kString, kInt, kNumber, kBool, kStringList, kSectionList };

struct OptionSpec {
  std::string_view path;
  OptionType type;
  bool secret = false;
  double min = 0;  // for kInt / kNumber
  double max = 0;  // max <= min: unbounded
  std::string_view doc;
  std::string_view allowed = {};  // kString: the accepted values, "a|b|c"; empty: any
};

// Returns nullptr when path is not declared.
const OptionSpec* FindOption(std::string_view path);
// All declarations, in table order.
std::span<const OptionSpec> AllOptions();

}  // namespace dr::config
