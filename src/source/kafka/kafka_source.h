// The "kafka" component: topic definitions, messages and consumer-group
// offsets of a Kafka cluster.
//
// Items (docs/format.md, "Kafka component"):
//   topics/<topic>            kind kafka_topic: partitions, replication factor, topic configs
//   messages/<topic>/<seq>    kind kafka_messages: one segment of records (records.h) per topic per
//                             backup, holding what that backup read: partition p from where the
//                             previous backup stopped up to the high watermark seen at the start
//   groups/<group>            kind kafka_group: committed offsets per topic and partition
// A backup carries the earlier segments over unchanged (their blobs are
// reused), so every backup restores the whole history it holds on its own.
// Component meta "positions" {topic: {partition: next offset}} is where the
// next backup resumes. Group offsets are read before the watermarks, so a
// committed offset never points past the messages the backup holds.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dr/source.h"
#include "net/kafka/client.h"
#include "repo/snapshot/snapshot.h"

namespace dr::source::kafka {

// The Kafka client lives in net/kafka (the layer of outside systems); the
// source uses it under its short names.
using net::kafka::Admin;
using net::kafka::Client;
using net::kafka::ClientOptions;
using net::kafka::GroupOffset;
using net::kafka::Handle;
using net::kafka::MatchesAny;
using net::kafka::PartitionInfo;
using net::kafka::TopicInfo;
using net::kafka::TopicPartitions;

// The restore test's scratch topics ("ecap-dr-drill.<drill>.<topic>", copies of
// production's, deleted after the drill): never backed up.
inline constexpr const char* kScratchTopicPrefix = "ecap-dr-drill.";

struct KafkaOptions {
  ClientOptions client;
  std::vector<std::string> topics;          // glob patterns (fnmatch); empty: every topic
  std::vector<std::string> exclude_topics;  // glob patterns
  bool exclude_internal = true;             // "__consumer_offsets" and the like
  // Glob patterns of the consumer groups to keep; empty: every group. When the
  // cluster cannot list its groups, the names here without wildcards are read.
  std::vector<std::string> groups;
  const repo::SnapshotComponent* previous = nullptr;  // the last backup's "kafka" component, if any
  Admin* admin = nullptr;  // default: librdkafka's Admin API (tests substitute a scripted one)
};

struct KafkaBackupStats {
  uint64_t topics = 0;
  uint64_t partitions = 0;
  uint64_t messages = 0;  // read by this backup
  uint64_t bytes = 0;     // keys + values read by this backup
  uint64_t groups = 0;
};

class KafkaSource : public Source {
 public:
  explicit KafkaSource(KafkaOptions options) : options_(std::move(options)) {}
  std::string component() const override { return "kafka"; }
  Status Backup(ItemWriter& writer) override;
  const KafkaBackupStats& stats() const { return stats_; }

 private:
  KafkaOptions options_;
  KafkaBackupStats stats_;
};

struct KafkaRestoreOptions {
  ClientOptions client;              // the target cluster
  std::vector<std::string> topics;   // glob patterns over the backed-up names; empty: all
  std::string topic_prefix;          // restored topic = prefix + original name
  int64_t to_time_ms = -1;           // keep, per partition, the messages up to this time (inclusive)
  bool allow_existing_data = false;  // append to topics that already hold messages
  bool groups = true;                // commit the consumer groups' translated offsets
  Admin* admin = nullptr;            // default: librdkafka's Admin API
};

struct KafkaRestoreStats {
  std::vector<std::string> topics;  // restored (target names)
  uint64_t messages = 0;
  uint64_t bytes = 0;
  uint64_t messages_skipped = 0;  // after --to-time
  uint64_t groups = 0;
  std::vector<std::string> warnings;
};

// Creates the topics (or uses existing empty ones with the same partition
// count), produces every message partition by partition in its original order
// with an idempotent producer, then commits each group's offsets translated to
// where the messages landed.
// How far a backup reaches into `topic`, one item at a time: for a
// kafka_messages item of that topic, ends[partition] is raised to the offset
// below which the item read it (its meta's "ranges"); other items are
// ignored. Metadata the source did not write is kCorrupt, naming the item.
Status AddReachedOffsets(const repo::SnapshotItem& item, const std::string& topic, std::map<int32_t, int64_t>& ends);

Result<KafkaRestoreStats> RestoreKafka(const repo::SnapshotComponent& component, ItemReader& reader,
                                       const KafkaRestoreOptions& options);

}  // namespace dr::source::kafka
