// The "kafka" component's registration (source/registry.h): topics, messages
// and consumer-group offsets, restored to the same or another cluster.
#pragma once

#include <string>
#include <vector>

#include "source/kafka/kafka_source.h"
#include "source/registry.h"

namespace dr::source::kafka {

// `restore`'s Kafka options. A field off its default counts as given.
struct KafkaRestoreArgs {
  std::string bootstrap_servers;    // --bootstrap-servers (default: kafka.bootstrap_servers)
  std::vector<std::string> topics;  // --topics: glob patterns over the original names
  std::string topic_prefix;         // --topic-prefix
  std::string to_time;              // --to-time, UTC ("2026-11-26T10:41:00Z")
  bool allow_existing_data = false;  // --allow-existing-data
  // --no-group-offsets: the consumer groups' offsets are not committed (a
  // drill's scratch topics must not touch the live cluster's groups).
  bool groups = true;
};

// The configured cluster (kafka section) as client options.
ClientOptions ClientFromConfig(const config::KafkaConfig& k);

SourceSpec<KafkaRestoreArgs> KafkaSpec();

}  // namespace dr::source::kafka
