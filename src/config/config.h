// Configuration: the YAML of the operational guide's "Basic Configuration
// Example", accepted as it stands, plus the sections ecap-dr adds. `${VAR}`
// (and `${VAR:-default}`) expand from the environment; a variable that is not
// set is an error naming it. Unknown keys, wrong types and bad values are
// errors naming the key, the file and the line. Every key is declared once in
// options_table.cc, which binds it to its member below: reading, validation,
// ToJson (`config check`) and docs/configuration.md (`config reference`) all go
// through that table. A member without a line in the table is never read.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/result.h"

namespace dr::config {

struct RetentionPolicies {
  int daily = 7;
  int weekly = 4;
  int monthly = 12;
  int last = 0;        // also keep the N newest backups
  std::string within;  // also keep every backup this close to the newest ("30d", "12h")
};

struct BackupManagerConfig {
  std::string backup_dir = "/opt/ecap/backups";
  RetentionPolicies retention_policies;
  int compression_level = 3;  // zstd level 1..19; 0 stores uncompressed
  int threads = 0;            // 0: one per core
  int io_concurrency = 0;     // storage reads in flight while restoring; 0: the backend's own (S3 16, local 8)
  std::string index_dir;      // where a large index keeps its sorted runs; "": $TMPDIR, else /tmp
};

struct AwsConfig {
  std::string region;
  std::string backup_region;
};

struct PostgresConfig {
  std::string host = "localhost";
  int port = 5432;
  std::string database;
  std::string username;
  std::string password;  // secret
  std::vector<std::string> databases;  // default: [database]
  std::string sslmode;
  int connect_timeout = 10;
  std::string bin_dir;  // pg_dump & co.; default: newest /usr/lib/postgresql/*/bin
  int wal_compression_level = 1;  // zstd level for archived WAL: 1 keeps wal push fast
  bool archive_async = false;     // wal push also drains the backlog of ready segments in parallel
  int archive_push_jobs = 4;
  std::string spool_dir = "/tmp/ecap-dr-spool";  // async markers; writable by the PostgreSQL user
  // Count every table's rows in the dump's own snapshot, beside pg_dump, and
  // keep the counts with the dump: what a drill's restore is compared with.
  bool count_rows = true;
};

struct EncryptionConfig {
  bool enabled = true;
  bool auto_generate_key = false;
  std::string key_file;
};

struct AccessControlConfig {
  bool enabled = false;
  std::map<std::string, std::vector<std::string>> users;  // user -> permission patterns
  std::map<std::string, std::vector<std::string>> roles;  // role -> permission patterns
};

struct AuditConfig {
  std::string log_file;
};

struct AlertRules {
  double max_backup_duration_minutes = 60;
  double max_backup_size_gb = 100;
  double max_backup_age_hours = 25;
  // Free space where a local repository lives, in GiB; 0: never alert.
  double min_free_space_gb = 10;
  // More access denials than this within access_denial_window: alert.
  int max_access_denials = 10;
  std::string access_denial_window = "1h";  // a ParseConfigDuration duration (the loader checked it)
  // A master key older than this many days: alert (the guide: rotate quarterly).
  double key_rotation_days = 90;
  // A scenario whose last drill is older than this many days: alert (the
  // guide verifies backups weekly; 0: never).
  double max_drill_age_days = 8;

  std::chrono::seconds AccessDenialWindow() const;
};

struct EmailConfig {
  bool enabled = false;
  std::string smtp_server;
  int port = 25;
  bool starttls = false;  // STARTTLS required: no mail goes out in clear text
  std::string username;
  std::string password;  // secret
  std::string from_address;
  std::vector<std::string> to_addresses;
  int smtp_port = 25;  // the older name of `port`, kept in step with it at load time
};

struct WebhookConfig {
  bool enabled = false;
  std::string url;  // secret: webhook URLs carry their credentials
  std::string hmac_secret;  // secret; webhook only: signs the body (X-Ecap-Signature)
};

struct AlertmanagerConfig {
  bool enabled = false;
  std::string url;  // http://alertmanager:9093
};

// PagerDuty's Events API v2: one event per alert, de-duplicated by its fingerprint.
struct PagerDutyConfig {
  bool enabled = false;
  std::string routing_key;  // secret: the integration key of a PagerDuty service
  std::string url = "https://events.pagerduty.com/v2/enqueue";
};

struct AlertingConfig {
  AlertRules rules;
  // A firing alert is notified again after this long ("4h", "30m", "1h30m");
  // RepeatInterval() has it parsed (the loader checked it).
  std::string repeat_interval = "4h";
  EmailConfig email;
  WebhookConfig slack;
  WebhookConfig webhook;
  AlertmanagerConfig alertmanager;
  PagerDutyConfig pagerduty;

  std::chrono::seconds RepeatInterval() const;
};

// "90s", "30m", "4h", "1d", "2w" and sums of them ("1h30m"), as Prometheus
// writes durations; kConfig naming the text otherwise, and for zero.
Result<std::chrono::seconds> ParseConfigDuration(const std::string& text);

// Where a repository lives: a local directory or an S3 bucket (and prefix).
struct RepositoryLocation {
  std::string type = "local";  // "local" or "s3"
  std::string path;            // local: the directory (primary default: backup_manager.backup_dir)
  std::string bucket;
  std::string prefix;
  std::string endpoint;        // default: https://s3.<region>.amazonaws.com
  std::string region;          // default: aws.region, then us-east-1
  bool force_path_style = false;
  std::string access_key_id;
  std::string secret_access_key;  // secret
  std::string Describe() const;   // "/opt/ecap/backups" or "s3://bucket/prefix"
};

// The data lake (the "s3" component).
struct S3LakeConfig {
  std::string endpoint;  // default: https://s3.<region>.amazonaws.com
  std::string region;    // default: aws.region, then us-east-1
  bool force_path_style = false;
  std::string access_key_id;
  std::string secret_access_key;  // secret
  std::vector<std::string> buckets;  // "bucket" or "bucket/prefix/"
  // s3 mirror: source bucket -> target bucket in the backup region
  std::string mirror_source;
  std::string mirror_target;
  std::string mirror_prefix;
  std::string mirror_target_endpoint;  // default: endpoint
  std::string mirror_target_region;    // default: aws.backup_region, then region
  bool mirror_delete = false;
  std::string mirror_state_file;       // default: /var/lib/ecap-dr/mirror-<source>-<target>.state
  int mirror_interval_seconds = 60;
  // mirror_state_file, or its default for this source and target.
  std::string MirrorStateFile() const {
    return !mirror_state_file.empty() ? mirror_state_file
                                      : "/var/lib/ecap-dr/mirror-" + mirror_source + "-" + mirror_target + ".state";
  }
};

// The Kafka cluster (the "kafka" component). Security settings pass through
// to librdkafka (security.protocol, sasl.*, ssl.*), as do `properties`.
struct KafkaConfig {
  std::string bootstrap_servers;
  std::vector<std::string> topics;          // glob patterns; empty: every topic
  std::vector<std::string> exclude_topics;  // glob patterns
  bool exclude_internal = true;
  std::vector<std::string> consumer_groups;  // glob patterns; empty: every group the cluster lists
  int timeout_seconds = 10;                  // metadata and admin requests
  std::string security_protocol;             // PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
  std::string sasl_mechanism;
  std::string sasl_username;
  std::string sasl_password;  // secret
  std::string ssl_ca_location;
  std::string ssl_certificate_location;
  std::string ssl_key_location;
  std::string ssl_key_password;  // secret
  std::vector<std::string> properties;  // more librdkafka properties, "key=value"
  // Every librdkafka property the settings above make (the keys librdkafka uses).
  std::map<std::string, std::string> ClientProperties() const;
};

// The DR coordinator (`ecap-dr health`, `monitor`, `failover`): the services it
// watches, how it fails over, and where it keeps its state and events.
struct CoordinatedService {
  std::string name;
  std::string type;  // postgresql, s3, kafka, http, tcp, dns, command
  std::string primary;            // postgresql: libpq conninfo of the primary
  std::string standby;            // postgresql: of the streaming standby (the failover target)
  std::string bucket;             // s3 (endpoint and credentials from the s3 section)
  std::string bootstrap_servers;  // kafka
  std::string url;                // http
  int expect_status = 200;        // http
  std::string expect_body;        // http: the body must contain this
  std::string address;            // tcp: host:port
  std::string server;             // dns: host:port of the server asked (default: failover.dns.server)
  std::string record;             // dns: the name resolved
  std::string expect_address;     // dns: the address it must resolve to ("" any)
  std::string command;            // command: healthy when it exits 0
  double interval_seconds = 0;    // 0: check_interval_seconds
  double timeout_seconds = 5;
  int failure_threshold = 0;      // 0: the coordinator's failure_threshold
  double max_lag_seconds = 60;    // postgresql: a standby further behind makes the service degraded
};

struct DrCoordinatorConfig {
  double check_interval_seconds = 10;
  int failure_threshold = 3;  // consecutive failed checks before a service is failed
  bool auto_failover = false;
  double rto_target_minutes = 15;
  double rpo_target_minutes = 5;
  std::string state_dir = "/var/lib/ecap-dr";
  std::vector<CoordinatedService> services;
  // failover
  std::string fence_command;  // stops the old primary; a failure stops the failover
  double hook_timeout_seconds = 60;
  std::string dns_server;  // host:port
  std::string dns_zone;
  std::string dns_record;
  int dns_ttl = 30;
  std::string dns_tsig_key_file;  // BIND key file: key "name" { algorithm ...; secret "..."; };
  std::string storage_primary_bucket;
  std::string storage_replica_bucket;
  std::string storage_switch_hook;
  // Kafka's brokers in the backup region (the primary ones: kafka.bootstrap_servers):
  // the region runbook restores Kafka's newest backup there and makes them the
  // cluster in use (kafka_switch).
  std::string kafka_replica_bootstrap_servers;
  std::string kafka_switch_hook;
  std::vector<std::string> compute_hooks;
  // several coordinators: leader election through etcd
  std::vector<std::string> etcd_endpoints;
  int lease_seconds = 10;
};

// One job of `ecap-dr serve` (automation.jobs): an action on a schedule.
struct JobConfig {
  std::string name;
  std::string action;                   // backup, verify, retention, repo_check, replicate, s3_mirror, restore_test, drill
  std::vector<std::string> components;  // backup: which; empty: every configured one
  std::vector<std::string> paths;       // backup of files: instead of files.paths
  std::vector<std::string> tags;        // backup: tags (the job's name is added as job:NAME)
  bool full = false;                    // verify, repo_check: read and decrypt every blob
  std::string scenario;                 // drill: the scenario (restore-test, database, storage, corruption, breach, region, all)
  bool disruptive = false;              // drill: may run disruptive scenarios (in a drill environment only)
  // Exactly one schedule (base/schedule.h):
  std::string daily;    // "02:00"
  std::string weekly;   // "sun 05:00"
  std::string monthly;  // "1 04:00"
  std::string cron;     // "*/15 * * * *"
  int max_attempts = 3;  // a temporary failure is tried again, up to this many attempts in all
};

// Who may call the HTTP API: a bearer token (read from a file) for a user of access_control.
struct ApiTokenConfig {
  std::string user;
  std::string token_file;
};

struct AutomationConfig {
  std::string listen = "127.0.0.1:9187";
  std::string timezone = "local";           // IANA name; "local": the system's zone
  std::string starting_deadline = "6h";     // a run missed while down starts at start-up within this
  std::string shutdown_timeout = "5m";      // SIGTERM: running jobs get this long before they are cancelled
  std::string retry_delay = "1m";           // first retry of a failed job; doubled each time, at most 30m
  bool retention_after_backup = false;      // retention apply after each scheduled backup
  std::vector<JobConfig> jobs;
  std::vector<ApiTokenConfig> api_tokens;   // automation.api.tokens
  std::string tls_certificate;              // automation.api.tls_certificate: serve HTTPS
  std::string tls_key;
};

struct FilesConfig {
  std::vector<std::string> paths;  // backed up by the "files" component
  std::vector<std::string> exclude;
};

struct RunbooksConfig {
  std::string directory;  // the user's runbooks; empty: only the shipped ones
};

// Drills (`ecap-dr drill`): where disruptive scenarios may run, and how their faults are made.
struct DrillConfig {
  bool environment = false;      // a platform disruptive drills may break
  double timeout_seconds = 900;  // from the fault to the verified recovery
  std::string scratch_dir = "/tmp/ecap-dr-drill";  // drills' scratch copies, one directory per drill
  std::string database_fault;    // drill.faults.database: shell command
  std::string storage_fault;     // drill.faults.storage: shell command
  std::string region_fault;      // drill.faults.region: shell command
};

struct Config {
  std::string source;  // the file it was read from ("" for built-in defaults)
  BackupManagerConfig backup_manager;
  AwsConfig aws;
  PostgresConfig postgresql;
  bool postgresql_configured = false;
  EncryptionConfig encryption;
  AccessControlConfig access_control;
  AuditConfig audit;
  AlertingConfig alerting;
  FilesConfig files;
  RunbooksConfig runbooks;
  DrillConfig drill;
  S3LakeConfig s3;
  KafkaConfig kafka;
  bool kafka_configured = false;
  DrCoordinatorConfig coordinator;
  bool coordinator_configured = false;
  AutomationConfig automation;
  RepositoryLocation repository;            // the primary repository
  std::vector<RepositoryLocation> replicas;  // copies in other regions (repo replicate)

  // The effective configuration: every key of the option table, nested as in
  // the file; secrets that are not empty are replaced by "***" when redact is set.
  nlohmann::json ToJson(bool redact = true) const;
};

// Parses YAML text; `name` is used in error messages ("ecap-dr.yaml:12:3: ...").
// All errors are kConfig.
Result<Config> LoadConfigString(const std::string& text, const std::string& name);
Result<Config> LoadConfigFile(const std::string& path);

// Which file to read: the -c value, else $ECAP_DR_CONFIG, else /etc/ecap-dr/ecap-dr.yaml.
std::string ResolveConfigPath(const std::string& flag_value);

}  // namespace dr::config
