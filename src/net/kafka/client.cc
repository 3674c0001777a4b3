#include "net/kafka/client.h"

#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <thread>

namespace dr::net::kafka {
namespace {

void LogCallback(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  if (std::getenv("ECAP_DR_KAFKA_DEBUG") != nullptr) std::fprintf(stderr, "librdkafka %d %s: %s\n", level, fac, buf);
  if (level > 4) return;  // warnings and worse explain a failure; the rest is noise
  auto* state = static_cast<Handle::State*>(rd_kafka_opaque(rk));
  if (state == nullptr) return;
  std::lock_guard lock(state->mu);
  state->last_error = buf;
}

void ErrorCallback(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* state = static_cast<Handle::State*>(opaque);
  if (std::getenv("ECAP_DR_KAFKA_DEBUG") != nullptr) std::fprintf(stderr, "librdkafka error %d: %s\n", err, reason);
  std::lock_guard lock(state->mu);
  state->last_error = reason;
}

void DeliveryCallback(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* state = static_cast<Handle::State*>(opaque);
  if (state->on_delivery) state->on_delivery(*m);
}

// An admin request's queue, options and the wait for its one result event.
class AdminCall {
 public:
  AdminCall(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeout_ms)
      : rk_(rk), queue_(rd_kafka_queue_new(rk)), options_(rd_kafka_AdminOptions_new(rk, op)), timeout_ms_(timeout_ms) {
    char err[256];
    rd_kafka_AdminOptions_set_request_timeout(options_, timeout_ms, err, sizeof err);
    rd_kafka_AdminOptions_set_operation_timeout(options_, timeout_ms, err, sizeof err);
  }
  ~AdminCall() {
    if (event_ != nullptr) rd_kafka_event_destroy(event_);
    rd_kafka_AdminOptions_destroy(options_);
    rd_kafka_queue_destroy(queue_);
  }
  rd_kafka_queue_t* queue() { return queue_; }
  rd_kafka_AdminOptions_t* options() { return options_; }
  // Waits for the result; an error of the request as a whole is returned.
  Result<rd_kafka_event_t*> Wait(const Handle& handle, const std::string& what) {
    event_ = rd_kafka_queue_poll(queue_, timeout_ms_ + 5000);
    if (event_ == nullptr) return handle.Error(what, RD_KAFKA_RESP_ERR__TIMED_OUT);
    if (rd_kafka_event_error(event_) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return handle.Error(what, rd_kafka_event_error(event_), rd_kafka_event_error_string(event_));
    }
    return event_;
  }

 private:
  rd_kafka_t* rk_;
  rd_kafka_queue_t* queue_;
  rd_kafka_AdminOptions_t* options_;
  rd_kafka_event_t* event_ = nullptr;
  int timeout_ms_;
};

using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>;

PartitionList MakeList(const TopicPartitions& parts) {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())),
                     &rd_kafka_topic_partition_list_destroy);
  for (const auto& [topic, p] : parts) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  return list;
}

// Walks the per-group, per-partition results of a group-offsets request: the
// first error of a group or of a partition ends it, named; visit sees the rest.
Status ForEachGroupPartition(const Handle& handle, const std::string& what, const rd_kafka_group_result_t** groups,
                             size_t n, const std::function<void(const rd_kafka_topic_partition_t&)>& visit) {
  for (size_t i = 0; i < n; ++i) {
    if (const rd_kafka_error_t* e = rd_kafka_group_result_error(groups[i])) {
      return handle.Error(what, rd_kafka_error_code(e), rd_kafka_error_string(e));
    }
    const rd_kafka_topic_partition_list_t* ps = rd_kafka_group_result_partitions(groups[i]);
    for (int j = 0; ps != nullptr && j < ps->cnt; ++j) {
      const auto& p = ps->elems[j];
      if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return handle.Error(what + " (" + p.topic + " partition " + std::to_string(p.partition) + ")", p.err);
      }
      visit(p);
    }
  }
  return Status::Ok();
}

class LibrdkafkaAdmin : public Admin {
 public:
  LibrdkafkaAdmin(Handle& handle, Client& client) : handle_(handle), client_(client) {}

  Result<TopicConfigs> DescribeTopicConfigs(const std::vector<std::string>& topics) override {
    TopicConfigs out;
    if (topics.empty()) return out;
    AdminCall call(handle_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, handle_.options().timeout_ms);
    std::vector<rd_kafka_ConfigResource_t*> res;
    for (const auto& t : topics) res.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, t.c_str()));
    rd_kafka_DescribeConfigs(handle_.get(), res.data(), res.size(), call.options(), call.queue());
    for (auto* r : res) rd_kafka_ConfigResource_destroy(r);
    std::string what = "describing the topic configs (" + std::to_string(topics.size()) + " topics)";
    DR_ASSIGN_OR_RETURN(rd_kafka_event_t * ev, call.Wait(handle_, what));
    size_t n = 0;
    const rd_kafka_ConfigResource_t** rs =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      std::string topic = rd_kafka_ConfigResource_name(rs[i]);
      if (auto err = rd_kafka_ConfigResource_error(rs[i]); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return handle_.Error("describing the configs of topic '" + topic + "'", err,
                             rd_kafka_ConfigResource_error_string(rs[i]));
      }
      size_t count = 0;
      const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(rs[i], &count);
      auto& configs = out[topic];
      for (size_t j = 0; j < count; ++j) {
        const rd_kafka_ConfigEntry_t* e = entries[j];
        // Only what was set on the topic itself defines it; broker defaults belong to the cluster.
        if (rd_kafka_ConfigEntry_source(e) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG) continue;
        if (rd_kafka_ConfigEntry_is_sensitive(e) || rd_kafka_ConfigEntry_value(e) == nullptr) continue;
        configs[rd_kafka_ConfigEntry_name(e)] = rd_kafka_ConfigEntry_value(e);
      }
    }
    return out;
  }

  Status CreateTopic(const std::string& topic, int partitions, int replication_factor,
                     const std::map<std::string, std::string>& configs) override {
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, replication_factor, err, sizeof err);
    if (nt == nullptr) return InvalidArgument("topic '" + topic + "': " + err);
    for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
    AdminCall call(handle_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, handle_.options().timeout_ms);
    rd_kafka_CreateTopics(handle_.get(), &nt, 1, call.options(), call.queue());
    rd_kafka_NewTopic_destroy(nt);
    std::string what = "creating topic '" + topic + "'";
    DR_ASSIGN_OR_RETURN(rd_kafka_event_t * ev, call.Wait(handle_, what));
    size_t n = 0;
    const rd_kafka_topic_result_t** rs = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      auto e = rd_kafka_topic_result_error(rs[i]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        const char* msg = rd_kafka_topic_result_error_string(rs[i]);
        return handle_.Error(what, e, msg ? msg : "");
      }
    }
    // Creation is asynchronous on the brokers: wait until the metadata shows every partition.
    return AwaitMetadata(what + ": created, but the metadata does not show it", [&](const std::vector<TopicInfo>& ts) {
      return std::any_of(ts.begin(), ts.end(), [&](const TopicInfo& t) {
        return t.name == topic && static_cast<int>(t.partitions.size()) == partitions;
      });
    });
  }

  Status DeleteTopics(const std::vector<std::string>& topics) override {
    if (topics.empty()) return Status::Ok();
    std::vector<rd_kafka_DeleteTopic_t*> requests;
    for (const auto& t : topics) requests.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
    AdminCall call(handle_.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, handle_.options().timeout_ms);
    rd_kafka_DeleteTopics(handle_.get(), requests.data(), requests.size(), call.options(), call.queue());
    for (auto* r : requests) rd_kafka_DeleteTopic_destroy(r);
    std::string what = "deleting topic" + std::string(topics.size() == 1 ? " '" + topics[0] + "'"
                                                                         : "s '" + topics[0] + "', ...");
    DR_ASSIGN_OR_RETURN(rd_kafka_event_t * ev, call.Wait(handle_, what));
    size_t n = 0;
    const rd_kafka_topic_result_t** rs = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      auto e = rd_kafka_topic_result_error(rs[i]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        const char* msg = rd_kafka_topic_result_error_string(rs[i]);
        return handle_.Error("deleting topic '" + std::string(rd_kafka_topic_result_name(rs[i])) + "'", e,
                             msg ? msg : "");
      }
    }
    // Deletion is asynchronous too: wait until the metadata lists none of them.
    return AwaitMetadata(what + ": deleted, but the metadata still shows it", [&](const std::vector<TopicInfo>& ts) {
      return std::none_of(ts.begin(), ts.end(), [&](const TopicInfo& t) {
        return std::find(topics.begin(), topics.end(), t.name) != topics.end();
      });
    });
  }

  Result<std::vector<std::string>> ListGroups() override {
    AdminCall call(handle_.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, handle_.options().timeout_ms);
    rd_kafka_ListConsumerGroups(handle_.get(), call.options(), call.queue());
    DR_ASSIGN_OR_RETURN(rd_kafka_event_t * ev, call.Wait(handle_, "listing the consumer groups"));
    const rd_kafka_ListConsumerGroups_result_t* r = rd_kafka_event_ListConsumerGroups_result(ev);
    size_t n = 0, nerr = 0;
    const rd_kafka_ConsumerGroupListing_t** groups = rd_kafka_ListConsumerGroups_result_valid(r, &n);
    const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(r, &nerr);
    // Every broker is asked; one that cannot answer makes the list incomplete, so it is an error.
    if (nerr > 0) {
      return handle_.Error("listing the consumer groups", rd_kafka_error_code(errors[0]),
                           rd_kafka_error_string(errors[0]));
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) out.emplace_back(rd_kafka_ConsumerGroupListing_group_id(groups[i]));
    return out;
  }

  Result<std::vector<GroupOffset>> ListGroupOffsets(const std::string& group, const TopicPartitions& parts) override {
    PartitionList list = MakeList(parts);
    rd_kafka_ListConsumerGroupOffsets_t* req = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), list.get());
    AdminCall call(handle_.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, handle_.options().timeout_ms);
    rd_kafka_ListConsumerGroupOffsets(handle_.get(), &req, 1, call.options(), call.queue());
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    std::string what = "reading the offsets of consumer group '" + group + "'";
    DR_ASSIGN_OR_RETURN(rd_kafka_event_t * ev, call.Wait(handle_, what));
    size_t n = 0;
    const rd_kafka_group_result_t** gs =
        rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    std::vector<GroupOffset> out;
    DR_RETURN_IF_ERROR(ForEachGroupPartition(handle_, what, gs, n, [&out](const rd_kafka_topic_partition_t& p) {
      if (p.offset < 0) return;  // nothing committed there
      out.push_back({p.topic, p.partition, p.offset,
                     p.metadata ? std::string(static_cast<const char*>(p.metadata), p.metadata_size) : ""});
    }));
    return out;
  }

  Status AlterGroupOffsets(const std::string& group, const std::vector<GroupOffset>& offsets) override {
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())),
                       &rd_kafka_topic_partition_list_destroy);
    for (const auto& o : offsets) {
      rd_kafka_topic_partition_t* p = rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition);
      p->offset = o.offset;
      if (!o.metadata.empty()) {
        p->metadata = std::malloc(o.metadata.size());  // freed by the list
        std::memcpy(p->metadata, o.metadata.data(), o.metadata.size());
        p->metadata_size = o.metadata.size();
      }
    }
    rd_kafka_AlterConsumerGroupOffsets_t* req = rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get());
    AdminCall call(handle_.get(), RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, handle_.options().timeout_ms);
    rd_kafka_AlterConsumerGroupOffsets(handle_.get(), &req, 1, call.options(), call.queue());
    rd_kafka_AlterConsumerGroupOffsets_destroy(req);
    std::string what = "committing the offsets of consumer group '" + group + "'";
    DR_ASSIGN_OR_RETURN(rd_kafka_event_t * ev, call.Wait(handle_, what));
    size_t n = 0;
    const rd_kafka_group_result_t** gs =
        rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
    return ForEachGroupPartition(handle_, what, gs, n, [](const rd_kafka_topic_partition_t&) {});
  }

 private:
  // Polls the cluster's metadata until `done` holds or the client's timeout passes.
  Status AwaitMetadata(const std::string& what, const std::function<bool(const std::vector<TopicInfo>&)>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(handle_.options().timeout_ms);
    while (true) {
      DR_ASSIGN_OR_RETURN(auto topics, client_.ListTopics());
      if (done(topics)) return Status::Ok();
      if (std::chrono::steady_clock::now() > deadline) return handle_.Error(what, RD_KAFKA_RESP_ERR__TIMED_OUT);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  Handle& handle_;
  Client& client_;
};

}  // namespace

Result<std::unique_ptr<Handle>> Handle::Create(rd_kafka_type_t type, const ClientOptions& options,
                                               const std::map<std::string, std::string>& extra, DeliveryFn on_delivery) {
  if (options.bootstrap_servers.empty()) return ConfigError("kafka.bootstrap_servers is not set");
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& k, const std::string& v) -> Status {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      return ConfigError("Kafka client property '" + k + "': " + err);
    }
    return Status::Ok();
  };
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"client.id", "ecap-dr"},
      {"log.connection.close", "false"},
      {"socket.timeout.ms", std::to_string(std::max(options.timeout_ms, 1000))},
  };
  for (const auto& [k, v] : options.properties) props[k] = v;
  for (const auto& [k, v] : extra) props[k] = v;
  for (const auto& [k, v] : props) {
    if (Status s = set(k, v); !s.ok()) {
      rd_kafka_conf_destroy(conf);
      return s;
    }
  }
  auto state = std::make_unique<State>();
  state->on_delivery = std::move(on_delivery);
  rd_kafka_conf_set_opaque(conf, state.get());
  rd_kafka_conf_set_log_cb(conf, LogCallback);
  rd_kafka_conf_set_error_cb(conf, ErrorCallback);
  if (type == RD_KAFKA_PRODUCER) rd_kafka_conf_set_dr_msg_cb(conf, DeliveryCallback);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);  // owns conf on success
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return ConfigError(std::string("Kafka client for ") + options.bootstrap_servers + ": " + err);
  }
  return std::unique_ptr<Handle>(new Handle(rk, options, std::move(state)));
}

Handle::~Handle() { rd_kafka_destroy(rk_); }

std::string Handle::Where() const { return "the Kafka brokers at " + options_.bootstrap_servers; }

std::string Handle::LastError() const {
  std::lock_guard lock(state_->mu);
  return state_->last_error;
}

Status Handle::Error(const std::string& what, rd_kafka_resp_err_t err, const std::string& detail) const {
  std::string msg = what + " on " + Where() + " failed: " + (detail.empty() ? rd_kafka_err2str(err) : detail);
  if (std::string last = LastError(); !last.empty() && msg.find(last) == std::string::npos) msg += " (" + last + ")";
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
      return Unavailable(msg);
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return Status(Code::kPermissionDenied, msg);
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return NotFound(msg);
    default:
      return Failed(msg);
  }
}

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  std::unique_ptr<Client> c(new Client());
  DR_ASSIGN_OR_RETURN(c->handle_, Handle::Create(RD_KAFKA_PRODUCER, options));
  c->admin_ = std::make_unique<LibrdkafkaAdmin>(*c->handle_, *c);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(c->handle_->get(), 0, nullptr, &md, options.timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Status s = c->handle_->Error("connecting", err);
    if (s.code() == Code::kUnavailable) {
      return Unavailable("cannot reach " + c->handle_->Where() + ": " + rd_kafka_err2str(err) +
                         (c->handle_->LastError().empty() ? "" : " (" + c->handle_->LastError() + ")"));
    }
    return s;
  }
  c->brokers_ = md->broker_cnt;
  rd_kafka_metadata_destroy(md);
  // Known from the metadata just fetched: no request of its own.
  if (char* id = rd_kafka_clusterid(c->handle_->get(), 0); id != nullptr) {
    c->cluster_id_ = id;
    rd_kafka_mem_free(c->handle_->get(), id);
  }
  return c;
}

Client::~Client() = default;

Result<std::vector<TopicInfo>> Client::ListTopics() {
  const rd_kafka_metadata_t* md = nullptr;
  // all_topics=1 lists what exists; asking for one topic by name could auto-create it.
  rd_kafka_resp_err_t err = rd_kafka_metadata(handle_->get(), 1, nullptr, &md, handle_->options().timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return handle_->Error("listing topics", err);
  std::vector<TopicInfo> out;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // being deleted or not authorized
    TopicInfo info{.name = t.topic};
    info.internal = info.name.rfind("__", 0) == 0;
    for (int j = 0; j < t.partition_cnt; ++j) {
      const rd_kafka_metadata_partition_t& p = t.partitions[j];
      PartitionInfo pi{.id = p.id, .leader = p.leader};
      pi.replicas.assign(p.replicas, p.replicas + p.replica_cnt);
      info.partitions.push_back(std::move(pi));
    }
    std::sort(info.partitions.begin(), info.partitions.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    if (!info.partitions.empty()) info.replication_factor = static_cast<int>(info.partitions[0].replicas.size());
    out.push_back(std::move(info));
  }
  rd_kafka_metadata_destroy(md);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<std::pair<int64_t, int64_t>> Client::Watermarks(const std::string& topic, int32_t partition) {
  int64_t low = 0, high = 0;
  rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(handle_->get(), topic.c_str(), partition, &low, &high, handle_->options().timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return handle_->Error("reading the offsets of " + topic + " partition " + std::to_string(partition), err);
  }
  return std::make_pair(low, high);
}

Result<std::vector<std::string>> Client::ReadKeys(const std::string& topic) {
  DR_ASSIGN_OR_RETURN(auto topics, ListTopics());
  auto found = std::find_if(topics.begin(), topics.end(), [&](const TopicInfo& t) { return t.name == topic; });
  if (found == topics.end()) return NotFound("no topic '" + topic + "' at " + handle_->Where());
  // Where each partition ends now: messages produced meanwhile are not waited for.
  std::map<int32_t, int64_t> next, end;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(found->partitions.size()));
  for (const auto& p : found->partitions) {
    DR_ASSIGN_OR_RETURN(auto marks, Watermarks(topic, p.id));
    if (marks.first >= marks.second) continue;
    next[p.id] = marks.first;
    end[p.id] = marks.second;
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p.id)->offset = marks.first;
  }
  std::vector<std::string> keys;
  if (end.empty()) {
    rd_kafka_topic_partition_list_destroy(list);
    return keys;
  }
  auto consumer = Handle::Create(RD_KAFKA_CONSUMER, handle_->options(),
                                 {{"group.id", "ecap-dr-reader"}, {"enable.auto.commit", "false"},
                                  {"enable.partition.eof", "true"}});
  if (!consumer.ok()) {
    rd_kafka_topic_partition_list_destroy(list);
    return consumer.status();
  }
  rd_kafka_resp_err_t err = rd_kafka_assign((*consumer)->get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return (*consumer)->Error("reading topic '" + topic + "'", err);
  const auto stall = std::chrono::milliseconds(handle_->options().timeout_ms);
  auto last_progress = std::chrono::steady_clock::now();
  Status status = Status::Ok();
  while (status.ok() && !end.empty()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll((*consumer)->get(), 100);
    if (m == nullptr) {
      if (std::chrono::steady_clock::now() - last_progress > stall) {
        status = Unavailable("reading topic '" + topic + "' at " + handle_->Where() + " stalled with " +
                             std::to_string(end.size()) + " partition(s) unread to their end");
      }
      continue;
    }
    last_progress = std::chrono::steady_clock::now();
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // At the end: also where the last offsets hold no message (transaction markers).
      if (end.count(m->partition) && m->offset >= end[m->partition]) end.erase(m->partition);
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = (*consumer)->Error("reading topic '" + topic + "' partition " + std::to_string(m->partition), m->err);
    } else if (end.count(m->partition) && m->offset >= next[m->partition]) {
      keys.emplace_back(m->key ? std::string(static_cast<const char*>(m->key), m->key_len) : std::string());
      next[m->partition] = m->offset + 1;
      if (next[m->partition] >= end[m->partition]) end.erase(m->partition);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_assign((*consumer)->get(), nullptr);
  DR_RETURN_IF_ERROR(status);
  return keys;
}

bool MatchesAny(const std::vector<std::string>& patterns, const std::string& name) {
  if (patterns.empty()) return true;
  for (const auto& p : patterns) {
    if (fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

Result<std::unique_ptr<Producer>> Producer::Create(const ClientOptions& options,
                                                   const std::map<std::string, std::string>& extra) {
  std::unique_ptr<Producer> p(new Producer());
  Report* report = p->report_.get();
  // Called from rd_kafka_poll, on the thread that waits in ProduceAndWait.
  auto on_delivery = [report](const rd_kafka_message_t& m) {
    if (reinterpret_cast<uintptr_t>(m._private) != report->waiting_for) return;  // an earlier, given-up message
    report->done = true;
    report->err = m.err;
    report->where = {m.partition, m.offset};
  };
  DR_ASSIGN_OR_RETURN(p->handle_, Handle::Create(RD_KAFKA_PRODUCER, options, extra, on_delivery));
  return p;
}

Producer::~Producer() {
  if (handle_) rd_kafka_purge(handle_->get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

Result<Producer::Delivered> Producer::ProduceAndWait(const std::string& topic, const std::string& key,
                                                     const std::string& value, int timeout_ms,
                                                     const std::function<std::string()>& abandon) {
  rd_kafka_t* rk = handle_->get();
  const uint64_t id = ++next_id_;
  *report_ = Report{.waiting_for = id};
  // (the RD_KAFKA_V_* macros do not parenthesize their arguments)
  void* k = const_cast<char*>(key.data());
  void* v = const_cast<char*>(value.data());
  size_t k_len = key.size(), v_len = value.size();
  void* opaque = reinterpret_cast<void*>(static_cast<uintptr_t>(id));
  rd_kafka_resp_err_t err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(k, k_len),
                                              RD_KAFKA_V_VALUE(v, v_len), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return handle_->Error("producing to topic '" + topic + "'", err);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!report_->done) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return handle_->Error("a message to topic '" + topic + "' was not acknowledged within " +
                                std::to_string(timeout_ms) + " ms",
                            RD_KAFKA_RESP_ERR__TIMED_OUT);
    }
    if (abandon) {
      if (std::string why = abandon(); !why.empty()) {
        return Unavailable("a message to topic '" + topic + "' on " + handle_->Where() + " was given up: " + why);
      }
    }
    rd_kafka_poll(rk, 20);
  }
  if (report_->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return handle_->Error("producing to topic '" + topic + "'", report_->err);
  }
  return report_->where;
}

}  // namespace dr::net::kafka
