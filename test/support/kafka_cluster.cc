#include "test/support/kafka_cluster.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>

namespace dr::test {

using net::kafka::GroupOffset;

namespace {

Result<std::string> ReadLine(int fd) {
  std::string line;
  char c;
  while (true) {
    ssize_t n = ::read(fd, &c, 1);
    if (n <= 0) return Unavailable("the Kafka mock cluster exited");
    if (c == '\n') return line;
    line += c;
  }
}

}  // namespace

Result<std::unique_ptr<KafkaCluster>> KafkaCluster::Start(int brokers, const std::vector<std::string>& topics) {
  return StartOn(std::getenv("ECAP_TEST_KAFKA_BROKERS"), brokers, topics);
}

Result<std::unique_ptr<KafkaCluster>> KafkaCluster::StartMock(int brokers, const std::vector<std::string>& topics) {
  return StartOn(nullptr, brokers, topics);
}

Result<std::unique_ptr<KafkaCluster>> KafkaCluster::StartOn(const char* real, int brokers,
                                                            const std::vector<std::string>& topics) {
  std::unique_ptr<KafkaCluster> c(new KafkaCluster());
  if (real != nullptr && *real != '\0') {
    c->bootstrap_ = real;
    std::random_device rd;
    c->prefix_ = "ecap-dr-test-" + std::to_string(rd() % 1000000) + ".";
    DR_ASSIGN_OR_RETURN(c->client_, net::kafka::Client::Connect({.bootstrap_servers = c->bootstrap_}));
  } else {
    SubprocessOptions o{.argv = {KAFKA_MOCK_BINARY, "-b", std::to_string(brokers)}, .pipe_stdin = true};
    DR_ASSIGN_OR_RETURN(c->mock_, Subprocess::Start(o));
    DR_ASSIGN_OR_RETURN(c->bootstrap_, ReadLine(c->mock_->stdout_fd()));
    DR_ASSIGN_OR_RETURN(c->client_, net::kafka::Client::Connect({.bootstrap_servers = c->bootstrap_}));
  }
  for (const auto& t : topics) {
    auto colon = t.find(':');
    DR_RETURN_IF_ERROR(c->CreateTopic(c->Topic(t.substr(0, colon)), std::stoi(t.substr(colon + 1))));
  }
  return c;
}

KafkaCluster::~KafkaCluster() {
  client_.reset();
  if (mock_) {
    mock_->CloseStdin();
    (void)mock_->Wait();
  }
}

Status KafkaCluster::Command(const std::string& line) {
  std::string l = line + "\n";
  if (::write(mock_->stdin_fd(), l.data(), l.size()) != static_cast<ssize_t>(l.size())) {
    return Unavailable("the Kafka mock cluster is gone");
  }
  DR_ASSIGN_OR_RETURN(auto answer, ReadLine(mock_->stdout_fd()));
  if (answer != "ok") return Failed("kafka_mock " + line + ": " + answer);
  return Status::Ok();
}

Status KafkaCluster::CreateTopic(const std::string& name, int partitions) {
  if (mock_) return Command("create " + name + " " + std::to_string(partitions));
  return client_->admin().CreateTopic(name, partitions, 1, {});
}

Status KafkaCluster::SetBrokerUp(int id, bool up) {
  if (!mock_) return Failed("brokers of a real cluster are not stopped by the tests");
  return Command(std::string(up ? "up " : "down ") + std::to_string(id));
}

Status KafkaCluster::Produce(const std::string& topic, const std::vector<TestMessage>& messages) {
  int failures = 0;
  DR_ASSIGN_OR_RETURN(auto producer, net::kafka::Handle::Create(
                                         RD_KAFKA_PRODUCER, {.bootstrap_servers = bootstrap_},
                                         {{"linger.ms", "5"}, {"queue.buffering.max.messages", "1000000"}},
                                         [&failures](const rd_kafka_message_t& m) { failures += m.err != 0; }));
  for (const auto& m : messages) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(m.headers.size());
    for (const auto& [name, value] : m.headers) {
      rd_kafka_header_add(hdrs, name.data(), -1, value ? value->data() : nullptr, value ? (ssize_t)value->size() : 0);
    }
    const char* key = m.key ? m.key->data() : nullptr;
    size_t key_len = m.key ? m.key->size() : 0;
    char* value = m.value ? const_cast<char*>(m.value->data()) : nullptr;
    size_t value_len = m.value ? m.value->size() : 0;
    int64_t ts = m.timestamp_ms;
    std::string t = topic;
    while (true) {
      auto err = rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(t.c_str()), RD_KAFKA_V_PARTITION(m.partition),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                                   RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_TIMESTAMP(ts),
                                   RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_headers_destroy(hdrs);
        return Failed(std::string("test produce: ") + rd_kafka_err2str(err));
      }
      rd_kafka_poll(producer->get(), 10);
    }
  }
  if (rd_kafka_flush(producer->get(), 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) return Failed("test produce: flush timed out");
  if (failures > 0) return Failed("test produce: " + std::to_string(failures) + " messages failed");
  return Status::Ok();
}

Result<std::map<int32_t, std::vector<TestMessage>>> KafkaCluster::ReadAll(const std::string& topic) {
  DR_ASSIGN_OR_RETURN(auto topics, client_->ListTopics());
  int partitions = -1;
  for (const auto& t : topics) {
    if (t.name == topic) partitions = static_cast<int>(t.partitions.size());
  }
  if (partitions < 0) return NotFound("test read: no topic " + topic);
  std::map<int32_t, std::vector<TestMessage>> out;
  DR_ASSIGN_OR_RETURN(auto consumer, net::kafka::Handle::Create(
                                         RD_KAFKA_CONSUMER, {.bootstrap_servers = bootstrap_},
                                         {{"group.id", "ecap-dr-test-reader"}, {"enable.auto.commit", "false"}}));
  for (int p = 0; p < partitions; ++p) {
    DR_ASSIGN_OR_RETURN(auto marks, client_->Watermarks(topic, p));
    out[p];
    if (marks.first >= marks.second) continue;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = marks.first;
    rd_kafka_assign(consumer->get(), list);
    rd_kafka_topic_partition_list_destroy(list);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int64_t next = marks.first;
    while (next < marks.second) {
      if (std::chrono::steady_clock::now() > deadline) return Failed("test read: timed out on " + topic);
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer->get(), 100);
      if (m == nullptr) continue;
      if (m->err == 0) {
        TestMessage t{.partition = m->partition};
        if (m->key) t.key = std::string(static_cast<const char*>(m->key), m->key_len);
        if (m->payload) t.value = std::string(static_cast<const char*>(m->payload), m->len);
        rd_kafka_headers_t* hdrs = nullptr;
        if (rd_kafka_message_headers(m, &hdrs) == 0) {
          const char* name;
          const void* v;
          size_t size;
          for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &v, &size) == 0; ++i) {
            t.headers.emplace_back(name, v ? std::optional<std::string>(std::string(static_cast<const char*>(v), size))
                                           : std::nullopt);
          }
        }
        t.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
        t.offset = m->offset;
        next = m->offset + 1;
        out[p].push_back(std::move(t));
      }
      rd_kafka_message_destroy(m);
    }
  }
  rd_kafka_assign(consumer->get(), nullptr);
  return out;
}

Status KafkaCluster::Commit(const std::string& group, const std::string& topic, int32_t partition, int64_t offset) {
  return client_->admin().AlterGroupOffsets(group, {{topic, partition, offset, ""}});
}

Result<std::map<int32_t, int64_t>> KafkaCluster::Committed(const std::string& group, const std::string& topic,
                                                           int partitions) {
  net::kafka::TopicPartitions parts;
  for (int p = 0; p < partitions; ++p) parts.emplace_back(topic, p);
  DR_ASSIGN_OR_RETURN(auto offsets, client_->admin().ListGroupOffsets(group, parts));
  std::map<int32_t, int64_t> out;
  for (const auto& o : offsets) out[o.partition] = o.offset;
  return out;
}

Result<net::kafka::Admin::TopicConfigs> ScriptedAdmin::DescribeTopicConfigs(const std::vector<std::string>& topics) {
  TopicConfigs out;
  for (const auto& t : topics) out[t] = configs.count(t) ? configs[t] : std::map<std::string, std::string>{};
  return out;
}

Status ScriptedAdmin::CreateTopic(const std::string& topic, int partitions, int replication_factor,
                                  const std::map<std::string, std::string>& cfg) {
  created.push_back({topic, partitions, replication_factor, cfg});
  // As librdkafka's admin: a topic that exists already is no error.
  Status s = cluster_.CreateTopic(topic, partitions);
  return s.ok() || s.message().find("already exists") != std::string::npos ? Status::Ok() : s;
}

Status ScriptedAdmin::DeleteTopics(const std::vector<std::string>& topics) {
  deleted.insert(deleted.end(), topics.begin(), topics.end());
  return Status::Ok();
}

Result<std::vector<std::string>> ScriptedAdmin::ListGroups() {
  if (!groups) return Unavailable("listing the consumer groups failed: Required feature not supported by broker");
  return *groups;
}

Result<std::vector<GroupOffset>> ScriptedAdmin::ListGroupOffsets(const std::string& group,
                                                                 const net::kafka::TopicPartitions& parts) {
  return cluster_.client().admin().ListGroupOffsets(group, parts);
}

Status ScriptedAdmin::AlterGroupOffsets(const std::string& group, const std::vector<GroupOffset>& offsets) {
  alter_group_offsets_called = true;
  return cluster_.client().admin().AlterGroupOffsets(group, offsets);
}

}  // namespace dr::test
