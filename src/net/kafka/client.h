// A thin layer over librdkafka's C API (the C++ API has no Admin API): handles
// configured from ecap-dr's kafka section, cluster metadata, watermarks, and
// the admin operations ecap-dr needs. Errors name the bootstrap servers.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "dr/result.h"

namespace dr::net::kafka {

struct ClientOptions {
  std::string bootstrap_servers;
  // librdkafka properties passed through as they are: security.protocol,
  // sasl.mechanism, sasl.username, ssl.ca.location, ... (kafka.security and
  // kafka.properties in the configuration).
  std::map<std::string, std::string> properties;
  int timeout_ms = 10000;  // metadata, watermark and admin requests
};

struct PartitionInfo {
  int32_t id = 0;
  int32_t leader = -1;
  std::vector<int32_t> replicas;
};

struct TopicInfo {
  std::string name;
  std::vector<PartitionInfo> partitions;  // by id
  int replication_factor = 0;
  bool internal = false;  // "__consumer_offsets", "__transaction_state", ...
};

struct GroupOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;
  std::string metadata;
};

using TopicPartitions = std::vector<std::pair<std::string, int32_t>>;

// The admin operations. The real one speaks librdkafka's Admin API; where a
// broker cannot answer one (librdkafka's mock cluster has no CreateTopics,
// DeleteTopics or DescribeConfigs), tests put a scripted one in its place.
class Admin {
 public:
  virtual ~Admin() = default;
  using TopicConfigs = std::map<std::string, std::map<std::string, std::string>>;
  // Each topic's own configs (retention.ms, cleanup.policy, ...), in one request.
  virtual Result<TopicConfigs> DescribeTopicConfigs(const std::vector<std::string>& topics) = 0;
  // Creates the topic and waits until the cluster's metadata shows it.
  virtual Status CreateTopic(const std::string& topic, int partitions, int replication_factor,
                             const std::map<std::string, std::string>& configs) = 0;
  // Deletes the topics in one request and waits until the metadata no longer
  // shows them; a topic already gone counts as deleted.
  virtual Status DeleteTopics(const std::vector<std::string>& topics) = 0;
  virtual Result<std::vector<std::string>> ListGroups() = 0;
  // Committed offsets of the group on the given partitions (uncommitted ones are left out).
  virtual Result<std::vector<GroupOffset>> ListGroupOffsets(const std::string& group,
                                                            const TopicPartitions& partitions) = 0;
  virtual Status AlterGroupOffsets(const std::string& group, const std::vector<GroupOffset>& offsets) = 0;
};

// Owns an rd_kafka_t and what its callbacks write (the last error the client logged).
class Handle {
 public:
  using DeliveryFn = std::function<void(const rd_kafka_message_t&)>;
  // type: RD_KAFKA_PRODUCER or RD_KAFKA_CONSUMER; extra properties override the
  // options'. A producer's delivery reports go to on_delivery (from rd_kafka_poll).
  static Result<std::unique_ptr<Handle>> Create(rd_kafka_type_t type, const ClientOptions& options,
                                                const std::map<std::string, std::string>& extra = {},
                                                DeliveryFn on_delivery = {});
  ~Handle();
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  rd_kafka_t* get() const { return rk_; }
  const ClientOptions& options() const { return options_; }
  // "the Kafka brokers at <servers>"; for error messages.
  std::string Where() const;
  // The most recent error the client reported (connection refused, auth failed), or "".
  std::string LastError() const;
  // An error for a failed request: what failed, the servers, the reason
  // (detail, else librdkafka's text for err) and the client's last error.
  Status Error(const std::string& what, rd_kafka_resp_err_t err, const std::string& detail = "") const;

  struct State {
    mutable std::mutex mu;
    std::string last_error;
    DeliveryFn on_delivery;
  };

 private:
  Handle(rd_kafka_t* rk, ClientOptions options, std::unique_ptr<State> state)
      : rk_(rk), options_(std::move(options)), state_(std::move(state)) {}
  rd_kafka_t* rk_;
  ClientOptions options_;
  std::unique_ptr<State> state_;
};

// Metadata, watermarks and admin on one producer-type handle.
class Client {
 public:
  // Connects and fetches the cluster's metadata: an unreachable cluster is a
  // kUnavailable error naming the bootstrap servers.
  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);
  ~Client();

  // Every topic in the cluster (never auto-creates one).
  Result<std::vector<TopicInfo>> ListTopics();
  int broker_count() const { return brokers_; }
  // The cluster's id (its metadata's ClusterId), "" when the cluster has none.
  const std::string& cluster_id() const { return cluster_id_; }
  // {low, high}: the first offset still held and the offset the next message will get.
  Result<std::pair<int64_t, int64_t>> Watermarks(const std::string& topic, int32_t partition);
  // The key of every message `topic` holds now (up to each partition's high
  // watermark when asked, or its end where the last offsets hold transaction
  // markers), "" for a message without one; read by a consumer
  // of its own (no group, nothing committed). A small topic's check: the
  // region drill counts the messages a restore brought back by their keys.
  // kNotFound without the topic; kUnavailable when the reading stalls for
  // the options' timeout.
  Result<std::vector<std::string>> ReadKeys(const std::string& topic);
  Admin& admin() { return *admin_; }
  Handle& handle() { return *handle_; }

 private:
  Client() = default;
  std::unique_ptr<Handle> handle_;
  std::unique_ptr<Admin> admin_;
  int brokers_ = 0;
  std::string cluster_id_;
};

// One message at a time, each waited for until the cluster acknowledged it:
// what the drills' load generator needs (where each message landed), not a
// throughput path (the restore batches on a Handle of its own).
class Producer {
 public:
  struct Delivered {
    int32_t partition = -1;
    int64_t offset = -1;
  };
  // `extra` overrides the options' properties (acks, message.timeout.ms, ...).
  static Result<std::unique_ptr<Producer>> Create(const ClientOptions& options,
                                                  const std::map<std::string, std::string>& extra = {});
  // Messages not yet acknowledged are dropped (purged), not waited for.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Produces `value` under `key` to `topic` (the partitioner picks the
  // partition) and waits up to `timeout_ms` for its delivery report: where it
  // landed, or the cluster's error (kUnavailable when it did not answer).
  // `abandon`, when given, is asked between polls (every ~20 ms): a reason it
  // returns ends the wait at once with kUnavailable naming it (the message is
  // then purged with the producer), e.g. the cluster was switched away from.
  Result<Delivered> ProduceAndWait(const std::string& topic, const std::string& key, const std::string& value,
                                   int timeout_ms, const std::function<std::string()>& abandon = {});
  const Handle& handle() const { return *handle_; }

 private:
  struct Report {
    uint64_t waiting_for = 0;  // the id (opaque) of the message waited for
    bool done = false;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    Delivered where;
  };
  Producer() = default;
  // Declared before the handle: the handle's delivery callback writes it, and
  // the handle is destroyed first.
  std::unique_ptr<Report> report_ = std::make_unique<Report>();
  std::unique_ptr<Handle> handle_;
  uint64_t next_id_ = 0;
};

// Glob match (fnmatch) of a topic or group name against patterns; an empty
// pattern list matches everything.
bool MatchesAny(const std::vector<std::string>& patterns, const std::string& name);

}  // namespace dr::net::kafka
