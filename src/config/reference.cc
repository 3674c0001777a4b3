#include "config/reference.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "config/options_table.h"

namespace dr::config {
namespace {

using nlohmann::json;

constexpr const char* kIntroduction = R"(# Configuration reference

<!-- Generated from src/config/options_table.cc; do not edit by hand.
     Regenerate with: ecap-dr config reference > docs/configuration.md -->

ecap-dr reads one YAML file: the `-c` value, else `$ECAP_DR_CONFIG`, else `/etc/ecap-dr/ecap-dr.yaml`.
The operational guide's "Basic Configuration Example" is accepted as it stands; the other sections
are what ecap-dr adds for the S3 data lake, Kafka, repository replicas and the DR coordinator.

- In every value, `${VAR}` is replaced by the environment variable `VAR`, and `${VAR:-text}` by
  `text` when `VAR` is not set or empty. A variable that is not set, without a fallback, is an error
  naming it.
- An unknown key, a value of the wrong type or outside its range, a duplicate key and invalid YAML
  are errors naming the file, the line and the key; `ecap-dr config check` lists every error at once.
- `ecap-dr config check --json` prints the effective configuration: every key below, nested as in
  the file, with the values of secrets (column *Secret*) shown as `***`.
- Types: *string*; *integer* (digits with an optional sign: `10`, not `1e1` or `10.0`); *number*
  (`60`, `0.5`, `1e3`); *boolean* (`true`, `false`, `yes`, `no`); *list* of strings (`[a, b]`, or
  one `- item` a line); *map* of a name to a list of strings; *list of mappings* (`- {key: value}`).
- A default that names another key is taken from that key when the file is loaded.
)";

std::string Number(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return buf;
}

std::string TypeName(const Option& o) {
  switch (o.type) {
    case OptionType::kString: return "string";
    case OptionType::kInt: return "integer";
    case OptionType::kNumber: return "number";
    case OptionType::kBool: return "boolean";
    case OptionType::kStringList: return "list";
    case OptionType::kStringListMap: return "map";
    case OptionType::kRecord: return "mapping";
    case OptionType::kRecordList: return "list of mappings";
    case OptionType::kSection: return "section";
  }
  return "";
}

// A table cell: '|' would end it, a line break would end the row.
std::string Cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string Code(const std::string& text) { return text.empty() ? "" : "`" + text + "`"; }

// The default: the member of a default-constructed record, or the declared text.
std::string DefaultOf(const Option& o, const void* record) {
  if (!o.details.default_text.empty()) return std::string(o.details.default_text);
  json v = OptionToJson(o, record, /*redact=*/false);
  if (v.is_string()) return Code(v.get<std::string>());
  if (v.is_number_float()) return Code(Number(v.get<double>()));
  if (v.is_array()) {
    if (v.empty()) return "";
    std::string items;
    for (const auto& item : v) items += (items.empty() ? "" : ", ") + (item.is_string() ? item.get<std::string>() : item.dump());
    return Code("[" + items + "]");
  }
  if (v.is_object()) return "";
  return Code(v.dump());
}

std::string AllowedOf(const Option& o) {
  const OptionDetails& d = o.details;
  if (!d.allowed.empty()) {
    std::string out, rest(d.allowed);
    for (size_t start = 0; start <= rest.size();) {
      size_t bar = rest.find('|', start);
      if (bar == std::string::npos) bar = rest.size();
      out += (out.empty() ? "" : ", ") + Code(rest.substr(start, bar - start));
      start = bar + 1;
    }
    return out;
  }
  if (o.type != OptionType::kInt && o.type != OptionType::kNumber) return "";
  if (d.max > d.min) return Number(d.min) + " to " + Number(d.max);
  return ">= " + Number(d.min);
}

std::string SecretOf(const Option& o) {
  switch (o.details.secrecy) {
    case Secrecy::kNone: return "";
    case Secrecy::kSecret: return "yes";
    case Secrecy::kSecretValues: return "values of password and secret keys";
  }
  return "";
}

std::string_view Parent(std::string_view path) {
  auto dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

bool IsHeading(const Option& o) {
  return o.type == OptionType::kSection || o.type == OptionType::kRecord || o.type == OptionType::kRecordList;
}

class Writer {
 public:
  // The keys of `keys` directly inside the section `rel` (relative to the record),
  // then each section inside it under its own heading. `shown` is how the record's
  // keys are named in the file ("", "repository.", "replicas[].").
  void Section(const RecordType& keys, const void* record, std::string_view rel, const std::string& shown, int depth) {
    bool header = false;
    for (const auto& o : keys.options) {
      if (Parent(o.path) != rel || IsHeading(o)) continue;
      if (!header) {
        out_ += "| Key | Type | Default | Allowed | Secret | Description |\n| --- | --- | --- | --- | --- | --- |\n";
        header = true;
      }
      out_ += "| " + Code(shown + std::string(o.path)) + " | " + TypeName(o) + " | " + Cell(DefaultOf(o, record)) + " | " +
              Cell(AllowedOf(o)) + " | " + SecretOf(o) + " | " + Cell(std::string(o.doc)) + " |\n";
    }
    if (header) out_ += "\n";
    for (const auto& o : keys.options) {
      if (Parent(o.path) != rel || !IsHeading(o)) continue;
      std::string name = shown + std::string(o.path);
      out_ += std::string(std::min(depth, 6), '#') + " " + name + "\n\n";
      if (o.type == OptionType::kSection) {
        out_ += std::string(o.doc) + "\n\n";
        Section(keys, record, o.path, shown, depth + 1);
        continue;
      }
      auto element = o.record->make_default();
      out_ += std::string(o.doc) + (o.type == OptionType::kRecordList ? " A list of mappings with these keys:" : "") +
              "\n\n";
      Section(*o.record, element.get(), "", name + (o.type == OptionType::kRecordList ? "[]." : "."), depth + 1);
    }
  }

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string ConfigurationReferenceMarkdown() {
  const RecordType& keys = ConfigKeys();
  auto defaults = keys.make_default();
  Writer w;
  w.Section(keys, defaults.get(), "", "", 2);
  std::string text = std::string(kIntroduction) + "\n" + w.Take();
  while (text.ends_with("\n\n")) text.pop_back();
  return text;
}

}  // namespace dr::config
