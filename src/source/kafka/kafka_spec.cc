#include "source/kafka/kafka_spec.h"

#include "base/time_util.h"
#include "source/kafka/kafka_source.h"

namespace dr::source::kafka {

ClientOptions ClientFromConfig(const config::KafkaConfig& k) {
  return {.bootstrap_servers = k.bootstrap_servers, .properties = k.ClientProperties(),
          .timeout_ms = k.timeout_seconds * 1000};
}

SourceSpec<KafkaRestoreArgs> KafkaSpec() {
  using Opts = KafkaRestoreArgs;
  SourceSpec<Opts> spec;
  spec.name = "kafka";
  spec.setting = "kafka";
  spec.configured = [](const config::Config& c) { return c.kafka_configured; };
  spec.check = [](const config::Config& c, const BackupArgs&) {
    if (c.kafka.bootstrap_servers.empty()) {
      return ConfigError("component 'kafka' needs kafka.bootstrap_servers in the configuration");
    }
    return Status::Ok();
  };
  // Where the newest earlier backup of the cluster stopped, this one goes on.
  spec.incremental = true;
  spec.make = [](const SourceEnv& env, const BackupArgs&,
                 const repo::SnapshotComponent* previous) -> Result<std::unique_ptr<Source>> {
    const auto& k = env.config->kafka;
    return std::unique_ptr<Source>(std::make_unique<KafkaSource>(KafkaOptions{
        .client = ClientFromConfig(k), .topics = k.topics, .exclude_topics = k.exclude_topics,
        .exclude_internal = k.exclude_internal, .groups = k.consumer_groups, .previous = previous,
        .admin = env.kafka_admin}));
  };
  spec.modes = {{"kafka", "component 'kafka'"}};
  spec.options = {
      {"--bootstrap-servers", [](const ItemTarget&, const Opts& o) { return !o.bootstrap_servers.empty(); }, {"kafka"}},
      {"--topics", [](const ItemTarget&, const Opts& o) { return !o.topics.empty(); }, {"kafka"}},
      {"--topic-prefix", [](const ItemTarget&, const Opts& o) { return !o.topic_prefix.empty(); }, {"kafka"}},
      {"--to-time", [](const ItemTarget&, const Opts& o) { return !o.to_time.empty(); }, {"kafka"}},
      {"--allow-existing-data", [](const ItemTarget&, const Opts& o) { return o.allow_existing_data; }, {"kafka"}},
      {"--no-group-offsets", [](const ItemTarget&, const Opts& o) { return !o.groups; }, {"kafka"}},
  };
  spec.restore = [](const SourceEnv& env, const repo::SnapshotComponent& component, ItemReader& reader,
                    const ItemTarget&, const Opts& o) -> Result<RestoreStats> {
    KafkaRestoreOptions k{.client = ClientFromConfig(env.config->kafka), .topics = o.topics,
                          .topic_prefix = o.topic_prefix, .allow_existing_data = o.allow_existing_data,
                          .groups = o.groups, .admin = env.kafka_admin};
    if (!o.bootstrap_servers.empty()) k.client.bootstrap_servers = o.bootstrap_servers;
    if (k.client.bootstrap_servers.empty()) {
      return ConfigError("restoring Kafka needs --bootstrap-servers or kafka.bootstrap_servers");
    }
    if (!o.to_time.empty()) {
      auto t = ParseTimeArg(o.to_time);
      if (!t.ok()) return t.status().WithContext("--to-time");
      k.to_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
    }
    DR_ASSIGN_OR_RETURN(KafkaRestoreStats stats, RestoreKafka(component, reader, k));
    return RestoreStats{.items = stats.messages,
                        .bytes = stats.bytes,
                        .warnings = stats.warnings,
                        .target = k.client.bootstrap_servers,
                        .details = {{"topics", stats.topics},
                                    {"messages_skipped", stats.messages_skipped},
                                    {"consumer_groups_restored", stats.groups}}};
  };
  return spec;
}

}  // namespace dr::source::kafka
