#include "config/config.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <set>

#include <yaml-cpp/yaml.h>

#include "base/fs.h"
#include "base/schedule.h"
#include "base/time_util.h"
#include "config/options_table.h"
#include "config/yaml_syntax.h"

namespace dr::config {

using nlohmann::json;

namespace {

using StringListMap = std::map<std::string, std::vector<std::string>>;

std::string Join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// "65535", "0.1": a range bound as the user wrote it.
std::string Fmt(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return buf;
}

// An integer is an optional sign and digits: "1e1", "10.0" and "0x10" are not,
// so what is validated is exactly what is read. Out of the range of long long,
// the nearest end of it (which no declared range admits).
std::optional<long long> ParseInteger(const std::string& s) {
  std::string_view digits = s;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  if (digits.empty() || digits.front() == '+') return std::nullopt;
  long long n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (end != digits.data() + digits.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) return digits.front() == '-' ? LLONG_MIN : LLONG_MAX;
  if (ec != std::errc()) return std::nullopt;
  return n;
}

// A finite decimal number: "60", "0.5", "1e3"; not ".inf", "nan" or "0x1p3".
std::optional<double> ParseNumber(const std::string& s) {
  std::string_view text = s;
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.front() == '+') return std::nullopt;
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// Reads a YAML document into a Config through the option table, validating
// each value on the same path that stores it.
class Loader {
 public:
  explicit Loader(std::string name) : name_(std::move(name)) {}

  // Reads the mapping `node` into `record`, whose keys are `keys`; `path` is
  // where node is in the file, `rel` where it is inside the record. Every
  // problem is recorded in errors() and the walk goes on with the next key, so
  // one run shows them all; a value with an error leaves its member as it was.
  void Walk(const YAML::Node& node, const RecordType& keys, void* record, const std::string& path,
            const std::string& rel) {
    if (!node.IsMap()) {
      (void)Error(node, path.empty() ? "the configuration must be a mapping of sections"
                                     : path + ": expected a mapping of keys");
      return;
    }
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      // A dotted key would otherwise reach a nested key from the wrong level.
      const Option* option = key.find('.') == std::string::npos ? keys.Find(Join(rel, key)) : nullptr;
      if (option == nullptr) {
        (void)Error(kv.first, "unknown key '" + key + "'" + (path.empty() ? "" : " in section '" + path + "'"));
        continue;
      }
      Read(*option, keys, kv.second, record, Join(path, key), Join(rel, key));
    }
  }

  const std::vector<std::string>& errors() const { return errors_; }
  void AddError(std::string message) { errors_.push_back(std::move(message)); }

  // The line of every value read, and of every element of a list of mappings, by path
  // ("dr_coordinator.services.0.type").
  std::map<std::string, int> lines;

 private:
  void Read(const Option& o, const RecordType& keys, const YAML::Node& node, void* record, const std::string& path,
            const std::string& rel) {
    if (o.type == OptionType::kSection) {
      if (!node.IsNull()) Walk(node, keys, record, path, rel);
      return;
    }
    void* field = FieldOf(o, record);
    switch (o.type) {
      case OptionType::kRecord:
        if (!node.IsNull()) Walk(node, *o.record, field, path, "");
        return;
      case OptionType::kRecordList:
        if (!node.IsSequence()) {
          (void)Error(node, path + ": expected a list of mappings");
          return;
        }
        for (size_t i = 0; i < node.size(); ++i) {
          std::string element = path + "." + std::to_string(i);
          if (!node[i].IsMap()) {
            (void)Error(node[i], element + ": expected a mapping of keys");
            continue;
          }
          lines[element] = node[i].Mark().line + 1;
          Walk(node[i], *o.record, o.record->append(field), element, "");
        }
        return;
      case OptionType::kStringListMap:
        if (node.IsNull()) return;
        if (!node.IsMap()) {
          (void)Error(node, path + ": expected a mapping of keys");
          return;
        }
        for (const auto& kv : node) {
          std::string name = kv.first.as<std::string>();
          auto list = Strings(kv.second, path + "." + name);
          if (list.ok()) (*static_cast<StringListMap*>(field))[name] = std::move(*list);
        }
        return;
      case OptionType::kStringList:
        if (auto list = Strings(node, path); list.ok()) *static_cast<std::vector<std::string>*>(field) = std::move(*list);
        return;
      default:
        (void)Scalar(o, node, field, path);
        return;
    }
  }

  Result<std::vector<std::string>> Strings(const YAML::Node& node, const std::string& path) {
    if (!node.IsSequence()) return Error(node, path + ": expected a list of strings");
    std::vector<std::string> list;
    for (const auto& item : node) {
      if (!item.IsScalar()) return Error(item, path + ": expected a list of strings");
      DR_ASSIGN_OR_RETURN(std::string s, Expand(item, path));
      list.push_back(std::move(s));
    }
    lines[path] = node.Mark().line + 1;
    return list;
  }

  // Validates and stores a string, integer, number or boolean.
  Status Scalar(const Option& o, const YAML::Node& node, void* field, const std::string& path) {
    if (!node.IsScalar()) return Error(node, path + ": expected a single value");
    DR_ASSIGN_OR_RETURN(std::string s, Expand(node, path));
    const OptionDetails& d = o.details;
    switch (o.type) {
      case OptionType::kString:
        if (!d.allowed.empty() && ("|" + std::string(d.allowed) + "|").find("|" + s + "|") == std::string::npos) {
          return Error(node, path + ": expected one of " + std::string(d.allowed) + ", got '" + s + "'");
        }
        *static_cast<std::string*>(field) = s;
        break;
      case OptionType::kBool:
        if (s != "true" && s != "false" && s != "yes" && s != "no") {
          return Error(node, path + ": expected true or false, got '" + s + "'");
        }
        *static_cast<bool*>(field) = s == "true" || s == "yes";
        break;
      case OptionType::kInt: {
        auto n = ParseInteger(s);
        if (!n) return Error(node, path + ": expected an integer, got '" + s + "'");
        // An int member holds no more than INT_MAX, whatever the declaration says.
        double max = d.max > d.min ? std::min<double>(d.max, INT_MAX) : INT_MAX;
        double min = std::max<double>(d.min, INT_MIN);
        if (static_cast<double>(*n) < min || static_cast<double>(*n) > max) {
          return Error(node, path + ": expected a value between " + Fmt(min) + " and " + Fmt(max) + ", got '" + s + "'");
        }
        *static_cast<int*>(field) = static_cast<int>(*n);
        break;
      }
      case OptionType::kNumber: {
        auto n = ParseNumber(s);
        if (!n) return Error(node, path + ": expected a number, got '" + s + "'");
        bool bounded = d.max > d.min;
        if (*n < d.min || (bounded && *n > d.max)) {
          std::string range = bounded ? " between " + Fmt(d.min) + " and " + Fmt(d.max) : " >= " + Fmt(d.min);
          return Error(node, path + ": expected a value" + range + ", got '" + s + "'");
        }
        *static_cast<double*>(field) = *n;
        break;
      }
      default:
        DR_CHECK(false) << path << " is not a scalar";
    }
    lines[path] = node.Mark().line + 1;
    return Status::Ok();
  }

  // ${VAR} and ${VAR:-default}; a lone '$' stays as it is.
  Result<std::string> Expand(const YAML::Node& node, const std::string& path) {
    std::string in = node.Scalar(), out;
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] != '$' || i + 1 >= in.size() || in[i + 1] != '{') {
        out += in[i];
        continue;
      }
      size_t close = in.find('}', i);
      if (close == std::string::npos) return Error(node, path + ": unterminated '${' in value");
      std::string ref = in.substr(i + 2, close - i - 2);
      std::string var = ref, fallback;
      bool has_fallback = false;
      if (auto dash = ref.find(":-"); dash != std::string::npos) {
        var = ref.substr(0, dash);
        fallback = ref.substr(dash + 2);
        has_fallback = true;
      }
      const char* env = std::getenv(var.c_str());
      if (env != nullptr && *env != '\0') {
        out += env;
      } else if (has_fallback) {
        out += fallback;
      } else {
        return Error(node, path + ": environment variable " + var + " is not set");
      }
      i = close;
    }
    return out;
  }

  // Records the error (see Walk) and returns it, so that a caller may stop at it.
  Status Error(const YAML::Node& node, const std::string& message) {
    const YAML::Mark& m = node.Mark();
    errors_.push_back(name_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + message);
    return ConfigError(errors_.back());
  }

  std::string name_;
  std::vector<std::string> errors_;
};

// The defaults that depend on other keys (the table's default_text names them),
// and which components the file configures (a section with at least one value).
void ApplyDerivedDefaults(Config& c, const std::map<std::string, int>& lines) {
  auto configured = [&](const std::string& section) {
    auto it = lines.lower_bound(section + ".");
    return it != lines.end() && it->first.rfind(section + ".", 0) == 0;
  };
  c.postgresql_configured = configured("postgresql");
  c.kafka_configured = configured("kafka");
  c.coordinator_configured = configured("dr_coordinator");
  if (c.postgresql.databases.empty() && !c.postgresql.database.empty()) c.postgresql.databases = {c.postgresql.database};
  if (c.repository.path.empty()) c.repository.path = c.backup_manager.backup_dir;
  if (c.repository.region.empty()) c.repository.region = c.aws.region;
  for (auto& replica : c.replicas) {
    if (replica.region.empty()) replica.region = c.aws.backup_region;
  }
  if (c.s3.region.empty()) c.s3.region = c.aws.region.empty() ? "us-east-1" : c.aws.region;
  // `port` is the documented key, `smtp_port` the older one: whichever was
  // given fills both (CheckAcrossKeys refuses both at once).
  if (lines.count("alerting.notifications.email.smtp_port") && !lines.count("alerting.notifications.email.port")) {
    c.alerting.email.port = c.alerting.email.smtp_port;
  }
  c.alerting.email.smtp_port = c.alerting.email.port;
}

}  // namespace

std::map<std::string, std::string> KafkaConfig::ClientProperties() const {
  std::map<std::string, std::string> p;
  auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) p[key] = value;
  };
  put("security.protocol", security_protocol);
  put("sasl.mechanism", sasl_mechanism);
  put("sasl.username", sasl_username);
  put("sasl.password", sasl_password);
  put("ssl.ca.location", ssl_ca_location);
  put("ssl.certificate.location", ssl_certificate_location);
  put("ssl.key.location", ssl_key_location);
  put("ssl.key.password", ssl_key_password);
  for (const auto& kv : properties) {
    auto eq = kv.find('=');
    if (eq != std::string::npos) p[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return p;
}

namespace {

// Every error of a file in one Status: the first line says how many, then one per line,
// in file order, so a user fixes them all in one pass.
Status AllErrors(std::vector<std::string> errors) {
  if (errors.size() == 1) return ConfigError(errors.front());
  std::string message = std::to_string(errors.size()) + " errors in the configuration:";
  for (const auto& e : errors) message += "\n  " + e;
  return ConfigError(message);
}

// automation: job names, one valid schedule each, durations, the time zone, API tokens.
void CheckAutomation(const Config& config, const std::function<int(const std::string&)>& line, const std::string& name,
                     std::vector<std::string>& errors) {
  const AutomationConfig& a = config.automation;
  auto at = [&](const std::string& path) { return name + ":" + std::to_string(line(path)) + ": "; };
  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"starting_deadline", &a.starting_deadline},
                                   {"shutdown_timeout", &a.shutdown_timeout}, {"retry_delay", &a.retry_delay}}) {
    std::string path = std::string("automation.") + key;
    if (auto d = ParseDuration(*value); !d.ok()) errors.push_back(at(path) + path + ": " + d.status().message());
  }
  if (auto zone = LoadZone(a.timezone); !zone.ok()) {
    errors.push_back(at("automation.timezone") + "automation.timezone: " + zone.status().message());
  }
  std::set<std::string> names;
  for (size_t i = 0; i < a.jobs.size(); ++i) {
    const JobConfig& job = a.jobs[i];
    std::string element = "automation.jobs." + std::to_string(i);
    std::string where = name + ":" + std::to_string(line(element + ".name") ? line(element + ".name") : line(element)) +
                        ": automation.jobs[" + std::to_string(i) + "]";
    if (job.name.empty()) {
      errors.push_back(where + ": needs a name");
      continue;
    }
    where += " ('" + job.name + "')";
    if (!names.insert(job.name).second) errors.push_back(where + ": the name is used twice");
    if (job.action.empty()) errors.push_back(where + ": needs an action");
    // A scheduled drill that breaks the platform is said so twice: in the job
    // and in the platform's drill section; caught here, not at 3 a.m.
    if (job.action == "drill") {
      bool disruptive_scenario = !job.scenario.empty() && job.scenario != "restore-test" && job.scenario != "all";
      if (job.scenario.empty()) {
        errors.push_back(where + ": a drill job needs a scenario (restore-test, database, storage, corruption, breach, "
                                 "region, all)");
      } else if (disruptive_scenario && !job.disruptive) {
        errors.push_back(where + ": scenario '" + job.scenario + "' is disruptive: set disruptive: true");
      }
      if (job.disruptive && !config.drill.environment) {
        errors.push_back(where + ": disruptive drills need drill.environment: true (never on production)");
      }
    } else if (!job.scenario.empty() || job.disruptive) {
      errors.push_back(where + ": scenario and disruptive are for drill jobs only");
    }
    int schedules = 0;
    for (const auto& [kind, spec] : {std::pair<const char*, const std::string*>{"daily", &job.daily},
                                     {"weekly", &job.weekly}, {"monthly", &job.monthly}, {"cron", &job.cron}}) {
      if (spec->empty()) continue;
      ++schedules;
      std::string path = element + "." + kind;
      if (auto s = Schedule::Parse(kind, *spec); !s.ok()) {
        errors.push_back(name + ":" + std::to_string(line(path)) + ": automation.jobs[" + std::to_string(i) + "] ('" +
                         job.name + "'): " + s.status().message());
      }
    }
    if (schedules != 1) {
      errors.push_back(where + ": needs exactly one schedule (daily, weekly, monthly or cron), has " +
                       std::to_string(schedules));
    }
  }
  for (size_t i = 0; i < a.api_tokens.size(); ++i) {
    const ApiTokenConfig& t = a.api_tokens[i];
    std::string element = "automation.api.tokens." + std::to_string(i);
    std::string where = name + ":" + std::to_string(line(element + ".user") ? line(element + ".user") : line(element)) +
                        ": automation.api.tokens[" + std::to_string(i) + "]";
    if (t.user.empty()) errors.push_back(where + ": needs a user");
    if (t.token_file.empty()) errors.push_back(where + ": needs a token_file (a token is never written inline)");
  }
}

// What one key cannot say: the services' names and what each type needs, and the
// form of the Kafka properties. Appends to errors.
void CheckAcrossKeys(const Config& config, const std::map<std::string, int>& lines, const std::string& name,
                     std::vector<std::string>& errors) {
  auto line = [&](const std::string& path) {
    auto it = lines.find(path);
    return it == lines.end() ? 0 : it->second;
  };
  std::set<std::string> names;
  for (size_t i = 0; i < config.coordinator.services.size(); ++i) {
    const auto& svc = config.coordinator.services[i];
    std::string element = "dr_coordinator.services." + std::to_string(i);
    int at = line(element + ".type") != 0 ? line(element + ".type") : line(element);
    std::string where = name + ":" + std::to_string(at) + ": dr_coordinator.services[" + std::to_string(i) + "]";
    if (svc.name.empty()) {
      errors.push_back(where + ": needs a name");
      continue;
    }
    if (!names.insert(svc.name).second) errors.push_back(where + ": the name '" + svc.name + "' is used twice");
    // type -> the key it cannot do without, and that key's value
    const std::map<std::string, std::pair<const char*, const std::string*>> needs = {
        {"postgresql", {"primary", &svc.primary}}, {"s3", {"bucket", &svc.bucket}},
        {"kafka", {"bootstrap_servers", &svc.bootstrap_servers}}, {"http", {"url", &svc.url}},
        {"tcp", {"address", &svc.address}}, {"dns", {"record", &svc.record}}, {"command", {"command", &svc.command}}};
    auto it = needs.find(svc.type);
    if (it == needs.end()) {
      errors.push_back(where + " ('" + svc.name + "'): needs a type");
    } else if (it->second.second->empty() && !(svc.type == "kafka" && !config.kafka.bootstrap_servers.empty()) &&
               !(svc.type == "s3" && !config.coordinator.storage_primary_bucket.empty())) {
      // A lake or Kafka service without a bucket or brokers of its own checks the ones in use.
      errors.push_back(where + " ('" + svc.name + "'): a " + svc.type + " service needs '" + it->second.first + "'");
    }
  }
  CheckAutomation(config, line, name, errors);
  if (line("alerting.notifications.email.port") != 0 && line("alerting.notifications.email.smtp_port") != 0) {
    errors.push_back(name + ":" + std::to_string(line("alerting.notifications.email.smtp_port")) +
                     ": alerting.notifications.email: give either port or smtp_port (its older name), not both");
  }
  for (const auto& [path, value] : {std::pair<const char*, const std::string*>{"alerting.repeat_interval",
                                                                                &config.alerting.repeat_interval},
                                    {"alerting.rules.access_denial_window", &config.alerting.rules.access_denial_window}}) {
    if (auto d = ParseConfigDuration(*value); !d.ok()) {
      errors.push_back(name + ":" + std::to_string(line(path)) + ": " + path + ": " + d.status().message());
    }
  }
  for (const auto& p : config.kafka.properties) {
    if (p.find('=') == std::string::npos || p.front() == '=') {
      errors.push_back(name + ":" + std::to_string(line("kafka.properties")) + ": kafka.properties: expected \"key=value\", got '" + p + "'");
    }
  }
}

}  // namespace

Result<Config> LoadConfigString(const std::string& text, const std::string& name) {
  // libyaml first: yaml-cpp 0.7 accepts an unterminated quote and keeps the last of duplicate keys.
  YamlSyntaxReport syntax = CheckYamlSyntax(text, name);
  if (!syntax.syntax_error.empty()) return ConfigError(syntax.syntax_error);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return ConfigError(name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                       ": invalid YAML: " + e.msg);
  }
  // An empty file (or one of comments only) is most likely a truncated or wrong
  // file; silently running on built-in defaults would back up to the wrong place.
  if (root.IsNull()) {
    return ConfigError(name + ": the configuration is empty (at least backup_manager.backup_dir is expected)");
  }
  Loader loader(name);
  for (const auto& d : syntax.duplicate_keys) loader.AddError(d);
  Config config;
  config.source = name;
  try {
    loader.Walk(root, ConfigKeys(), &config, "", "");  // errors are in loader.errors()
  } catch (const YAML::Exception& e) {
    return ConfigError(name + ": invalid YAML: " + e.msg);
  }
  std::vector<std::string> errors = loader.errors();
  ApplyDerivedDefaults(config, loader.lines);
  CheckAcrossKeys(config, loader.lines, name, errors);
  if (!errors.empty()) {
    // Duplicates come from the pre-check, the rest from the walk: show them in file order.
    std::stable_sort(errors.begin(), errors.end(), [&](const std::string& a, const std::string& b) {
      auto line = [&](const std::string& e) { return std::atoi(e.c_str() + name.size() + 1); };
      return line(a) < line(b);
    });
    return AllErrors(std::move(errors));
  }
  return config;
}

Result<Config> LoadConfigFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    // An unreadable file is a permission problem (exit 3), not a configuration error.
    Code code = text.status().code() == Code::kPermissionDenied ? Code::kPermissionDenied : Code::kConfig;
    return Status(code, "unable to read configuration file: " + text.status().message());
  }
  return LoadConfigString(*text, path);
}

Result<std::chrono::seconds> ParseConfigDuration(const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok()) return ConfigError(d.status().message());
  if (d->count() <= 0) return ConfigError("invalid duration '" + text + "': it must be longer than zero");
  return *d;
}

std::chrono::seconds AlertingConfig::RepeatInterval() const {
  auto d = ParseConfigDuration(repeat_interval);
  return d.ok() ? *d : std::chrono::hours(4);  // the loader refused anything else
}

std::chrono::seconds AlertRules::AccessDenialWindow() const {
  auto d = ParseConfigDuration(access_denial_window);
  return d.ok() ? *d : std::chrono::hours(1);  // the loader refused anything else
}

std::string RepositoryLocation::Describe() const {
  if (type == "s3") return "s3://" + bucket + "/" + prefix;
  return path;
}

std::string ResolveConfigPath(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("ECAP_DR_CONFIG"); env != nullptr && *env != '\0') return env;
  return "/etc/ecap-dr/ecap-dr.yaml";
}

json Config::ToJson(bool redact) const { return RecordToJson(ConfigKeys(), this, redact); }

}  // namespace dr::config
