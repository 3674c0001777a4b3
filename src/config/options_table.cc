#include "config/options_table.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <type_traits>

#include "config/config.h"
#include "dr/result.h"

namespace dr::config {
namespace {

using nlohmann::json;
using StringListMap = std::map<std::string, std::vector<std::string>>;

template <typename T>
inline constexpr bool kIsRecord = false;
template <>
inline constexpr bool kIsRecord<RepositoryLocation> = true;
template <>
inline constexpr bool kIsRecord<CoordinatedService> = true;
template <>
inline constexpr bool kIsRecord<JobConfig> = true;
template <>
inline constexpr bool kIsRecord<ApiTokenConfig> = true;

template <typename T>
struct VectorOf {
  using Element = void;
};
template <typename E>
struct VectorOf<std::vector<E>> {
  using Element = E;
};

const RecordType& KeysOf(const RepositoryLocation*);
const RecordType& KeysOf(const CoordinatedService*);
const RecordType& KeysOf(const JobConfig*);
const RecordType& KeysOf(const ApiTokenConfig*);

// What an accessor lambda `[](Record& r) -> auto& { return r.member; }` binds.
template <typename F>
struct Accessor;
template <typename F, typename R, typename O>
struct Accessor<R (F::*)(O&) const> {
  using Owner = O;
  using Member = std::remove_reference_t<R>;
};

// The key's type follows from the member's: the two cannot disagree.
template <typename M>
constexpr OptionType TypeOf() {
  using Element = typename VectorOf<M>::Element;
  if constexpr (std::is_same_v<M, std::string>) return OptionType::kString;
  else if constexpr (std::is_same_v<M, int>) return OptionType::kInt;
  else if constexpr (std::is_same_v<M, double>) return OptionType::kNumber;
  else if constexpr (std::is_same_v<M, bool>) return OptionType::kBool;
  else if constexpr (std::is_same_v<M, std::vector<std::string>>) return OptionType::kStringList;
  else if constexpr (std::is_same_v<M, StringListMap>) return OptionType::kStringListMap;
  else if constexpr (kIsRecord<M>) return OptionType::kRecord;
  else if constexpr (kIsRecord<Element>) return OptionType::kRecordList;
  else static_assert(sizeof(M) == 0, "no configuration type for this member");
}

// "sasl.password=x" -> "sasl.password=***": a property whose name says it is a password or a secret.
std::string RedactProperty(const std::string& property, bool redact) {
  auto eq = property.find('=');
  if (!redact || eq == std::string::npos || eq + 1 == property.size()) return property;
  std::string key = property.substr(0, eq);
  bool hidden = key.find("password") != std::string::npos || key.find("secret") != std::string::npos;
  return hidden ? key + "=***" : property;
}

bool IsNumeric(OptionType t) { return t == OptionType::kInt || t == OptionType::kNumber; }
bool IsStringy(OptionType t) { return t == OptionType::kString || t == OptionType::kStringList; }

// Builds the keys of one record. Key() takes an accessor lambda of that record.
template <typename Record>
class Table {
 public:
  explicit Table(std::string_view name) {
    keys_.name = name;
    keys_.make_default = [] { return std::shared_ptr<void>(std::make_shared<Record>()); };
    keys_.size = [](const void* list) { return static_cast<const std::vector<Record>*>(list)->size(); };
    keys_.at = [](void* list, size_t i) -> void* { return &static_cast<std::vector<Record>*>(list)->at(i); };
    keys_.append = [](void* list) -> void* { return &static_cast<std::vector<Record>*>(list)->emplace_back(); };
  }

  Table& Section(std::string_view path, std::string_view doc) {
    Add({.path = path, .type = OptionType::kSection, .doc = doc});
    return *this;
  }

  template <typename F>
  Table& Key(std::string_view path, F, std::string_view doc, OptionDetails details = {}) {
    using A = Accessor<decltype(&F::operator())>;
    static_assert(std::is_same_v<typename A::Owner, Record>, "the accessor reads another record");
    using M = typename A::Member;
    Option o{.path = path, .type = TypeOf<M>(), .doc = doc, .details = details};
    o.field = [](void* record) -> void* { return std::addressof(F{}(*static_cast<Record*>(record))); };
    if constexpr (kIsRecord<M>) {
      o.record = &KeysOf(static_cast<const M*>(nullptr));
    } else if constexpr (kIsRecord<typename VectorOf<M>::Element>) {
      o.record = &KeysOf(static_cast<const typename VectorOf<M>::Element*>(nullptr));
    }
    Add(o);
    return *this;
  }

  RecordType Done() { return std::move(keys_); }

 private:
  // A declaration the loader could not honour is a programmer error: it aborts
  // on first use of the table, which every configuration test makes.
  void Add(const Option& o) {
    std::string path(o.path);
    DR_CHECK(paths_.insert(path).second) << "configuration key declared twice: " << path;
    if (auto dot = path.rfind('.'); dot != std::string::npos) {
      DR_CHECK(sections_.count(path.substr(0, dot))) << "the section of " << path << " is not declared before it";
    }
    if (o.type == OptionType::kSection) sections_.insert(path);
    DR_CHECK(o.details.secrecy == Secrecy::kNone || IsStringy(o.type)) << path << ": only strings can be secret";
    DR_CHECK(o.details.secrecy != Secrecy::kSecretValues || o.type == OptionType::kStringList) << path;
    DR_CHECK(o.details.allowed.empty() || o.type == OptionType::kString) << path << ": allowed values need a string";
    DR_CHECK((o.details.min == 0 && o.details.max == 0) || IsNumeric(o.type)) << path << ": a range needs a number";
    keys_.options.push_back(o);
  }

  RecordType keys_;
  std::set<std::string> paths_;
  std::set<std::string> sections_;
};

// Where a repository lives: `repository`, and each of `replicas`.
RecordType LocationKeys() {
  using L = RepositoryLocation;
  return Table<L>("repository location")
      .Key("type", [](L& l) -> auto& { return l.type; }, "where the repository is stored", {.allowed = "local|s3"})
      .Key("path", [](L& l) -> auto& { return l.path; }, "local: the directory",
           {.default_text = "`backup_manager.backup_dir` (the primary repository)"})
      .Key("bucket", [](L& l) -> auto& { return l.bucket; }, "s3: the bucket")
      .Key("prefix", [](L& l) -> auto& { return l.prefix; }, "s3: key prefix inside the bucket")
      .Key("endpoint", [](L& l) -> auto& { return l.endpoint; }, "s3: endpoint URL (AWS, Ceph, MinIO)",
           {.default_text = "`https://s3.<region>.amazonaws.com`"})
      .Key("region", [](L& l) -> auto& { return l.region; }, "s3: region",
           {.default_text = "`aws.region` (a replica: `aws.backup_region`), then `us-east-1`"})
      .Key("force_path_style", [](L& l) -> auto& { return l.force_path_style; },
           "s3: https://host/bucket/key instead of https://bucket.host/key")
      .Key("access_key_id", [](L& l) -> auto& { return l.access_key_id; }, "s3: access key",
           {.default_text = "`$AWS_ACCESS_KEY_ID`, then `~/.aws/credentials`"})
      .Key("secret_access_key", [](L& l) -> auto& { return l.secret_access_key; }, "s3: secret key",
           {.secrecy = Secrecy::kSecret, .default_text = "`$AWS_SECRET_ACCESS_KEY`, then `~/.aws/credentials`"})
      .Done();
}

// One service the DR coordinator watches: each of `dr_coordinator.services`.
RecordType ServiceKeys() {
  using S = CoordinatedService;
  return Table<S>("coordinated service")
      .Key("name", [](S& s) -> auto& { return s.name; }, "unique name (required)")
      .Key("type", [](S& s) -> auto& { return s.type; }, "what to check (required)",
           {.allowed = "postgresql|s3|kafka|http|tcp|dns|command"})
      .Key("primary", [](S& s) -> auto& { return s.primary; }, "postgresql: libpq conninfo of the primary (required)")
      .Key("standby", [](S& s) -> auto& { return s.standby; },
           "postgresql: libpq conninfo of the streaming standby, the failover target")
      .Key("bucket", [](S& s) -> auto& { return s.bucket; },
           "s3: bucket (endpoint and credentials from the s3 section; the mirror's bucket at the mirror's endpoint "
           "and region); omitted, the lake's bucket in use: "
           "`dr_coordinator.failover.storage.primary_bucket`, or the replica after a storage switch")
      .Key("bootstrap_servers", [](S& s) -> auto& { return s.bootstrap_servers; },
           "kafka: host:port,...; omitted, the brokers in use: `kafka.bootstrap_servers`, or the replica ones after "
           "a Kafka switch")
      .Key("url", [](S& s) -> auto& { return s.url; }, "http: URL (required)")
      .Key("expect_status", [](S& s) -> auto& { return s.expect_status; }, "http: the status a healthy service answers",
           {.min = 100, .max = 599})
      .Key("expect_body", [](S& s) -> auto& { return s.expect_body; }, "http: text the body must contain")
      .Key("address", [](S& s) -> auto& { return s.address; }, "tcp: host:port (required)")
      .Key("server", [](S& s) -> auto& { return s.server; }, "dns: host:port of the server asked",
           {.default_text = "`dr_coordinator.failover.dns.server`"})
      .Key("record", [](S& s) -> auto& { return s.record; }, "dns: the name resolved (required)")
      .Key("expect_address", [](S& s) -> auto& { return s.expect_address; },
           "dns: the address it must resolve to; empty: any")
      .Key("command", [](S& s) -> auto& { return s.command; }, "command: healthy when it exits 0 (required)")
      .Key("interval_seconds", [](S& s) -> auto& { return s.interval_seconds; }, "between checks",
           {.min = 0.1, .max = 3600, .default_text = "`dr_coordinator.check_interval_seconds`"})
      .Key("timeout_seconds", [](S& s) -> auto& { return s.timeout_seconds; },
           "one check's bound on each wait (postgresql: the connection, then each query's answer; fractions "
           "count): a server that does not answer in time fails the check",
           {.min = 0.1, .max = 3600})
      .Key("failure_threshold", [](S& s) -> auto& { return s.failure_threshold; },
           "consecutive failed checks before the service is failed",
           {.min = 1, .max = 1000, .default_text = "`dr_coordinator.failure_threshold`"})
      .Key("max_lag_seconds", [](S& s) -> auto& { return s.max_lag_seconds; },
           "postgresql: a standby further behind makes the service degraded")
      .Done();
}

// One job of `serve`: each of `automation.jobs`.
RecordType JobKeys() {
  using J = JobConfig;
  return Table<J>("scheduled job")
      .Key("name", [](J& j) -> auto& { return j.name; }, "unique name (required)")
      .Key("action", [](J& j) -> auto& { return j.action; }, "what the job does (required)",
           {.allowed = "backup|verify|retention|repo_check|replicate|s3_mirror|restore_test|drill"})
      .Key("components", [](J& j) -> auto& { return j.components; }, "backup: the components; empty: every configured one")
      .Key("paths", [](J& j) -> auto& { return j.paths; }, "backup of files: these instead of `files.paths`")
      .Key("tags", [](J& j) -> auto& { return j.tags; }, "backup: tags (`job:<name>` is always added)")
      .Key("full", [](J& j) -> auto& { return j.full; }, "verify, repo_check: read and decrypt every blob")
      .Key("scenario", [](J& j) -> auto& { return j.scenario; }, "drill: the scenario (required for a drill job)",
           {.allowed = "restore-test|database|storage|corruption|breach|all"})
      .Key("disruptive", [](J& j) -> auto& { return j.disruptive; },
           "drill: run disruptive scenarios (needs `drill.environment: true`); all: with them")
      .Key("daily", [](J& j) -> auto& { return j.daily; }, "schedule: `HH:MM` every day")
      .Key("weekly", [](J& j) -> auto& { return j.weekly; }, "schedule: `DAY HH:MM` (`sun 05:00`, `mon-fri 22:30`)")
      .Key("monthly", [](J& j) -> auto& { return j.monthly; }, "schedule: `DAY-OF-MONTH HH:MM` (`1 04:00`)")
      .Key("cron", [](J& j) -> auto& { return j.cron; },
           "schedule: a cron expression (`*/15 * * * *`, `@hourly`); exactly one schedule key per job")
      .Key("max_attempts", [](J& j) -> auto& { return j.max_attempts; },
           "attempts of a run that fails with a temporary error (server down, I/O)", {.min = 1, .max = 100})
      .Done();
}

// A user of the HTTP API: each of `automation.api.tokens`.
RecordType ApiTokenKeys() {
  using T = ApiTokenConfig;
  return Table<T>("API token")
      .Key("user", [](T& t) -> auto& { return t.user; }, "the user of `access_control` the token stands for (required)")
      .Key("token_file", [](T& t) -> auto& { return t.token_file; },
           "file holding the bearer token (required; never a token inline)")
      .Done();
}

const RecordType& KeysOf(const JobConfig*) {
  static const RecordType keys = JobKeys();
  return keys;
}

const RecordType& KeysOf(const ApiTokenConfig*) {
  static const RecordType keys = ApiTokenKeys();
  return keys;
}

const RecordType& KeysOf(const RepositoryLocation*) {
  static const RecordType keys = LocationKeys();
  return keys;
}

const RecordType& KeysOf(const CoordinatedService*) {
  static const RecordType keys = ServiceKeys();
  return keys;
}

RecordType RootKeys() {
  using C = Config;
  const std::string_view kAwsKeyId = "`$AWS_ACCESS_KEY_ID`, then `~/.aws/credentials`";
  const std::string_view kAwsSecret = "`$AWS_SECRET_ACCESS_KEY`, then `~/.aws/credentials`";
  return Table<C>("configuration")
      .Section("backup_manager", "Where and how backups are stored.")
      .Key("backup_manager.backup_dir", [](C& c) -> auto& { return c.backup_manager.backup_dir; },
           "repository directory (local backend)")
      .Section("backup_manager.retention_policies", "How many backups `retention apply` keeps.")
      .Key("backup_manager.retention_policies.daily", [](C& c) -> auto& { return c.backup_manager.retention_policies.daily; },
           "newest backup of each of the last N days", {.min = 0, .max = 100000})
      .Key("backup_manager.retention_policies.weekly",
           [](C& c) -> auto& { return c.backup_manager.retention_policies.weekly; },
           "newest backup of each of the last N ISO weeks", {.min = 0, .max = 100000})
      .Key("backup_manager.retention_policies.monthly",
           [](C& c) -> auto& { return c.backup_manager.retention_policies.monthly; },
           "newest backup of each of the last N months", {.min = 0, .max = 100000})
      .Key("backup_manager.retention_policies.last", [](C& c) -> auto& { return c.backup_manager.retention_policies.last; },
           "also keep the N newest backups", {.min = 0, .max = 100000})
      .Key("backup_manager.retention_policies.within",
           [](C& c) -> auto& { return c.backup_manager.retention_policies.within; },
           "also keep every backup this close to the newest: 30d, 12h, 2w")
      .Key("backup_manager.compression_level", [](C& c) -> auto& { return c.backup_manager.compression_level; },
           "zstd level; 0 stores uncompressed", {.min = 0, .max = 19})
      .Key("backup_manager.threads", [](C& c) -> auto& { return c.backup_manager.threads; },
           "worker threads; 0: one per core", {.min = 0, .max = 256})
      .Key("backup_manager.io_concurrency", [](C& c) -> auto& { return c.backup_manager.io_concurrency; },
           "storage reads in flight while restoring (ranged GETs on S3), and while opening the repository (its "
           "index files) and listing backups (the snapshots not in the summary cache); 0: the repository's own "
           "default (S3 16, local disk 8)",
           {.min = 0, .max = 256})
      .Key("backup_manager.index_dir", [](C& c) -> auto& { return c.backup_manager.index_dir; },
           "where the index of a repository past 262,144 blobs keeps its sorted runs (unlinked temporary files, "
           "~48 bytes per blob, twice that while two merge); a directory on disk, not a small tmpfs",
           {.default_text = "`$TMPDIR`, else /tmp"})

      .Section("aws", "Regions.")
      .Key("aws.region", [](C& c) -> auto& { return c.aws.region; }, "primary region")
      .Key("aws.backup_region", [](C& c) -> auto& { return c.aws.backup_region; },
           "region the repository is replicated to")

      .Section("postgresql", "The PostgreSQL server to back up (component postgresql).")
      .Key("postgresql.host", [](C& c) -> auto& { return c.postgresql.host; }, "host name or address")
      .Key("postgresql.port", [](C& c) -> auto& { return c.postgresql.port; }, "TCP port", {.min = 1, .max = 65535})
      .Key("postgresql.database", [](C& c) -> auto& { return c.postgresql.database; }, "database name")
      .Key("postgresql.username", [](C& c) -> auto& { return c.postgresql.username; }, "role to connect as")
      .Key("postgresql.password", [](C& c) -> auto& { return c.postgresql.password; }, "password (use `${DB_PASSWORD}`)",
           {.secrecy = Secrecy::kSecret})
      .Key("postgresql.databases", [](C& c) -> auto& { return c.postgresql.databases; }, "databases to back up",
           {.default_text = "`[<postgresql.database>]`"})
      .Key("postgresql.sslmode", [](C& c) -> auto& { return c.postgresql.sslmode; },
           "libpq sslmode (disable, require, verify-full, ...)")
      .Key("postgresql.connect_timeout", [](C& c) -> auto& { return c.postgresql.connect_timeout; }, "seconds",
           {.min = 1, .max = 3600})
      .Key("postgresql.bin_dir", [](C& c) -> auto& { return c.postgresql.bin_dir; },
           "directory of pg_dump, pg_restore, ...", {.default_text = "the newest `/usr/lib/postgresql/*/bin`"})
      .Key("postgresql.wal_compression_level", [](C& c) -> auto& { return c.postgresql.wal_compression_level; },
           "zstd level for archived WAL (`wal push`); 1 keeps it fast", {.min = 0, .max = 19})
      .Key("postgresql.archive_async", [](C& c) -> auto& { return c.postgresql.archive_async; },
           "`wal push` also drains the backlog of ready WAL segments in parallel")
      .Key("postgresql.archive_push_jobs", [](C& c) -> auto& { return c.postgresql.archive_push_jobs; },
           "parallel pushes in async mode", {.min = 1, .max = 64})
      .Key("postgresql.spool_dir", [](C& c) -> auto& { return c.postgresql.spool_dir; },
           "async archiving markers; writable by the PostgreSQL user")
      .Key("postgresql.count_rows", [](C& c) -> auto& { return c.postgresql.count_rows; },
           "a logical backup counts every table's rows in pg_dump's own snapshot (one more read of each table, "
           "beside the dump) and keeps the counts; drills check the restore against them")

      .Section("encryption", "Repository encryption.")
      .Key("encryption.enabled", [](C& c) -> auto& { return c.encryption.enabled; }, "encrypt with AES-256-GCM")
      .Key("encryption.auto_generate_key", [](C& c) -> auto& { return c.encryption.auto_generate_key; },
           "create key_file at `repo init` when it is missing")
      .Key("encryption.key_file", [](C& c) -> auto& { return c.encryption.key_file; },
           "master key file (base64 of 32 bytes, mode 0600); else `$ECAP_BACKUP_ENCRYPTION_KEY`")

      .Section("access_control", "Who may do what.")
      .Key("access_control.enabled", [](C& c) -> auto& { return c.access_control.enabled; }, "check permissions")
      .Key("access_control.users", [](C& c) -> auto& { return c.access_control.users; },
           "user -> permission patterns (`backup.*`, `role:<name>`)")
      .Key("access_control.roles", [](C& c) -> auto& { return c.access_control.roles; }, "role -> permission patterns")

      .Section("audit", "The audit trail.")
      .Key("audit.log_file", [](C& c) -> auto& { return c.audit.log_file; }, "append-only, hash-chained JSON lines")

      .Section("alerting", "Alert rules and notification channels.")
      .Section("alerting.rules", "Thresholds.")
      .Key("alerting.rules.max_backup_duration_minutes",
           [](C& c) -> auto& { return c.alerting.rules.max_backup_duration_minutes; }, "alert when a backup runs longer")
      .Key("alerting.rules.max_backup_size_gb", [](C& c) -> auto& { return c.alerting.rules.max_backup_size_gb; },
           "alert when a backup is larger")
      .Key("alerting.rules.max_backup_age_hours", [](C& c) -> auto& { return c.alerting.rules.max_backup_age_hours; },
           "alert when the newest backup is older")
      .Key("alerting.rules.min_free_space_gb", [](C& c) -> auto& { return c.alerting.rules.min_free_space_gb; },
           "alert when a local repository's file system has less free space (GiB); 0: never")
      .Key("alerting.rules.max_access_denials", [](C& c) -> auto& { return c.alerting.rules.max_access_denials; },
           "alert when more operations than this were denied within `access_denial_window`")
      .Key("alerting.rules.access_denial_window", [](C& c) -> auto& { return c.alerting.rules.access_denial_window; },
           "the window access denials are counted in: 15m, 1h, 1d")
      .Key("alerting.rules.key_rotation_days", [](C& c) -> auto& { return c.alerting.rules.key_rotation_days; },
           "alert when the master key is older (days; the guide rotates quarterly)", {.min = 1})
      .Key("alerting.rules.max_drill_age_days", [](C& c) -> auto& { return c.alerting.rules.max_drill_age_days; },
           "alert when a scenario drilled before has not been drilled for longer (days); 0: never", {.min = 0})
      .Key("alerting.repeat_interval", [](C& c) -> auto& { return c.alerting.repeat_interval; },
           "notify a firing alert again after this long: 90s, 30m, 4h, 1d, 1h30m")
      .Section("alerting.notifications", "Channels.")
      .Section("alerting.notifications.email", "SMTP email.")
      .Key("alerting.notifications.email.enabled", [](C& c) -> auto& { return c.alerting.email.enabled; },
           "send alerts by email")
      .Key("alerting.notifications.email.smtp_server", [](C& c) -> auto& { return c.alerting.email.smtp_server; },
           "host or host:port")
      .Key("alerting.notifications.email.port", [](C& c) -> auto& { return c.alerting.email.port; },
           "SMTP port (587 for submission with STARTTLS)", {.min = 1, .max = 65535})
      .Key("alerting.notifications.email.smtp_port", [](C& c) -> auto& { return c.alerting.email.smtp_port; },
           "the older name of `port`; give one of the two", {.min = 1, .max = 65535})
      .Key("alerting.notifications.email.starttls", [](C& c) -> auto& { return c.alerting.email.starttls; },
           "require STARTTLS before AUTH and the message")
      .Key("alerting.notifications.email.username", [](C& c) -> auto& { return c.alerting.email.username; },
           "SMTP AUTH user")
      .Key("alerting.notifications.email.password", [](C& c) -> auto& { return c.alerting.email.password; },
           "SMTP AUTH password", {.secrecy = Secrecy::kSecret})
      .Key("alerting.notifications.email.from_address", [](C& c) -> auto& { return c.alerting.email.from_address; },
           "sender")
      .Key("alerting.notifications.email.to_addresses", [](C& c) -> auto& { return c.alerting.email.to_addresses; },
           "recipients")
      .Section("alerting.notifications.slack", "Slack incoming webhook.")
      .Key("alerting.notifications.slack.enabled", [](C& c) -> auto& { return c.alerting.slack.enabled; },
           "send alerts to Slack")
      .Key("alerting.notifications.slack.webhook_url", [](C& c) -> auto& { return c.alerting.slack.url; },
           "webhook URL, which carries its credentials (use `${SLACK_WEBHOOK_URL}`)", {.secrecy = Secrecy::kSecret})
      .Section("alerting.notifications.webhook", "Generic JSON webhook.")
      .Key("alerting.notifications.webhook.enabled", [](C& c) -> auto& { return c.alerting.webhook.enabled; },
           "post alerts to the webhook")
      .Key("alerting.notifications.webhook.url", [](C& c) -> auto& { return c.alerting.webhook.url; },
           "webhook URL, which may carry credentials; receives Alertmanager's webhook JSON (version 4)",
           {.secrecy = Secrecy::kSecret})
      .Key("alerting.notifications.webhook.hmac_secret", [](C& c) -> auto& { return c.alerting.webhook.hmac_secret; },
           "when set, each request carries `X-Ecap-Signature: sha256=<hex HMAC-SHA256 of the body>`",
           {.secrecy = Secrecy::kSecret})
      .Section("alerting.notifications.alertmanager", "Prometheus Alertmanager (POST /api/v2/alerts).")
      .Key("alerting.notifications.alertmanager.enabled", [](C& c) -> auto& { return c.alerting.alertmanager.enabled; },
           "send alerts to Alertmanager")
      .Key("alerting.notifications.alertmanager.url", [](C& c) -> auto& { return c.alerting.alertmanager.url; },
           "Alertmanager's base URL: http://alertmanager:9093")
      .Section("alerting.notifications.pagerduty", "PagerDuty Events API v2 (one event per alert; resolved alerts resolve).")
      .Key("alerting.notifications.pagerduty.enabled", [](C& c) -> auto& { return c.alerting.pagerduty.enabled; },
           "page through PagerDuty")
      .Key("alerting.notifications.pagerduty.routing_key", [](C& c) -> auto& { return c.alerting.pagerduty.routing_key; },
           "the integration key of the PagerDuty service (use `${PAGERDUTY_ROUTING_KEY}`)", {.secrecy = Secrecy::kSecret})
      .Key("alerting.notifications.pagerduty.url", [](C& c) -> auto& { return c.alerting.pagerduty.url; },
           "the Events API endpoint (a proxy's, or a test receiver's)")

      .Key("repository", [](C& c) -> auto& { return c.repository; },
           "Where backups are stored: a local directory or an S3 bucket.")
      .Key("replicas", [](C& c) -> auto& { return c.replicas; },
           "Copies of the repository in other regions (`repo replicate`), each with the keys of `repository`.")

      .Section("s3", "The data lake (component s3).")
      .Key("s3.endpoint", [](C& c) -> auto& { return c.s3.endpoint; }, "S3 endpoint URL (AWS, Ceph, MinIO)",
           {.default_text = "`https://s3.<region>.amazonaws.com`"})
      .Key("s3.region", [](C& c) -> auto& { return c.s3.region; }, "region",
           {.default_text = "`aws.region`, then `us-east-1`"})
      .Key("s3.force_path_style", [](C& c) -> auto& { return c.s3.force_path_style; },
           "https://host/bucket/key instead of https://bucket.host/key")
      .Key("s3.access_key_id", [](C& c) -> auto& { return c.s3.access_key_id; }, "access key",
           {.default_text = kAwsKeyId})
      .Key("s3.secret_access_key", [](C& c) -> auto& { return c.s3.secret_access_key; }, "secret key",
           {.secrecy = Secrecy::kSecret, .default_text = kAwsSecret})
      .Key("s3.buckets", [](C& c) -> auto& { return c.s3.buckets; }, "buckets, or bucket/prefix/, to back up")
      .Section("s3.mirror", "Live mirror of a data-lake bucket to a bucket in the backup region (`s3 mirror`).")
      .Key("s3.mirror.source", [](C& c) -> auto& { return c.s3.mirror_source; }, "source bucket")
      .Key("s3.mirror.target", [](C& c) -> auto& { return c.s3.mirror_target; }, "target bucket")
      .Key("s3.mirror.prefix", [](C& c) -> auto& { return c.s3.mirror_prefix; }, "only keys with this prefix")
      .Key("s3.mirror.target_endpoint", [](C& c) -> auto& { return c.s3.mirror_target_endpoint; },
           "endpoint of the target", {.default_text = "`s3.endpoint`"})
      .Key("s3.mirror.target_region", [](C& c) -> auto& { return c.s3.mirror_target_region; }, "region of the target",
           {.default_text = "`aws.backup_region`, then `s3.region`"})
      .Key("s3.mirror.delete", [](C& c) -> auto& { return c.s3.mirror_delete; },
           "remove target objects deleted at the source")
      .Key("s3.mirror.state_file", [](C& c) -> auto& { return c.s3.mirror_state_file; }, "what was mirrored",
           {.default_text = "`/var/lib/ecap-dr/mirror-<source>-<target>.state`"})
      .Key("s3.mirror.interval_seconds", [](C& c) -> auto& { return c.s3.mirror_interval_seconds; },
           "pause between passes of `--watch`", {.min = 1, .max = 86400})

      .Section("kafka", "The Kafka cluster (component kafka).")
      .Key("kafka.bootstrap_servers", [](C& c) -> auto& { return c.kafka.bootstrap_servers; }, "host:port,host:port")
      .Key("kafka.topics", [](C& c) -> auto& { return c.kafka.topics; },
           "glob patterns of the topics to back up; empty: every topic")
      .Key("kafka.exclude_topics", [](C& c) -> auto& { return c.kafka.exclude_topics; }, "glob patterns of topics to skip")
      .Key("kafka.exclude_internal", [](C& c) -> auto& { return c.kafka.exclude_internal; },
           "skip `__consumer_offsets` and the like")
      .Key("kafka.consumer_groups", [](C& c) -> auto& { return c.kafka.consumer_groups; },
           "glob patterns of the groups whose offsets to keep; empty: every group the cluster lists; named groups "
           "are read even when the cluster cannot list groups")
      .Key("kafka.timeout_seconds", [](C& c) -> auto& { return c.kafka.timeout_seconds; },
           "metadata and admin request timeout", {.min = 1, .max = 3600})
      .Section("kafka.security", "TLS and SASL, passed to librdkafka.")
      .Key("kafka.security.protocol", [](C& c) -> auto& { return c.kafka.security_protocol; }, "security.protocol",
           {.allowed = "PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL"})
      .Key("kafka.security.sasl_mechanism", [](C& c) -> auto& { return c.kafka.sasl_mechanism; }, "sasl.mechanism",
           {.allowed = "PLAIN|SCRAM-SHA-256|SCRAM-SHA-512|GSSAPI|OAUTHBEARER"})
      .Key("kafka.security.sasl_username", [](C& c) -> auto& { return c.kafka.sasl_username; }, "sasl.username")
      .Key("kafka.security.sasl_password", [](C& c) -> auto& { return c.kafka.sasl_password; }, "sasl.password",
           {.secrecy = Secrecy::kSecret})
      .Key("kafka.security.ssl_ca_location", [](C& c) -> auto& { return c.kafka.ssl_ca_location; }, "ssl.ca.location")
      .Key("kafka.security.ssl_certificate_location", [](C& c) -> auto& { return c.kafka.ssl_certificate_location; },
           "ssl.certificate.location")
      .Key("kafka.security.ssl_key_location", [](C& c) -> auto& { return c.kafka.ssl_key_location; },
           "ssl.key.location")
      .Key("kafka.security.ssl_key_password", [](C& c) -> auto& { return c.kafka.ssl_key_password; },
           "ssl.key.password", {.secrecy = Secrecy::kSecret})
      .Key("kafka.properties", [](C& c) -> auto& { return c.kafka.properties; },
           "more librdkafka properties, `key=value`; values of keys naming a password or secret are redacted",
           {.secrecy = Secrecy::kSecretValues})

      .Section("dr_coordinator", "Health monitoring and failover (`health`, `monitor`, `failover`).")
      .Key("dr_coordinator.check_interval_seconds", [](C& c) -> auto& { return c.coordinator.check_interval_seconds; },
           "between checks", {.min = 0.1, .max = 3600})
      .Key("dr_coordinator.failure_threshold", [](C& c) -> auto& { return c.coordinator.failure_threshold; },
           "consecutive failed checks before a service is failed", {.min = 1, .max = 1000})
      .Key("dr_coordinator.auto_failover", [](C& c) -> auto& { return c.coordinator.auto_failover; },
           "`monitor` fails over by itself")
      .Key("dr_coordinator.rto_target_minutes", [](C& c) -> auto& { return c.coordinator.rto_target_minutes; },
           "recovery time objective")
      .Key("dr_coordinator.rpo_target_minutes", [](C& c) -> auto& { return c.coordinator.rpo_target_minutes; },
           "recovery point objective; an automatic failover that would lose more is refused")
      .Key("dr_coordinator.state_dir", [](C& c) -> auto& { return c.coordinator.state_dir; },
           "events database and state")
      .Key("dr_coordinator.services", [](C& c) -> auto& { return c.coordinator.services; },
           "The services watched; `type` says which keys a service needs.")
      .Section("dr_coordinator.failover", "The failover plan: ordered, verified, reversible steps.")
      .Key("dr_coordinator.failover.fence_command", [](C& c) -> auto& { return c.coordinator.fence_command; },
           "stops the old primary (shell); a failure stops the failover")
      .Key("dr_coordinator.failover.hook_timeout_seconds",
           [](C& c) -> auto& { return c.coordinator.hook_timeout_seconds; }, "per command", {.min = 1, .max = 86400})
      .Section("dr_coordinator.failover.dns", "RFC 2136 update of the database's name.")
      .Key("dr_coordinator.failover.dns.server", [](C& c) -> auto& { return c.coordinator.dns_server; },
           "host:port of the primary name server")
      .Key("dr_coordinator.failover.dns.zone", [](C& c) -> auto& { return c.coordinator.dns_zone; },
           "zone, e.g. platform.test")
      .Key("dr_coordinator.failover.dns.record", [](C& c) -> auto& { return c.coordinator.dns_record; },
           "name, e.g. db.platform.test")
      .Key("dr_coordinator.failover.dns.ttl", [](C& c) -> auto& { return c.coordinator.dns_ttl; },
           "TTL of the new record", {.min = 0, .max = 86400})
      .Key("dr_coordinator.failover.dns.tsig_key_file", [](C& c) -> auto& { return c.coordinator.dns_tsig_key_file; },
           "BIND key file (tsig-keygen)")
      .Section("dr_coordinator.failover.storage", "Data-lake bucket switch.")
      .Key("dr_coordinator.failover.storage.primary_bucket",
           [](C& c) -> auto& { return c.coordinator.storage_primary_bucket; }, "bucket in use")
      .Key("dr_coordinator.failover.storage.replica_bucket",
           [](C& c) -> auto& { return c.coordinator.storage_replica_bucket; }, "bucket in the backup region")
      .Key("dr_coordinator.failover.storage.switch_hook",
           [](C& c) -> auto& { return c.coordinator.storage_switch_hook; }, "command run with `$ECAP_DR_ACTIVE_BUCKET` set")
      .Section("dr_coordinator.failover.kafka",
               "Kafka in the backup region: the region runbook restores the newest backup of Kafka into these "
               "brokers and makes them the cluster in use (backups and restores then go to them).")
      .Key("dr_coordinator.failover.kafka.replica_bootstrap_servers",
           [](C& c) -> auto& { return c.coordinator.kafka_replica_bootstrap_servers; },
           "brokers in the backup region, `host:port,...` (the primary ones: `kafka.bootstrap_servers`)")
      .Key("dr_coordinator.failover.kafka.switch_hook", [](C& c) -> auto& { return c.coordinator.kafka_switch_hook; },
           "command run with `$ECAP_DR_ACTIVE_KAFKA` (the brokers now in use) set, to repoint producers and consumers")
      .Key("dr_coordinator.failover.compute_hooks", [](C& c) -> auto& { return c.coordinator.compute_hooks; },
           "commands run in order to scale compute")
      .Section("dr_coordinator.coordination", "Several coordinators.")
      .Section("dr_coordinator.coordination.etcd", "Leader election through etcd, so two can never fail over at once.")
      .Key("dr_coordinator.coordination.etcd.endpoints", [](C& c) -> auto& { return c.coordinator.etcd_endpoints; },
           "`http://host:2379`, ...")
      .Key("dr_coordinator.coordination.etcd.lease_seconds", [](C& c) -> auto& { return c.coordinator.lease_seconds; },
           "leader lease", {.min = 2, .max = 3600})

      .Section("automation", "The daemon `ecap-dr serve`: scheduled jobs, metrics and the HTTP API.")
      .Key("automation.listen", [](C& c) -> auto& { return c.automation.listen; },
           "host:port of /metrics, /healthz, /api/v1 and the status page")
      .Key("automation.timezone", [](C& c) -> auto& { return c.automation.timezone; },
           "time zone of the schedules: an IANA name (`Europe/Berlin`) or `local`")
      .Key("automation.starting_deadline", [](C& c) -> auto& { return c.automation.starting_deadline; },
           "a run missed while the daemon was down starts once at start-up if it was due within this (`6h`)")
      .Key("automation.shutdown_timeout", [](C& c) -> auto& { return c.automation.shutdown_timeout; },
           "on SIGTERM, running jobs get this long to finish before they are cancelled")
      .Key("automation.retry_delay", [](C& c) -> auto& { return c.automation.retry_delay; },
           "wait before the first retry of a failed run; doubled for each next one, at most 30m")
      .Key("automation.retention_after_backup", [](C& c) -> auto& { return c.automation.retention_after_backup; },
           "run `retention apply` after each scheduled backup")
      .Key("automation.jobs", [](C& c) -> auto& { return c.automation.jobs; },
           "The scheduled jobs; each has a name, an action and exactly one schedule.")
      .Section("automation.api", "The HTTP API (`/api/v1`).")
      .Key("automation.api.tokens", [](C& c) -> auto& { return c.automation.api_tokens; },
           "Bearer tokens, each mapped to a user of `access_control`.")
      .Key("automation.api.tls_certificate", [](C& c) -> auto& { return c.automation.tls_certificate; },
           "PEM certificate: serve HTTPS instead of HTTP")
      .Key("automation.api.tls_key", [](C& c) -> auto& { return c.automation.tls_key; }, "PEM private key of the certificate")

      .Section("files", "The files component.")
      .Key("files.paths", [](C& c) -> auto& { return c.files.paths; }, "files and directories to back up")
      .Key("files.exclude", [](C& c) -> auto& { return c.files.exclude; }, "glob patterns (fnmatch) of paths to skip")

      .Section("runbooks", "The recovery runbooks (`ecap-dr runbook`).")
      .Key("runbooks.directory", [](C& c) -> auto& { return c.runbooks.directory; },
           "a directory of the user's runbooks (*.yaml); one named as a shipped runbook replaces it")

      .Section("drill", "Disaster-recovery drills (`ecap-dr drill`). The default scenario changes nothing live; "
                        "the disruptive ones break the platform on purpose and need both this section's "
                        "environment: true and --disruptive.")
      .Key("drill.environment", [](C& c) -> auto& { return c.drill.environment; },
           "true: this platform is a drill environment that disruptive drills may break (never production)")
      .Key("drill.timeout_seconds", [](C& c) -> auto& { return c.drill.timeout_seconds; },
           "a disruptive scenario not recovered this long after its fault fails", {.min = 1, .max = 86400})
      .Key("drill.scratch_dir", [](C& c) -> auto& { return c.drill.scratch_dir; },
           "where drills restore into scratch copies (files, a physical backup's scratch server, the "
           "corruption scenario's clean copy), one directory per drill, removed after it; an absolute path the "
           "postgres user can walk to. A drill-* directory there that no running drill holds is a killed "
           "drill's, removed by the next drill; anything else there is left alone")
      .Section("drill.faults", "How each disruptive scenario makes its fault: shell commands.")
      .Key("drill.faults.database", [](C& c) -> auto& { return c.drill.database_fault; },
           "shell command that makes the database primary fail (the database scenario), given the primary's "
           "address as it is now in $ECAP_DR_PRIMARY (after a failback, not the configured one), e.g. "
           "\"ssh $ECAP_DR_PRIMARY 'kill -9 $(head -1 /var/lib/postgresql/15/main/postmaster.pid)'\"")
      .Key("drill.faults.storage", [](C& c) -> auto& { return c.drill.storage_fault; },
           "shell command that makes the data lake's primary bucket unavailable (the storage scenario), e.g. "
           "\"radosgw-admin bucket rm --bucket=lake --purge-objects\"")
      .Key("drill.faults.region", [](C& c) -> auto& { return c.drill.region_fault; },
           "shell command that makes the whole primary region fail (the region scenario): its database primary, "
           "lake bucket and repository at once, e.g. a script that stops them")
      .Done();
}

}  // namespace

const Option* RecordType::Find(std::string_view path) const {
  for (const auto& o : options) {
    if (o.path == path) return &o;
  }
  return nullptr;
}

json OptionToJson(const Option& o, const void* record, bool redact) {
  if (o.type == OptionType::kSection) return json::object();
  const void* field = FieldOf(o, record);
  auto shown = [&](const std::string& s) -> json {
    return redact && o.details.secrecy == Secrecy::kSecret && !s.empty() ? "***" : s;
  };
  switch (o.type) {
    case OptionType::kString:
      return shown(*static_cast<const std::string*>(field));
    case OptionType::kInt:
      return *static_cast<const int*>(field);
    case OptionType::kNumber:
      return *static_cast<const double*>(field);
    case OptionType::kBool:
      return *static_cast<const bool*>(field);
    case OptionType::kStringList: {
      json list = json::array();
      for (const auto& item : *static_cast<const std::vector<std::string>*>(field)) {
        list.push_back(o.details.secrecy == Secrecy::kSecretValues ? json(RedactProperty(item, redact)) : shown(item));
      }
      return list;
    }
    case OptionType::kStringListMap: {
      json map = json::object();
      for (const auto& [name, list] : *static_cast<const StringListMap*>(field)) map[name] = list;
      return map;
    }
    case OptionType::kRecord:
      return RecordToJson(*o.record, field, redact);
    case OptionType::kRecordList: {
      json list = json::array();
      void* elements = const_cast<void*>(field);  // read only: at() just indexes
      for (size_t i = 0; i < o.record->size(field); ++i) list.push_back(RecordToJson(*o.record, o.record->at(elements, i), redact));
      return list;
    }
    case OptionType::kSection:
      break;
  }
  return json::object();  // kSection, above
}

json RecordToJson(const RecordType& keys, const void* record, bool redact) {
  json j = json::object();
  for (const auto& o : keys.options) {
    std::string pointer = "/" + std::string(o.path);
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    // A section comes before its keys, so it is an empty object they fill.
    j[json::json_pointer(pointer)] = OptionToJson(o, record, redact);
  }
  return j;
}

const RecordType& ConfigKeys() {
  static const RecordType keys = RootKeys();
  return keys;
}

}  // namespace dr::config
