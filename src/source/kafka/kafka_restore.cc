// Restore of the "kafka" component (kafka_source.h).
#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <thread>

#include "source/kafka/kafka_source.h"
#include "source/kafka/records.h"

namespace dr::source::kafka {

using nlohmann::json;

namespace {

// Where a committed offset of the backup lands in the restored partition: at
// the first restored message with an original offset at or past it, or at the
// partition's end when there is none.
struct Mark {
  int64_t original = 0;
  const int64_t* landing = nullptr;  // the restored offset of that message, once delivered (-1 before)
};

struct PartitionState {
  std::vector<Mark> marks;      // sorted by original offset
  size_t next_mark = 0;         // the first mark no message has been assigned to yet
  int64_t start_high = 0;       // the partition's high watermark before the restore
  int64_t last_delivered = -1;  // offset of the last message delivered
  bool cut = false;             // --to-time reached
};

struct TopicPlan {
  std::string source;  // name in the backup
  std::string target;  // name restored to
  const repo::SnapshotItem* definition = nullptr;  // its kafka_topic item
  int partitions = 0;
  rd_kafka_topic_t* handle = nullptr;
  std::vector<PartitionState> state;
};

// Shared with the delivery callback, which librdkafka calls from rd_kafka_poll/flush on this thread.
struct Deliveries {
  uint64_t delivered = 0;
  Status first_error = Status::Ok();
};

Status CheckTargetTopic(Client& client, const TopicInfo& existing, TopicPlan& plan, bool allow_existing) {
  if (static_cast<int>(existing.partitions.size()) != plan.partitions) {
    return Failed("topic '" + plan.target + "' on " + client.handle().Where() + " has " +
                  std::to_string(existing.partitions.size()) + " partitions, the backup of '" + plan.source + "' has " +
                  std::to_string(plan.partitions) + ": restore under another name with --topic-prefix");
  }
  uint64_t held = 0;
  for (int p = 0; p < plan.partitions; ++p) {
    DR_ASSIGN_OR_RETURN(auto marks, client.Watermarks(plan.target, p));
    held += static_cast<uint64_t>(marks.second - marks.first);
    plan.state[p].start_high = marks.second;
  }
  if (held > 0 && !allow_existing) {
    return AlreadyExists("topic '" + plan.target + "' on " + client.handle().Where() + " already holds " +
                         std::to_string(held) + " messages: restore under another name with --topic-prefix, or "
                         "pass --allow-existing-data to append to it");
  }
  return Status::Ok();
}

}  // namespace

Result<KafkaRestoreStats> RestoreKafka(const repo::SnapshotComponent& component, ItemReader& reader,
                                       const KafkaRestoreOptions& options) {
  KafkaRestoreStats stats;
  DR_ASSIGN_OR_RETURN(auto client, Client::Connect(options.client));
  Admin& admin = options.admin != nullptr ? *options.admin : client->admin();

  // The topics to restore, and their segments in order.
  std::map<std::string, TopicPlan> plans;
  std::map<std::string, std::vector<const repo::SnapshotItem*>> segments;
  std::vector<const repo::SnapshotItem*> groups;
  std::string available;
  for (const auto& item : component.items) {
    std::string topic = item.meta.value("topic", "");
    if (item.kind == "kafka_topic") {
      available += (available.empty() ? "" : ", ") + topic;
      if (!MatchesAny(options.topics, topic)) continue;
      TopicPlan& plan = plans[topic];
      plan.source = topic;
      plan.target = options.topic_prefix + topic;
      plan.definition = &item;
      plan.partitions = item.meta.value("partitions", 0);
      plan.state.resize(plan.partitions);
    } else if (item.kind == "kafka_messages") {
      segments[topic].push_back(&item);
    } else if (item.kind == "kafka_group" && options.groups) {
      groups.push_back(&item);
    }
  }
  if (plans.empty()) {
    return NotFound("no topic in the backup matches " + (options.topics.empty() ? std::string("(all)") : [&] {
                      std::string s;
                      for (const auto& t : options.topics) s += (s.empty() ? "'" : ", '") + t + "'";
                      return s;
                    }()) + " (the backup has: " + (available.empty() ? "no topics" : available) + ")");
  }
  for (auto& [topic, list] : segments) {
    std::sort(list.begin(), list.end(), [](const auto* a, const auto* b) {
      return a->meta.value("segment", 0) < b->meta.value("segment", 0);
    });
  }

  // Committed offsets to translate, per topic and partition.
  for (const auto* g : groups) {
    for (const auto& o : g->meta.value("offsets", json::array())) {
      auto it = plans.find(o.value("topic", ""));
      int p = o.value("partition", -1);
      if (it == plans.end() || p < 0 || p >= it->second.partitions) continue;
      it->second.state[p].marks.push_back({o.value("offset", int64_t{0}), nullptr});
    }
  }
  for (auto& [topic, plan] : plans) {
    for (auto& st : plan.state) {
      std::sort(st.marks.begin(), st.marks.end(), [](const Mark& a, const Mark& b) { return a.original < b.original; });
    }
  }

  // Target topics: existing ones must be empty (unless asked) with the same partition count; others are created.
  DR_ASSIGN_OR_RETURN(auto existing, client->ListTopics());
  for (auto& [topic, plan] : plans) {
    auto found = std::find_if(existing.begin(), existing.end(), [&](const auto& t) { return t.name == plan.target; });
    if (found != existing.end()) {
      DR_RETURN_IF_ERROR(CheckTargetTopic(*client, *found, plan, options.allow_existing_data));
      continue;
    }
    const json& meta = plan.definition->meta;
    auto configs = meta.value("configs", std::map<std::string, std::string>{});
    if (!meta.value("configs_backed_up", false)) {
      stats.warnings.push_back("topic '" + plan.target + "' is created with the cluster's default configs: the "
                               "backup has none for it");
    }
    int rf = std::max(1, std::min(meta.value("replication_factor", 1), client->broker_count()));
    if (rf < meta.value("replication_factor", 1)) {
      stats.warnings.push_back("topic '" + plan.target + "' gets replication factor " + std::to_string(rf) +
                               ": the target cluster has only " + std::to_string(client->broker_count()) + " brokers");
    }
    Status created = admin.CreateTopic(plan.target, plan.partitions, rf, configs);
    if (!created.ok()) {
      return Status(created.code(), created.message() + "; if the cluster does not let clients create topics, "
                                                        "create '" + plan.target + "' with " +
                                                        std::to_string(plan.partitions) + " partitions and restore again");
    }
  }

  // Produce, partition order kept: an idempotent producer neither duplicates nor reorders on retry.
  Deliveries deliveries;
  auto on_delivery = [&deliveries](const rd_kafka_message_t& m) {
    if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (deliveries.first_error.ok()) {
        deliveries.first_error = Failed("producing to topic '" + std::string(rd_kafka_topic_name(m.rkt)) +
                                        "' partition " + std::to_string(m.partition) + " failed: " +
                                        rd_kafka_err2str(m.err));
      }
      return;
    }
    deliveries.delivered++;
    // Each topic handle carries its plan (rd_kafka_topic_opaque): no lookup by name per message.
    auto* plan = static_cast<TopicPlan*>(rd_kafka_topic_opaque(m.rkt));
    if (plan == nullptr || m.partition < 0 || m.partition >= plan->partitions) return;
    PartitionState& st = plan->state[m.partition];
    st.last_delivered = std::max(st.last_delivered, m.offset);
    if (m._private != nullptr) *static_cast<int64_t*>(m._private) = m.offset;
  };
  std::deque<int64_t> landings;  // one per message some committed offset lands on; stable addresses
  DR_ASSIGN_OR_RETURN(auto producer, Handle::Create(RD_KAFKA_PRODUCER, options.client,
                                                    {{"enable.idempotence", "true"},
                                                     {"linger.ms", "20"},
                                                     {"batch.num.messages", "10000"},
                                                     {"queue.buffering.max.messages", "500000"},
                                                     {"queue.buffering.max.kbytes", "262144"}},
                                                    on_delivery));
  rd_kafka_t* rk = producer->get();
  for (auto& [topic, plan] : plans) {
    rd_kafka_topic_conf_t* conf = rd_kafka_topic_conf_new();
    rd_kafka_topic_conf_set_opaque(conf, &plan);
    plan.handle = rd_kafka_topic_new(rk, plan.target.c_str(), conf);  // takes conf
  }
  auto cleanup = [&] {
    for (auto& [topic, plan] : plans) {
      if (plan.handle != nullptr) rd_kafka_topic_destroy(plan.handle);
      plan.handle = nullptr;
    }
  };

  Status status = Status::Ok();
  std::string incomplete;  // the topic being written when the restore failed
  for (auto& [topic, plan] : plans) {
    for (const auto* segment : segments[topic]) {
      RecordDecoder decoder([&](const RecordView& r) -> Status {
        if (r.partition < 0 || r.partition >= plan.partitions) {
          return Corrupt("segment '" + segment->name + "' has a message for partition " + std::to_string(r.partition) +
                         " of a " + std::to_string(plan.partitions) + "-partition topic");
        }
        PartitionState& st = plan.state[r.partition];
        if (st.cut || (options.to_time_ms >= 0 && r.timestamp_ms > options.to_time_ms)) {
          st.cut = true;  // the first message after the cut-off ends the partition: its prefix is restored
          stats.messages_skipped++;
          return Status::Ok();
        }
        // The committed offsets this message is the first at or past.
        int64_t* landing = nullptr;
        while (st.next_mark < st.marks.size() && st.marks[st.next_mark].original <= r.offset) {
          if (landing == nullptr) landing = &landings.emplace_back(-1);
          st.marks[st.next_mark++].landing = landing;
        }
        rd_kafka_headers_t* hdrs = nullptr;
        if (!r.headers.empty()) {
          hdrs = rd_kafka_headers_new(r.headers.size());
          for (const auto& [name, value] : r.headers) {
            rd_kafka_header_add(hdrs, name.data(), static_cast<ssize_t>(name.size()), value ? value->data() : nullptr,
                                value ? static_cast<ssize_t>(value->size()) : 0);
          }
        }
        // (the RD_KAFKA_V_* macros do not parenthesize their arguments)
        const void* key = r.key;
        size_t key_len = r.key_len;
        void* value = const_cast<char*>(r.value);  // copied by librdkafka (RD_KAFKA_MSG_F_COPY)
        size_t value_len = r.value_len;
        int64_t timestamp = r.timestamp_ms >= 0 ? r.timestamp_ms : 0;
        while (true) {
          rd_kafka_resp_err_t err = rd_kafka_producev(
              rk, RD_KAFKA_V_RKT(plan.handle), RD_KAFKA_V_PARTITION(r.partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
              RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_TIMESTAMP(timestamp),
              RD_KAFKA_V_HEADERS(hdrs),
              RD_KAFKA_V_OPAQUE(landing), RD_KAFKA_V_END);
          if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
          if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (hdrs != nullptr) rd_kafka_headers_destroy(hdrs);  // not taken over on failure
            return producer->Error("producing to topic '" + plan.target + "'", err);
          }
          rd_kafka_poll(rk, 50);  // the queue drains as deliveries are reported
          if (!deliveries.first_error.ok()) return deliveries.first_error;
        }
        stats.messages++;
        stats.bytes += r.key_len + r.value_len;
        if ((stats.messages & 1023) == 0) rd_kafka_poll(rk, 0);
        return deliveries.first_error;
      });
      status = reader.ReadItem(*segment, decoder);
      if (status.ok()) status = decoder.Finish();
      if (!status.ok()) break;
    }
    if (!status.ok()) {
      incomplete = plan.target;
      break;
    }
    stats.topics.push_back(plan.target);
  }

  // Wait for every delivery; a cluster that stops answering is an error, not a hang.
  if (status.ok()) {
    auto last_progress = std::chrono::steady_clock::now();
    uint64_t seen = deliveries.delivered;
    while (rd_kafka_outq_len(rk) > 0 && deliveries.first_error.ok()) {
      rd_kafka_flush(rk, 500);
      if (deliveries.delivered != seen) {
        seen = deliveries.delivered;
        last_progress = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - last_progress >
                 std::chrono::milliseconds(std::max(options.client.timeout_ms, 1000) * 6)) {
        status = producer->Error(std::to_string(rd_kafka_outq_len(rk)) + " messages not delivered",
                                 RD_KAFKA_RESP_ERR__TIMED_OUT);
        break;
      }
    }
    if (status.ok()) status = deliveries.first_error;
    char fatal[512];
    if (status.ok() && rd_kafka_fatal_error(rk, fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = Failed(std::string("the producer failed: ") + fatal);
    }
  }
  cleanup();
  if (!status.ok()) {
    // Produced messages cannot be taken back: say which topic holds a prefix
    // only, so nobody mistakes it for a restored one.
    std::string which = incomplete.empty() ? "the restored topics are incomplete"
                                           : "topic '" + incomplete + "' is incomplete";
    return Status(status.code(), status.message() + " (" + which + ": " + std::to_string(deliveries.delivered) +
                                     " messages were restored before the failure)");
  }

  // Consumer-group offsets, translated.
  std::vector<std::string> failed_groups;
  for (const auto* g : groups) {
    std::string group = g->meta.value("group", "");
    std::vector<GroupOffset> offsets;
    for (const auto& o : g->meta.value("offsets", json::array())) {
      auto it = plans.find(o.value("topic", ""));
      int p = o.value("partition", -1);
      if (it == plans.end() || p < 0 || p >= it->second.partitions) continue;
      const PartitionState& st = it->second.state[p];
      int64_t committed = o.value("offset", int64_t{0});
      int64_t restored = st.last_delivered >= 0 ? st.last_delivered + 1 : st.start_high;  // the end
      auto mark = std::lower_bound(st.marks.begin(), st.marks.end(), committed,
                                   [](const Mark& m, int64_t c) { return m.original < c; });
      if (mark != st.marks.end() && mark->landing != nullptr && *mark->landing >= 0) restored = *mark->landing;
      offsets.push_back({it->second.target, p, restored, o.value("metadata", "")});
    }
    if (offsets.empty()) continue;
    if (Status s = admin.AlterGroupOffsets(group, offsets); !s.ok()) {
      failed_groups.push_back(group + ": " + s.message());
      continue;
    }
    stats.groups++;
  }
  if (!failed_groups.empty()) {
    std::string msg = "messages restored, but committing consumer-group offsets failed for ";
    for (size_t i = 0; i < failed_groups.size(); ++i) msg += (i ? "; " : "") + failed_groups[i];
    return Failed(msg);
  }
  return stats;
}

}  // namespace dr::source::kafka
