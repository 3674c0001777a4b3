#include "config/config.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <set>

#include <yaml-cpp/yaml.h>

#include "base/fs.h"
#include "config/options_table.h"
#include "config/yaml_syntax.h"

namespace dr::config {

using nlohmann::json;

namespace {

// A validated scalar or list, with where it came from.
struct Value {
  std::string scalar;
  std::vector<std::string> list;
  int line = 0;
};

class Loader {
 public:
  explicit Loader(std::string name) : name_(std::move(name)) {}

  // Checks node against the option table. Every problem is recorded in
  // errors() and the walk goes on with the next key, so one run shows them all;
  // a value with an error is left out of `values`.
  Status Walk(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) {
      return Error(node, path.empty() ? "the configuration must be a mapping of sections"
                                      : path + ": expected a mapping of keys");
    }
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      std::string child = path.empty() ? key : path + "." + key;
      const OptionSpec* spec = FindOption(child);
      if (spec == nullptr) {
        (void)Error(kv.first, "unknown key '" + key + "'" + (path.empty() ? "" : " in section '" + path + "'"));
        continue;
      }
      (void)Check(*spec, kv.second, child);  // recorded; go on with the siblings
    }
    return errors_.empty() ? Status::Ok() : ConfigError(errors_.front());
  }

  const std::vector<std::string>& errors() const { return errors_; }
  void AddError(std::string message) { errors_.push_back(std::move(message)); }

  std::map<std::string, Value> values;

 private:
  Status Check(const OptionSpec& spec, const YAML::Node& node, const std::string& path) {
    if (spec.type == OptionType::kSection) {
      if (node.IsNull()) return Status::Ok();
      return Walk(node, path);
    }
    if (spec.type == OptionType::kSectionList) {
      if (!node.IsSequence()) return Error(node, path + ": expected a list of mappings");
      for (size_t i = 0; i < node.size(); ++i) {
        std::string element = path + "." + std::to_string(i);
        if (!node[i].IsMap()) {
          (void)Error(node[i], element + ": expected a mapping of keys");
          continue;
        }
        (void)Walk(node[i], element);
        values[element + ".__present"] = Value{};
      }
      return Status::Ok();
    }
    Value v;
    v.line = node.Mark().line + 1;
    if (spec.type == OptionType::kStringList) {
      if (!node.IsSequence()) return Error(node, path + ": expected a list of strings");
      for (const auto& item : node) {
        if (!item.IsScalar()) return Error(item, path + ": expected a list of strings");
        DR_ASSIGN_OR_RETURN(std::string s, Expand(item, path));
        v.list.push_back(std::move(s));
      }
      values[path] = std::move(v);
      return Status::Ok();
    }
    if (!node.IsScalar()) return Error(node, path + ": expected a single value");
    DR_ASSIGN_OR_RETURN(v.scalar, Expand(node, path));
    const std::string& s = v.scalar;
    switch (spec.type) {
      case OptionType::kBool:
        if (s != "true" && s != "false" && s != "yes" && s != "no") {
          return Error(node, path + ": expected true or false, got '" + s + "'");
        }
        break;
      case OptionType::kInt:
      case OptionType::kNumber: {
        char* end = nullptr;
        double d = std::strtod(s.c_str(), &end);
        bool is_int = spec.type == OptionType::kInt;
        if (s.empty() || *end != '\0' || (is_int && d != static_cast<double>(static_cast<long long>(d)))) {
          return Error(node, path + ": expected " + (is_int ? "an integer" : "a number") + ", got '" + s + "'");
        }
        bool bounded = spec.max > spec.min;
        if (d < spec.min || (bounded && d > spec.max)) {
          std::string range = bounded ? " between " + Fmt(spec.min) + " and " + Fmt(spec.max) : " >= " + Fmt(spec.min);
          return Error(node, path + ": expected a value" + range + ", got '" + s + "'");
        }
        break;
      }
      case OptionType::kString:
        if (!spec.allowed.empty() && ("|" + std::string(spec.allowed) + "|").find("|" + s + "|") == std::string::npos) {
          return Error(node, path + ": expected one of " + std::string(spec.allowed) + ", got '" + s + "'");
        }
        break;
      default:
        break;
    }
    values[path] = std::move(v);
    return Status::Ok();
  }

  static std::string Fmt(double d) { return std::to_string(static_cast<long long>(d)); }

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

class Reader {
 public:
  explicit Reader(const std::map<std::string, Value>& values) : values_(values) {}
  void Get(const std::string& path, std::string& out) const {
    if (auto it = values_.find(path); it != values_.end()) out = it->second.scalar;
  }
  void Get(const std::string& path, int& out) const {
    if (auto it = values_.find(path); it != values_.end()) out = std::stoi(it->second.scalar);
  }
  void Get(const std::string& path, double& out) const {
    if (auto it = values_.find(path); it != values_.end()) out = std::stod(it->second.scalar);
  }
  void Get(const std::string& path, bool& out) const {
    if (auto it = values_.find(path); it != values_.end()) out = it->second.scalar == "true" || it->second.scalar == "yes";
  }
  void Get(const std::string& path, std::vector<std::string>& out) const {
    if (auto it = values_.find(path); it != values_.end()) out = it->second.list;
  }
  void GetMap(const std::string& prefix, std::map<std::string, std::vector<std::string>>& out) const {
    for (auto it = values_.lower_bound(prefix + "."); it != values_.end() && it->first.rfind(prefix + ".", 0) == 0; ++it) {
      out[it->first.substr(prefix.size() + 1)] = it->second.list;
    }
  }
  bool Has(const std::string& prefix) const {
    auto it = values_.lower_bound(prefix + ".");
    return it != values_.end() && it->first.rfind(prefix + ".", 0) == 0;
  }

 private:
  const std::map<std::string, Value>& values_;
};

Config Build(const std::map<std::string, Value>& values, const std::string& source) {
  Reader r(values);
  Config c;
  c.source = source;
  auto& bm = c.backup_manager;
  r.Get("backup_manager.backup_dir", bm.backup_dir);
  r.Get("backup_manager.retention_policies.daily", bm.retention_policies.daily);
  r.Get("backup_manager.retention_policies.weekly", bm.retention_policies.weekly);
  r.Get("backup_manager.retention_policies.monthly", bm.retention_policies.monthly);
  r.Get("backup_manager.retention_policies.last", bm.retention_policies.last);
  r.Get("backup_manager.retention_policies.within", bm.retention_policies.within);
  r.Get("backup_manager.compression_level", bm.compression_level);
  r.Get("backup_manager.threads", bm.threads);
  r.Get("aws.region", c.aws.region);
  r.Get("aws.backup_region", c.aws.backup_region);
  c.postgresql_configured = r.Has("postgresql");
  r.Get("postgresql.host", c.postgresql.host);
  r.Get("postgresql.port", c.postgresql.port);
  r.Get("postgresql.database", c.postgresql.database);
  r.Get("postgresql.username", c.postgresql.username);
  r.Get("postgresql.password", c.postgresql.password);
  r.Get("postgresql.databases", c.postgresql.databases);
  r.Get("postgresql.sslmode", c.postgresql.sslmode);
  r.Get("postgresql.connect_timeout", c.postgresql.connect_timeout);
  r.Get("postgresql.bin_dir", c.postgresql.bin_dir);
  r.Get("postgresql.wal_compression_level", c.postgresql.wal_compression_level);
  r.Get("postgresql.archive_async", c.postgresql.archive_async);
  r.Get("postgresql.archive_push_jobs", c.postgresql.archive_push_jobs);
  r.Get("postgresql.spool_dir", c.postgresql.spool_dir);
  if (c.postgresql.databases.empty() && !c.postgresql.database.empty()) c.postgresql.databases = {c.postgresql.database};
  r.Get("encryption.enabled", c.encryption.enabled);
  r.Get("encryption.auto_generate_key", c.encryption.auto_generate_key);
  r.Get("encryption.key_file", c.encryption.key_file);
  r.Get("access_control.enabled", c.access_control.enabled);
  r.GetMap("access_control.users", c.access_control.users);
  r.GetMap("access_control.roles", c.access_control.roles);
  r.Get("audit.log_file", c.audit.log_file);
  auto& a = c.alerting;
  r.Get("alerting.rules.max_backup_duration_minutes", a.rules.max_backup_duration_minutes);
  r.Get("alerting.rules.max_backup_size_gb", a.rules.max_backup_size_gb);
  r.Get("alerting.rules.max_backup_age_hours", a.rules.max_backup_age_hours);
  const std::string n = "alerting.notifications.";
  r.Get(n + "email.enabled", a.email.enabled);
  r.Get(n + "email.smtp_server", a.email.smtp_server);
  r.Get(n + "email.smtp_port", a.email.smtp_port);
  r.Get(n + "email.username", a.email.username);
  r.Get(n + "email.password", a.email.password);
  r.Get(n + "email.from_address", a.email.from_address);
  r.Get(n + "email.to_addresses", a.email.to_addresses);
  r.Get(n + "slack.enabled", a.slack.enabled);
  r.Get(n + "slack.webhook_url", a.slack.url);
  r.Get(n + "webhook.enabled", a.webhook.enabled);
  r.Get(n + "webhook.url", a.webhook.url);
  auto location = [&](const std::string& p, RepositoryLocation& loc) {
    r.Get(p + ".type", loc.type);
    r.Get(p + ".path", loc.path);
    r.Get(p + ".bucket", loc.bucket);
    r.Get(p + ".prefix", loc.prefix);
    r.Get(p + ".endpoint", loc.endpoint);
    r.Get(p + ".region", loc.region);
    r.Get(p + ".force_path_style", loc.force_path_style);
    r.Get(p + ".access_key_id", loc.access_key_id);
    r.Get(p + ".secret_access_key", loc.secret_access_key);
  };
  location("repository", c.repository);
  if (c.repository.path.empty()) c.repository.path = c.backup_manager.backup_dir;
  if (c.repository.region.empty()) c.repository.region = c.aws.region;
  for (int i = 0; values.count("replicas." + std::to_string(i) + ".__present"); ++i) {
    RepositoryLocation replica;
    location("replicas." + std::to_string(i), replica);
    if (replica.region.empty()) replica.region = c.aws.backup_region;
    c.replicas.push_back(replica);
  }
  r.Get("s3.endpoint", c.s3.endpoint);
  r.Get("s3.region", c.s3.region);
  r.Get("s3.force_path_style", c.s3.force_path_style);
  r.Get("s3.access_key_id", c.s3.access_key_id);
  r.Get("s3.secret_access_key", c.s3.secret_access_key);
  r.Get("s3.buckets", c.s3.buckets);
  r.Get("s3.mirror.source", c.s3.mirror_source);
  r.Get("s3.mirror.target", c.s3.mirror_target);
  r.Get("s3.mirror.prefix", c.s3.mirror_prefix);
  r.Get("s3.mirror.target_endpoint", c.s3.mirror_target_endpoint);
  r.Get("s3.mirror.target_region", c.s3.mirror_target_region);
  r.Get("s3.mirror.delete", c.s3.mirror_delete);
  r.Get("s3.mirror.state_file", c.s3.mirror_state_file);
  r.Get("s3.mirror.interval_seconds", c.s3.mirror_interval_seconds);
  if (c.s3.region.empty()) c.s3.region = c.aws.region.empty() ? "us-east-1" : c.aws.region;
  r.Get("files.paths", c.files.paths);
  r.Get("files.exclude", c.files.exclude);
  c.kafka_configured = r.Has("kafka");
  auto& k = c.kafka;
  r.Get("kafka.bootstrap_servers", k.bootstrap_servers);
  r.Get("kafka.topics", k.topics);
  r.Get("kafka.exclude_topics", k.exclude_topics);
  r.Get("kafka.exclude_internal", k.exclude_internal);
  r.Get("kafka.consumer_groups", k.consumer_groups);
  r.Get("kafka.timeout_seconds", k.timeout_seconds);
  r.Get("kafka.security.protocol", k.security_protocol);
  r.Get("kafka.security.sasl_mechanism", k.sasl_mechanism);
  r.Get("kafka.security.sasl_username", k.sasl_username);
  r.Get("kafka.security.sasl_password", k.sasl_password);
  r.Get("kafka.security.ssl_ca_location", k.ssl_ca_location);
  r.Get("kafka.security.ssl_certificate_location", k.ssl_certificate_location);
  r.Get("kafka.security.ssl_key_location", k.ssl_key_location);
  r.Get("kafka.security.ssl_key_password", k.ssl_key_password);
  r.Get("kafka.properties", k.properties);
  c.coordinator_configured = r.Has("dr_coordinator");
  auto& d = c.coordinator;
  const std::string dc = "dr_coordinator.";
  r.Get(dc + "check_interval_seconds", d.check_interval_seconds);
  r.Get(dc + "failure_threshold", d.failure_threshold);
  r.Get(dc + "auto_failover", d.auto_failover);
  r.Get(dc + "rto_target_minutes", d.rto_target_minutes);
  r.Get(dc + "rpo_target_minutes", d.rpo_target_minutes);
  r.Get(dc + "state_dir", d.state_dir);
  for (int i = 0; values.count(dc + "services." + std::to_string(i) + ".__present"); ++i) {
    std::string p = dc + "services." + std::to_string(i) + ".";
    CoordinatedService svc;
    r.Get(p + "name", svc.name);
    r.Get(p + "type", svc.type);
    r.Get(p + "primary", svc.primary);
    r.Get(p + "standby", svc.standby);
    r.Get(p + "bucket", svc.bucket);
    r.Get(p + "bootstrap_servers", svc.bootstrap_servers);
    r.Get(p + "url", svc.url);
    r.Get(p + "expect_status", svc.expect_status);
    r.Get(p + "expect_body", svc.expect_body);
    r.Get(p + "address", svc.address);
    r.Get(p + "server", svc.server);
    r.Get(p + "record", svc.record);
    r.Get(p + "expect_address", svc.expect_address);
    r.Get(p + "command", svc.command);
    r.Get(p + "interval_seconds", svc.interval_seconds);
    r.Get(p + "timeout_seconds", svc.timeout_seconds);
    r.Get(p + "failure_threshold", svc.failure_threshold);
    r.Get(p + "max_lag_seconds", svc.max_lag_seconds);
    d.services.push_back(std::move(svc));
  }
  r.Get(dc + "failover.fence_command", d.fence_command);
  r.Get(dc + "failover.hook_timeout_seconds", d.hook_timeout_seconds);
  r.Get(dc + "failover.dns.server", d.dns_server);
  r.Get(dc + "failover.dns.zone", d.dns_zone);
  r.Get(dc + "failover.dns.record", d.dns_record);
  r.Get(dc + "failover.dns.ttl", d.dns_ttl);
  r.Get(dc + "failover.dns.tsig_key_file", d.dns_tsig_key_file);
  r.Get(dc + "failover.storage.primary_bucket", d.storage_primary_bucket);
  r.Get(dc + "failover.storage.replica_bucket", d.storage_replica_bucket);
  r.Get(dc + "failover.storage.switch_hook", d.storage_switch_hook);
  r.Get(dc + "failover.compute_hooks", d.compute_hooks);
  r.Get(dc + "coordination.etcd.endpoints", d.etcd_endpoints);
  r.Get(dc + "coordination.etcd.lease_seconds", d.lease_seconds);
  return c;
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

// What one key cannot say: the services' names and what each type needs, and the
// form of the Kafka properties. Appends to errors.
void CheckAcrossKeys(const Config& config, std::map<std::string, Value>& values, const std::string& name,
                     std::vector<std::string>& errors) {
  std::set<std::string> names;
  for (size_t i = 0; i < config.coordinator.services.size(); ++i) {
    const auto& svc = config.coordinator.services[i];
    std::string where = name + ":" + std::to_string(values["dr_coordinator.services." + std::to_string(i) + ".type"].line) +
                        ": dr_coordinator.services[" + std::to_string(i) + "]";
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
    } else if (it->second.second->empty()) {
      errors.push_back(where + " ('" + svc.name + "'): a " + svc.type + " service needs '" + it->second.first + "'");
    }
  }
  for (const auto& p : config.kafka.properties) {
    if (p.find('=') == std::string::npos || p.front() == '=') {
      int line = values["kafka.properties"].line;
      errors.push_back(name + ":" + std::to_string(line) + ": kafka.properties: expected \"key=value\", got '" + p + "'");
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
  try {
    (void)loader.Walk(root, "");  // errors are in loader.errors()
  } catch (const YAML::Exception& e) {
    return ConfigError(name + ": invalid YAML: " + e.msg);
  }
  std::vector<std::string> errors = loader.errors();
  Config config = Build(loader.values, name);
  CheckAcrossKeys(config, loader.values, name, errors);
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

std::string RepositoryLocation::Describe() const {
  if (type == "s3") return "s3://" + bucket + "/" + prefix;
  return path;
}

std::string ResolveConfigPath(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("ECAP_DR_CONFIG"); env != nullptr && *env != '\0') return env;
  return "/etc/ecap-dr/ecap-dr.yaml";
}

json Config::ToJson(bool redact) const {
  auto secret = [&](const std::string& s) -> json {
    if (!redact || s.empty()) return s;
    return "***";
  };
  const auto& bm = backup_manager;
  json j;
  j["backup_manager"] = {{"backup_dir", bm.backup_dir},
                         {"retention_policies",
                          {{"daily", bm.retention_policies.daily},
                           {"weekly", bm.retention_policies.weekly},
                           {"monthly", bm.retention_policies.monthly}}},
                         {"compression_level", bm.compression_level},
                         {"threads", bm.threads}};
  j["aws"] = {{"region", aws.region}, {"backup_region", aws.backup_region}};
  if (postgresql_configured) {
    j["postgresql"] = {{"host", postgresql.host}, {"port", postgresql.port}, {"database", postgresql.database},
                       {"username", postgresql.username}, {"password", secret(postgresql.password)},
                       {"databases", postgresql.databases}, {"sslmode", postgresql.sslmode},
                       {"connect_timeout", postgresql.connect_timeout}, {"bin_dir", postgresql.bin_dir}};
  }
  j["encryption"] = {{"enabled", encryption.enabled}, {"auto_generate_key", encryption.auto_generate_key},
                     {"key_file", encryption.key_file}};
  j["access_control"] = {{"enabled", access_control.enabled}, {"users", access_control.users},
                         {"roles", access_control.roles}};
  j["audit"] = {{"log_file", audit.log_file}};
  const auto& a = alerting;
  j["alerting"] = {
      {"rules",
       {{"max_backup_duration_minutes", a.rules.max_backup_duration_minutes},
        {"max_backup_size_gb", a.rules.max_backup_size_gb},
        {"max_backup_age_hours", a.rules.max_backup_age_hours}}},
      {"notifications",
       {{"email",
         {{"enabled", a.email.enabled}, {"smtp_server", a.email.smtp_server}, {"smtp_port", a.email.smtp_port},
          {"username", a.email.username}, {"password", secret(a.email.password)},
          {"from_address", a.email.from_address}, {"to_addresses", a.email.to_addresses}}},
        {"slack", {{"enabled", a.slack.enabled}, {"webhook_url", secret(a.slack.url)}}},
        {"webhook", {{"enabled", a.webhook.enabled}, {"url", secret(a.webhook.url)}}}}}};
  j["files"] = {{"paths", files.paths}, {"exclude", files.exclude}};
  auto loc = [&](const RepositoryLocation& l) {
    return json{{"type", l.type},         {"path", l.path},         {"bucket", l.bucket},
                {"prefix", l.prefix},     {"endpoint", l.endpoint}, {"region", l.region},
                {"force_path_style", l.force_path_style}, {"access_key_id", l.access_key_id},
                {"secret_access_key", secret(l.secret_access_key)}};
  };
  j["repository"] = loc(repository);
  j["s3"] = {{"endpoint", s3.endpoint}, {"region", s3.region}, {"force_path_style", s3.force_path_style},
             {"access_key_id", s3.access_key_id}, {"secret_access_key", secret(s3.secret_access_key)},
             {"buckets", s3.buckets}};
  const auto& k = kafka;
  json props = json::array();
  for (const auto& p : k.properties) {
    auto eq = p.find('=');
    std::string key = p.substr(0, eq);
    bool hidden = key.find("password") != std::string::npos || key.find("secret") != std::string::npos;
    props.push_back(hidden && eq != std::string::npos ? key + "=" + secret(p.substr(eq + 1)).get<std::string>() : p);
  }
  j["kafka"] = {{"bootstrap_servers", k.bootstrap_servers}, {"topics", k.topics}, {"exclude_topics", k.exclude_topics},
                {"exclude_internal", k.exclude_internal}, {"consumer_groups", k.consumer_groups},
                {"timeout_seconds", k.timeout_seconds},
                {"security",
                 {{"protocol", k.security_protocol}, {"sasl_mechanism", k.sasl_mechanism},
                  {"sasl_username", k.sasl_username}, {"sasl_password", secret(k.sasl_password)},
                  {"ssl_ca_location", k.ssl_ca_location}, {"ssl_certificate_location", k.ssl_certificate_location},
                  {"ssl_key_location", k.ssl_key_location}, {"ssl_key_password", secret(k.ssl_key_password)}}},
                {"properties", props}};
  j["replicas"] = json::array();
  for (const auto& r : replicas) j["replicas"].push_back(loc(r));
  return j;
}

}  // namespace dr::config
