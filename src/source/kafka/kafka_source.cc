#include "source/kafka/kafka_source.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "source/kafka/partition_cut.h"
#include "source/kafka/records.h"

namespace dr::source::kafka {

using nlohmann::json;

namespace {

// Reads the given partition ranges of one topic with one consumer and encodes
// the records (records.h) as a stream. A partition is done when a message at
// or past its end arrives, or the partition's end is reached at or past it
// (compacted topics and transaction markers leave offsets out); done partitions
// are paused, so messages produced meanwhile are neither read nor kept.
// A thread of its own consumes and encodes a few buffers ahead, so fetching
// overlaps the repository's chunking and hashing.
class TopicReader : public ByteSource {
 public:
  TopicReader(Handle& consumer, std::string topic, std::map<int32_t, Range> ranges, int stall_ms)
      : consumer_(consumer), topic_(std::move(topic)), cut_(std::move(ranges)), stall_ms_(stall_ms) {}
  ~TopicReader() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    if (queue_ != nullptr) {
      rd_kafka_assign(consumer_.get(), nullptr);
      rd_kafka_queue_destroy(queue_);
    }
  }

  Status Start() {
    const auto& ranges = cut_.ranges();
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size()));
    for (const auto& [p, r] : ranges) rd_kafka_topic_partition_list_add(list, topic_.c_str(), p)->offset = r.from;
    rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return consumer_.Error("reading topic '" + topic_ + "'", err);
    queue_ = rd_kafka_queue_get_consumer(consumer_.get());
    last_progress_ = std::chrono::steady_clock::now();
    worker_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

  Result<size_t> Read(char* buf, size_t n) override {
    while (pos_ == current_.size()) {
      pos_ = 0;
      current_.clear();
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !ready_.empty() || finished_; });
      if (ready_.empty()) return final_;  // finished: 0, or the error that ended it
      current_ = std::move(ready_.front());
      ready_.pop_front();
      cv_.notify_all();
    }
    size_t take = std::min(n, current_.size() - pos_);
    std::memcpy(buf, current_.data() + pos_, take);
    pos_ += take;
    return take;
  }

  uint64_t messages() const { return messages_; }
  uint64_t bytes() const { return bytes_; }
  int64_t min_ts() const { return min_ts_; }
  int64_t max_ts() const { return max_ts_; }

 private:
  static constexpr size_t kBatch = 4096;
  static constexpr size_t kTarget = 4u << 20;  // encode about this much per Fill
  static constexpr size_t kAhead = 16;         // buffers encoded ahead of the reader (64 MiB)

  // The worker: fills buffers until every partition is done, an error, or Stop.
  void Run() {
    while (true) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return ready_.size() < kAhead || stop_; });
        if (stop_) break;
      }
      Status status = cut_.all_done() ? Status::Ok() : Fill();
      bool end = !status.ok() || cut_.all_done();
      {
        std::lock_guard lock(mu_);
        if (!out_.empty()) ready_.push_back(std::move(out_));
        out_ = std::string();
        if (end) {
          final_ = status.ok() ? Result<size_t>(size_t{0}) : Result<size_t>(status);
          finished_ = true;
        }
      }
      cv_.notify_all();
      if (end) break;
    }
  }

  Status Fill() {
    rd_kafka_message_t* msgs[kBatch];
    while (out_.size() < kTarget && !cut_.all_done()) {
      ssize_t n = rd_kafka_consume_batch_queue(queue_, out_.empty() ? 10 : 0, msgs, kBatch);
      if (n < 0) return consumer_.Error("reading topic '" + topic_ + "'", rd_kafka_last_error());
      if (n == 0) {
        if (!out_.empty()) break;
        if (std::chrono::steady_clock::now() - last_progress_ > std::chrono::milliseconds(stall_ms_)) return Stalled();
        continue;
      }
      last_progress_ = std::chrono::steady_clock::now();
      Status status = Status::Ok();
      for (ssize_t i = 0; i < n; ++i) {
        if (status.ok()) status = Take(*msgs[i]);
        rd_kafka_message_destroy(msgs[i]);
      }
      DR_RETURN_IF_ERROR(status);
    }
    return Status::Ok();
  }

  Status Take(const rd_kafka_message_t& m) {
    int32_t p = m.partition;
    if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (cut_.OnEnd(p, m.offset)) Pause(p);
      return Status::Ok();
    }
    if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string where = "topic '" + topic_ + "' partition " + std::to_string(p);
      if (m.err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        return NotFound("reading " + where + " from offset " + std::to_string(m.offset) + " on " + consumer_.Where() +
                        ": the broker no longer holds those messages (retention)");
      }
      return consumer_.Error("reading " + where + ": " + rd_kafka_message_errstr(&m), m.err);
    }
    bool done = false;
    if (cut_.OnMessage(p, m.offset, &done) == PartitionCut::Verdict::kKeep) Encode(m);
    if (done) Pause(p);
    return Status::Ok();
  }

  void Encode(const rd_kafka_message_t& m) {
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(&m, &tstype);
    RecordView v{m.partition, m.offset, ts, static_cast<uint8_t>(tstype),
                 static_cast<const char*>(m.key), m.key_len, static_cast<const char*>(m.payload), m.len, {}};
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* value;
      size_t size;
      for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        v.headers.emplace_back(name, value ? std::optional<std::string_view>(
                                                 std::string_view(static_cast<const char*>(value), size))
                                           : std::nullopt);
      }
    }
    EncodeRecord(v, out_);
    messages_++;
    bytes_ += m.key_len + m.len;
    if (ts >= 0) {
      min_ts_ = min_ts_ < 0 ? ts : std::min(min_ts_, ts);
      max_ts_ = std::max(max_ts_, ts);
    }
  }

  // A finished partition is paused: nothing more is fetched for it.
  void Pause(int32_t p) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic_.c_str(), p);
    rd_kafka_pause_partitions(consumer_.get(), list);
    rd_kafka_topic_partition_list_destroy(list);
  }

  Status Stalled() const {
    auto [p, offset] = cut_.first_pending();
    std::string msg = "no messages from topic '" + topic_ + "' partition " + std::to_string(p) + " at offset " +
                      std::to_string(offset) + " (expected up to " + std::to_string(cut_.range(p).to) + ") on " +
                      consumer_.Where() + " for " + std::to_string(stall_ms_ / 1000) + " s";
    if (std::string last = consumer_.LastError(); !last.empty()) msg += " (" + last + ")";
    return Unavailable(msg);
  }

  Handle& consumer_;
  std::string topic_;
  PartitionCut cut_;  // the ranges to read, and which partitions are done
  int stall_ms_;
  rd_kafka_queue_t* queue_ = nullptr;
  std::string out_;  // the worker's buffer
  std::thread worker_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> ready_;
  bool stop_ = false, finished_ = false;
  Result<size_t> final_ = size_t{0};
  std::string current_;  // the reader's buffer
  size_t pos_ = 0;
  uint64_t messages_ = 0, bytes_ = 0;
  int64_t min_ts_ = -1, max_ts_ = -1;
  std::chrono::steady_clock::time_point last_progress_;
};

// The brokers of a bootstrap list, in order ("b:9092,a:9092" and "a:9092, b:9092" are one list).
std::set<std::string> Brokers(const std::string& bootstrap_servers) {
  std::set<std::string> out;
  std::string one;
  for (char ch : bootstrap_servers + ",") {
    if (ch == ',') {
      if (!one.empty()) out.insert(one);
      one.clear();
    } else if (ch != ' ') {
      one += ch;
    }
  }
  return out;
}

// Whether a backup's Kafka meta is of the cluster `client` is connected to:
// the same brokers, and the same cluster id where both have one (a cluster
// rebuilt at the same addresses starts its offsets again). Another broker
// list for the same cluster reads it whole once: safe, if slower.
bool SameCluster(const json& meta, const Client& client, const std::string& bootstrap_servers) {
  const std::string id = meta.value("cluster_id", std::string());
  if (!id.empty() && !client.cluster_id().empty() && id != client.cluster_id()) return false;
  return Brokers(meta.value("bootstrap_servers", std::string())) == Brokers(bootstrap_servers);
}

bool HasWildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

Status KafkaSource::Backup(ItemWriter& writer) {
  DR_ASSIGN_OR_RETURN(auto client, Client::Connect(options_.client));
  Admin& admin = options_.admin != nullptr ? *options_.admin : client->admin();
  std::vector<std::string> warnings;

  // Which topics.
  DR_ASSIGN_OR_RETURN(auto all_topics, client->ListTopics());
  std::vector<TopicInfo> topics;
  for (auto& t : all_topics) {
    if (options_.exclude_internal && t.internal) continue;
    if (t.name.rfind(kScratchTopicPrefix, 0) == 0) continue;
    if (!MatchesAny(options_.topics, t.name)) continue;
    if (!options_.exclude_topics.empty() && MatchesAny(options_.exclude_topics, t.name)) continue;
    topics.push_back(std::move(t));
  }
  for (const auto& pattern : options_.topics) {
    bool any = std::any_of(topics.begin(), topics.end(), [&](const auto& t) { return MatchesAny({pattern}, t.name); });
    if (!any) warnings.push_back("topic pattern '" + pattern + "' matches no topic on " + client->handle().Where());
  }
  TopicPartitions all_partitions;
  for (const auto& t : topics) {
    for (const auto& p : t.partitions) all_partitions.emplace_back(t.name, p.id);
  }

  // Consumer-group offsets first: read before the watermarks, they never point past what is kept.
  std::vector<std::string> groups;
  auto listed = admin.ListGroups();
  if (listed.ok()) {
    for (const auto& g : *listed) {
      if (MatchesAny(options_.groups, g)) groups.push_back(g);
    }
  } else {
    for (const auto& g : options_.groups) {
      if (!HasWildcard(g)) groups.push_back(g);
    }
    warnings.push_back("the cluster cannot list its consumer groups (" + listed.status().message() + "); " +
                       (groups.empty() ? "no group offsets were backed up: name the groups in kafka.consumer_groups"
                                       : "backed up the groups named in kafka.consumer_groups"));
  }
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  for (const auto& group : groups) {
    if (all_partitions.empty()) break;
    DR_ASSIGN_OR_RETURN(auto offsets, admin.ListGroupOffsets(group, all_partitions));
    if (offsets.empty()) continue;  // nothing committed on these topics
    json list = json::array();
    for (const auto& o : offsets) {
      list.push_back({{"topic", o.topic}, {"partition", o.partition}, {"offset", o.offset}, {"metadata", o.metadata}});
    }
    DR_RETURN_IF_ERROR(writer.AddEntry({"groups/" + group, "kafka_group", {{"group", group}, {"offsets", list}}}));
    stats_.groups++;
  }

  // Where each partition stands now, and where the last backup stopped.
  json previous_positions = options_.previous ? options_.previous->meta.value("positions", json::object()) : json::object();
  // Offsets are a cluster's own: after Kafka moved to other brokers (restored
  // in the backup region), the previous backup's positions say nothing here,
  // and its segments are not carried over (this backup is whole on its own).
  const bool other_cluster =
      options_.previous != nullptr && !SameCluster(options_.previous->meta, *client, options_.client.bootstrap_servers);
  if (other_cluster) {
    warnings.push_back("the previous backup of Kafka is of another cluster (" +
                       options_.previous->meta.value("bootstrap_servers", std::string("?")) +
                       "): nothing is carried over from it, every message is read");
    previous_positions = json::object();
  }
  json positions = json::object();
  std::map<std::string, std::map<int32_t, Range>> plan;  // topic -> partition -> what to read
  std::set<std::string> recreated;
  for (const auto& t : topics) {
    json prev = previous_positions.value(t.name, json::object());
    std::map<int32_t, std::pair<int64_t, int64_t>> marks;
    for (const auto& p : t.partitions) {
      DR_ASSIGN_OR_RETURN(auto m, client->Watermarks(t.name, p.id));
      std::string key = std::to_string(p.id);
      positions[t.name][key] = m.second;
      if (prev.contains(key) && prev[key].get<int64_t>() > m.second) recreated.insert(t.name);
      marks[p.id] = m;
    }
    for (const auto& [p, m] : marks) {
      auto [low, high] = m;
      int64_t from = low;
      std::string key = std::to_string(p);
      if (prev.contains(key) && !recreated.count(t.name)) {
        int64_t stopped = prev[key].get<int64_t>();
        if (stopped < low) {
          warnings.push_back("topic '" + t.name + "' partition " + key + ": messages " + std::to_string(stopped) +
                             " to " + std::to_string(low - 1) +
                             " expired on the broker before this backup and are not kept");
        } else {
          from = stopped;
        }
      }
      if (from < high) plan[t.name][p] = Range{from, high};
    }
    if (recreated.count(t.name)) {
      warnings.push_back("topic '" + t.name + "' is behind where the last backup stopped (recreated?): its earlier "
                         "messages are not carried over and it is read from the start");
    }
  }

  // Topic configs, asked for while the messages are read: a cluster that cannot
  // answer (librdkafka's mock) costs its timeout once, in parallel.
  std::vector<std::string> names;
  for (const auto& t : topics) names.push_back(t.name);
  auto configs = std::async(std::launch::async, [&admin, names] { return admin.DescribeTopicConfigs(names); });

  // Messages: earlier segments carried over, then one new segment per topic.
  DR_ASSIGN_OR_RETURN(auto consumer, Handle::Create(RD_KAFKA_CONSUMER, options_.client,
                                                    {{"group.id", "ecap-dr-backup"},
                                                     {"enable.auto.commit", "false"},
                                                     {"enable.auto.offset.store", "false"},
                                                     {"enable.partition.eof", "true"},
                                                     {"auto.offset.reset", "error"},
                                                     {"fetch.wait.max.ms", "100"},
                                                     // A deeper prefetch queue and a short back-off when it is
                                                     // full keep fetching going while the repository pipeline
                                                     // holds both cores (docs/BENCHMARKS.md, Kafka).
                                                     {"queued.max.messages.kbytes", "131072"},
                                                     {"fetch.error.backoff.ms", "10"}}));
  for (const auto& t : topics) {
    int segments = 0;
    if (options_.previous != nullptr && !other_cluster && !recreated.count(t.name)) {
      for (const auto& item : options_.previous->items) {
        if (item.kind != "kafka_messages" || item.meta.value("topic", "") != t.name) continue;
        if (Status s = writer.AddUnchanged(item); !s.ok()) {
          if (s.code() != Code::kNotFound) return s;
          warnings.push_back("segment '" + item.name + "' of the last backup is gone from the repository (pruned): "
                             "its messages are not in this backup");
          continue;
        }
        segments = std::max(segments, item.meta.value("segment", 0));
      }
    }
    auto it = plan.find(t.name);
    if (it == plan.end() || it->second.empty()) continue;
    json ranges = json::object();
    for (const auto& [p, r] : it->second) ranges[std::to_string(p)] = {r.from, r.to};
    char seq[16];
    std::snprintf(seq, sizeof seq, "%06d", segments + 1);
    TopicReader reader(*consumer, t.name, it->second, std::max(options_.client.timeout_ms, 1000) * 3);
    DR_RETURN_IF_ERROR(reader.Start());
    json meta{{"topic", t.name}, {"segment", segments + 1}, {"ranges", ranges}};
    DR_RETURN_IF_ERROR(writer.AddStream({"messages/" + t.name + "/" + seq, "kafka_messages", meta}, reader,
                                        [&reader](json& m) {
                                          m["messages"] = reader.messages();
                                          m["first_timestamp_ms"] = reader.min_ts();
                                          m["last_timestamp_ms"] = reader.max_ts();
                                        }));
    stats_.messages += reader.messages();
    stats_.bytes += reader.bytes();
  }

  // Topic definitions.
  auto described = configs.get();
  if (!described.ok()) {
    warnings.push_back("topic configs were not backed up (" + described.status().message() +
                       "); a restore creates the topics with the target cluster's defaults");
  }
  for (const auto& t : topics) {
    json meta{{"topic", t.name}, {"partitions", t.partitions.size()}, {"replication_factor", t.replication_factor}};
    if (described.ok() && described->count(t.name)) meta["configs"] = described->at(t.name);
    meta["configs_backed_up"] = meta.contains("configs");
    DR_RETURN_IF_ERROR(writer.AddEntry({"topics/" + t.name, "kafka_topic", meta}));
    stats_.topics++;
    stats_.partitions += t.partitions.size();
  }

  writer.SetComponentMeta({{"bootstrap_servers", options_.client.bootstrap_servers},
                           {"cluster_id", client->cluster_id()},
                           {"brokers", client->broker_count()},
                           {"topics", stats_.topics},
                           {"groups", stats_.groups},
                           {"messages_read", stats_.messages},
                           {"positions", positions},
                           {"warnings", warnings}});
  return Status::Ok();
}

Status AddReachedOffsets(const repo::SnapshotItem& item, const std::string& topic, std::map<int32_t, int64_t>& ends) {
  if (item.kind != "kafka_messages" || !item.meta.is_object() || item.meta.value("topic", json()) != topic) {
    return Status::Ok();
  }
  const json ranges = item.meta.value("ranges", json::object());
  if (!ranges.is_object()) return Corrupt("item '" + item.name + "': its ranges are not an object");
  for (const auto& [key, range] : ranges.items()) {
    int32_t partition = -1;
    auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), partition);
    if (ec != std::errc() || ptr != key.data() + key.size() || partition < 0 || !range.is_array() ||
        range.size() != 2 || !range[1].is_number_integer()) {
      return Corrupt("item '" + item.name + "': range '" + key + "' is not a partition's [from, to]");
    }
    const int64_t to = range[1].get<int64_t>();
    auto [it, made] = ends.emplace(partition, to);
    if (!made) it->second = std::max(it->second, to);
  }
  return Status::Ok();
}

}  // namespace dr::source::kafka
