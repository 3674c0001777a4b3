#include "config/options_table.h"

#include <array>

namespace dr::config {
namespace {
using T = OptionType;

constexpr std::array kOptions{
    OptionSpec{"backup_manager", T::kSection, false, 0, 0, "where and how backups are stored"},
    OptionSpec{"backup_manager.backup_dir", T::kString, false, 0, 0, "repository directory (local backend)"},
    OptionSpec{"backup_manager.retention_policies", T::kSection, false, 0, 0, "how many backups to keep"},
    OptionSpec{"backup_manager.retention_policies.daily", T::kInt, false, 0, 100000, "newest backup of each of the last N days"},
    OptionSpec{"backup_manager.retention_policies.weekly", T::kInt, false, 0, 100000, "newest backup of each of the last N ISO weeks"},
    OptionSpec{"backup_manager.retention_policies.monthly", T::kInt, false, 0, 100000, "newest backup of each of the last N months"},
    OptionSpec{"backup_manager.retention_policies.last", T::kInt, false, 0, 100000, "also keep the N newest backups"},
    OptionSpec{"backup_manager.retention_policies.within", T::kString, false, 0, 0, "also keep backups within 30d, 12h, 2w of the newest"},
    OptionSpec{"backup_manager.compression_level", T::kInt, false, 0, 19, "zstd level, 0 = store uncompressed (default 3)"},
    OptionSpec{"backup_manager.threads", T::kInt, false, 0, 256, "worker threads, 0 = one per core"},
    OptionSpec{"aws", T::kSection, false, 0, 0, "regions"},
    OptionSpec{"aws.region", T::kString, false, 0, 0, "primary region"},
    OptionSpec{"aws.backup_region", T::kString, false, 0, 0, "region the repository is replicated to"},
    OptionSpec{"postgresql", T::kSection, false, 0, 0, "the PostgreSQL server to back up"},
    OptionSpec{"postgresql.host", T::kString, false, 0, 0, "host name or address"},
    OptionSpec{"postgresql.port", T::kInt, false, 1, 65535, "TCP port"},
    OptionSpec{"postgresql.database", T::kString, false, 0, 0, "database name"},
    OptionSpec{"postgresql.username", T::kString, false, 0, 0, "role to connect as"},
    OptionSpec{"postgresql.password", T::kString, true, 0, 0, "password (use ${DB_PASSWORD})"},
    OptionSpec{"postgresql.databases", T::kStringList, false, 0, 0, "databases to back up (default: [database])"},
    OptionSpec{"postgresql.sslmode", T::kString, false, 0, 0, "libpq sslmode (disable, require, verify-full, ...)"},
    OptionSpec{"postgresql.connect_timeout", T::kInt, false, 1, 3600, "seconds (default 10)"},
    OptionSpec{"postgresql.wal_compression_level", T::kInt, false, 0, 19, "zstd level for archived WAL (default 1)"},
    OptionSpec{"postgresql.archive_async", T::kBool, false, 0, 0, "wal push drains the backlog of ready WAL in parallel"},
    OptionSpec{"postgresql.archive_push_jobs", T::kInt, false, 1, 64, "parallel pushes in async mode (default 4)"},
    OptionSpec{"postgresql.spool_dir", T::kString, false, 0, 0, "async archiving markers (default /tmp/ecap-dr-spool)"},
    OptionSpec{"postgresql.bin_dir", T::kString, false, 0, 0, "directory of pg_dump, pg_restore, ... (default: newest installed)"},
    OptionSpec{"encryption", T::kSection, false, 0, 0, "repository encryption"},
    OptionSpec{"encryption.enabled", T::kBool, false, 0, 0, "encrypt with AES-256-GCM (default true)"},
    OptionSpec{"encryption.auto_generate_key", T::kBool, false, 0, 0, "create key_file at 'repo init' when missing"},
    OptionSpec{"encryption.key_file", T::kString, false, 0, 0, "master key file (base64 of 32 bytes, mode 0600)"},
    OptionSpec{"access_control", T::kSection, false, 0, 0, "who may do what"},
    OptionSpec{"access_control.enabled", T::kBool, false, 0, 0, "check permissions (default false)"},
    OptionSpec{"access_control.users", T::kSection, false, 0, 0, "user -> permission patterns"},
    OptionSpec{"access_control.users.*", T::kStringList, false, 0, 0, "permission patterns of a user"},
    OptionSpec{"access_control.roles", T::kSection, false, 0, 0, "role -> permission patterns"},
    OptionSpec{"access_control.roles.*", T::kStringList, false, 0, 0, "permission patterns of a role"},
    OptionSpec{"audit", T::kSection, false, 0, 0, "audit trail"},
    OptionSpec{"audit.log_file", T::kString, false, 0, 0, "append-only JSON lines"},
    OptionSpec{"alerting", T::kSection, false, 0, 0, "alert rules and notification channels"},
    OptionSpec{"alerting.rules", T::kSection, false, 0, 0, "thresholds"},
    OptionSpec{"alerting.rules.max_backup_duration_minutes", T::kNumber, false, 0, 0, "alert when a backup runs longer"},
    OptionSpec{"alerting.rules.max_backup_size_gb", T::kNumber, false, 0, 0, "alert when a backup is larger"},
    OptionSpec{"alerting.rules.max_backup_age_hours", T::kNumber, false, 0, 0, "alert when the newest backup is older"},
    OptionSpec{"alerting.notifications", T::kSection, false, 0, 0, "channels"},
    OptionSpec{"alerting.notifications.email", T::kSection, false, 0, 0, "SMTP email"},
    OptionSpec{"alerting.notifications.email.enabled", T::kBool, false, 0, 0, ""},
    OptionSpec{"alerting.notifications.email.smtp_server", T::kString, false, 0, 0, "host or host:port"},
    OptionSpec{"alerting.notifications.email.smtp_port", T::kInt, false, 1, 65535, "default 25"},
    OptionSpec{"alerting.notifications.email.username", T::kString, false, 0, 0, "SMTP AUTH user"},
    OptionSpec{"alerting.notifications.email.password", T::kString, true, 0, 0, "SMTP AUTH password"},
    OptionSpec{"alerting.notifications.email.from_address", T::kString, false, 0, 0, ""},
    OptionSpec{"alerting.notifications.email.to_addresses", T::kStringList, false, 0, 0, ""},
    OptionSpec{"alerting.notifications.slack", T::kSection, false, 0, 0, "Slack incoming webhook"},
    OptionSpec{"alerting.notifications.slack.enabled", T::kBool, false, 0, 0, ""},
    OptionSpec{"alerting.notifications.slack.webhook_url", T::kString, true, 0, 0, "use ${SLACK_WEBHOOK_URL}"},
    OptionSpec{"alerting.notifications.webhook", T::kSection, false, 0, 0, "generic JSON webhook"},
    OptionSpec{"alerting.notifications.webhook.enabled", T::kBool, false, 0, 0, ""},
    OptionSpec{"alerting.notifications.webhook.url", T::kString, true, 0, 0, ""},
    OptionSpec{"repository", T::kSection, false, 0, 0, "where backups are stored (default: local, at backup_manager.backup_dir)"},
    OptionSpec{"repository.type", T::kString, false, 0, 0, "local or s3", "local|s3"},
    OptionSpec{"repository.path", T::kString, false, 0, 0, "local directory"},
    OptionSpec{"repository.bucket", T::kString, false, 0, 0, "S3 bucket"},
    OptionSpec{"repository.prefix", T::kString, false, 0, 0, "key prefix inside the bucket"},
    OptionSpec{"repository.endpoint", T::kString, false, 0, 0, "S3 endpoint URL (AWS, Ceph, MinIO)"},
    OptionSpec{"repository.region", T::kString, false, 0, 0, "S3 region (default: aws.region)"},
    OptionSpec{"repository.force_path_style", T::kBool, false, 0, 0, "https://host/bucket/key instead of https://bucket.host/key"},
    OptionSpec{"repository.access_key_id", T::kString, false, 0, 0, "default: AWS_ACCESS_KEY_ID, ~/.aws/credentials"},
    OptionSpec{"repository.secret_access_key", T::kString, true, 0, 0, "default: AWS_SECRET_ACCESS_KEY, ~/.aws/credentials"},
    OptionSpec{"replicas", T::kSectionList, false, 0, 0, "copies of the repository in other regions, same keys as repository"},
    OptionSpec{"replicas.*", T::kSection, false, 0, 0, "one replica"},
    OptionSpec{"replicas.*.type", T::kString, false, 0, 0, "local or s3", "local|s3"},
    OptionSpec{"replicas.*.path", T::kString, false, 0, 0, "local directory"},
    OptionSpec{"replicas.*.bucket", T::kString, false, 0, 0, "S3 bucket"},
    OptionSpec{"replicas.*.prefix", T::kString, false, 0, 0, "key prefix"},
    OptionSpec{"replicas.*.endpoint", T::kString, false, 0, 0, "S3 endpoint URL"},
    OptionSpec{"replicas.*.region", T::kString, false, 0, 0, "S3 region (default: aws.backup_region)"},
    OptionSpec{"replicas.*.force_path_style", T::kBool, false, 0, 0, ""},
    OptionSpec{"replicas.*.access_key_id", T::kString, false, 0, 0, ""},
    OptionSpec{"replicas.*.secret_access_key", T::kString, true, 0, 0, ""},
    OptionSpec{"s3", T::kSection, false, 0, 0, "the data lake (component s3)"},
    OptionSpec{"s3.endpoint", T::kString, false, 0, 0, "S3 endpoint URL (AWS, Ceph, MinIO)"},
    OptionSpec{"s3.region", T::kString, false, 0, 0, "default: aws.region"},
    OptionSpec{"s3.force_path_style", T::kBool, false, 0, 0, "https://host/bucket/key addressing"},
    OptionSpec{"s3.access_key_id", T::kString, false, 0, 0, "default: AWS_ACCESS_KEY_ID, ~/.aws/credentials"},
    OptionSpec{"s3.secret_access_key", T::kString, true, 0, 0, "default: AWS_SECRET_ACCESS_KEY, ~/.aws/credentials"},
    OptionSpec{"s3.buckets", T::kStringList, false, 0, 0, "buckets or bucket/prefix/ to back up"},
    OptionSpec{"s3.mirror", T::kSection, false, 0, 0, "live mirror of a data-lake bucket to the backup region"},
    OptionSpec{"s3.mirror.source", T::kString, false, 0, 0, "source bucket"},
    OptionSpec{"s3.mirror.target", T::kString, false, 0, 0, "target bucket"},
    OptionSpec{"s3.mirror.prefix", T::kString, false, 0, 0, "only keys with this prefix"},
    OptionSpec{"s3.mirror.target_endpoint", T::kString, false, 0, 0, "default: s3.endpoint"},
    OptionSpec{"s3.mirror.target_region", T::kString, false, 0, 0, "default: aws.backup_region"},
    OptionSpec{"s3.mirror.delete", T::kBool, false, 0, 0, "remove target objects deleted at the source"},
    OptionSpec{"s3.mirror.state_file", T::kString, false, 0, 0, "what was mirrored (default /var/lib/ecap-dr/...)"},
    OptionSpec{"s3.mirror.interval_seconds", T::kInt, false, 1, 86400, "pause between passes of --watch"},
    OptionSpec{"kafka", T::kSection, false, 0, 0, "the Kafka cluster (component kafka)"},
    OptionSpec{"kafka.bootstrap_servers", T::kString, false, 0, 0, "host:port,host:port"},
    OptionSpec{"kafka.topics", T::kStringList, false, 0, 0, "glob patterns of the topics to back up (default: all)"},
    OptionSpec{"kafka.exclude_topics", T::kStringList, false, 0, 0, "glob patterns of topics to skip"},
    OptionSpec{"kafka.exclude_internal", T::kBool, false, 0, 0, "skip __consumer_offsets and the like (default true)"},
    OptionSpec{"kafka.consumer_groups", T::kStringList, false, 0, 0,
               "glob patterns of the groups whose offsets to keep (default: all); named groups are read even when "
               "the cluster cannot list groups"},
    OptionSpec{"kafka.timeout_seconds", T::kInt, false, 1, 3600, "metadata and admin request timeout (default 10)"},
    OptionSpec{"kafka.security", T::kSection, false, 0, 0, "TLS and SASL, passed to librdkafka"},
    OptionSpec{"kafka.security.protocol", T::kString, false, 0, 0, "security.protocol",
               "PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL"},
    OptionSpec{"kafka.security.sasl_mechanism", T::kString, false, 0, 0, "sasl.mechanism",
               "PLAIN|SCRAM-SHA-256|SCRAM-SHA-512|GSSAPI|OAUTHBEARER"},
    OptionSpec{"kafka.security.sasl_username", T::kString, false, 0, 0, "sasl.username"},
    OptionSpec{"kafka.security.sasl_password", T::kString, true, 0, 0, "sasl.password"},
    OptionSpec{"kafka.security.ssl_ca_location", T::kString, false, 0, 0, "ssl.ca.location"},
    OptionSpec{"kafka.security.ssl_certificate_location", T::kString, false, 0, 0, "ssl.certificate.location"},
    OptionSpec{"kafka.security.ssl_key_location", T::kString, false, 0, 0, "ssl.key.location"},
    OptionSpec{"kafka.security.ssl_key_password", T::kString, true, 0, 0, "ssl.key.password"},
    OptionSpec{"kafka.properties", T::kStringList, false, 0, 0, "more librdkafka properties, \"key=value\""},
    OptionSpec{"files", T::kSection, false, 0, 0, "the files component"},
    OptionSpec{"files.paths", T::kStringList, false, 0, 0, "files and directories to back up"},
    OptionSpec{"files.exclude", T::kStringList, false, 0, 0, "glob patterns (fnmatch) of paths to skip"},
};

bool Matches(std::string_view pattern, std::string_view path) {
  while (true) {
    auto pd = pattern.find('.');
    auto qd = path.find('.');
    std::string_view ps = pattern.substr(0, pd), qs = path.substr(0, qd);
    if (ps != "*" && ps != qs) return false;
    if (pd == std::string_view::npos || qd == std::string_view::npos) return pd == qd;
    pattern.remove_prefix(pd + 1);
    path.remove_prefix(qd + 1);
  }
}
}  // namespace

const OptionSpec* FindOption(std::string_view path) {
  for (const auto& o : kOptions) {
    if (o.path == path) return &o;
  }
  for (const auto& o : kOptions) {
    if (o.path.find('*') != std::string_view::npos && Matches(o.path, path)) return &o;
  }
  return nullptr;
}

std::span<const OptionSpec> AllOptions() { return kOptions; }

}  // namespace dr::config
