#include "drill/kafka_load.h"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace dr::drill {
namespace {

// A message is given up on after 5 s (message.timeout.ms) and the wait ends a
// second later: a dead cluster costs the load a failed write, not minutes.
constexpr int kMessageTimeoutMs = 5000;
// How often a write waiting for its acknowledgement asks which brokers are in
// use: a switch away from the cluster it writes to ends the wait then, as a
// client told by the switch hook would reconnect, rather than after the
// message's timeout (which bounded the region drill's Kafka RTO at ~5 s).
constexpr auto kActiveCheckInterval = std::chrono::milliseconds(200);

// The load's pace (LoadTarget::pace): unpaced, an idle cluster takes ~10,000
// a second one at a time.
constexpr auto kMessageInterval = std::chrono::milliseconds(10);  // 100 a second

class KafkaMessageTarget final : public LoadTarget {
 public:
  KafkaMessageTarget(const KafkaLoad& kafka, std::string topic, std::string drill_id,
                     std::shared_ptr<KafkaPlacements> placements)
      : client_(kafka.client),
        active_(kafka.active),
        topic_(std::move(topic)),
        drill_id_(std::move(drill_id)),
        placements_(std::move(placements)) {}

  Result<std::string> Connect() override {
    producer_.reset();
    net::kafka::ClientOptions client = client_;
    if (active_) {
      DR_ASSIGN_OR_RETURN(client.bootstrap_servers, active_());
    }
    servers_ = client.bootstrap_servers;
    DR_ASSIGN_OR_RETURN(producer_, net::kafka::Producer::Create(
                                       client, {{"acks", "all"},
                                                {"linger.ms", "0"},
                                                {"message.timeout.ms", std::to_string(kMessageTimeoutMs)}}));
    return client.bootstrap_servers;
  }
  bool connected() const override { return producer_ != nullptr; }

  std::chrono::steady_clock::duration pace() const override { return kMessageInterval; }

  Status Write(int64_t seq) override {
    const std::string key = drill_id_ + "/" + std::to_string(seq);
    // Asked only of a write not acknowledged at once: not 100 state reads a second.
    auto next_check = std::chrono::steady_clock::now() + kActiveCheckInterval;
    auto switched = [&]() -> std::string {
      if (!active_ || std::chrono::steady_clock::now() < next_check) return "";
      next_check = std::chrono::steady_clock::now() + kActiveCheckInterval;
      auto now = active_();
      if (!now.ok() || *now == servers_) return "";  // unknown: keep waiting for the acknowledgement
      return "Kafka is now served from " + *now;
    };
    auto delivered = producer_->ProduceAndWait(topic_, key, key + "\n", kMessageTimeoutMs + 1000, switched);
    if (!delivered.ok()) {
      producer_.reset();  // the next write starts a producer of its own
      return delivered.status();
    }
    placements_->Record(seq, *delivered);
    return Status::Ok();
  }

 private:
  const net::kafka::ClientOptions client_;
  const std::function<Result<std::string>()> active_;
  const std::string topic_, drill_id_;
  std::shared_ptr<KafkaPlacements> placements_;
  std::unique_ptr<net::kafka::Producer> producer_;
  std::string servers_;  // the brokers producer_ writes to
};

}  // namespace

void KafkaPlacements::Record(int64_t seq, net::kafka::Producer::Delivered where) {
  std::lock_guard lock(mu_);
  by_seq_[seq] = where;
}

std::map<int64_t, bool> KafkaPlacements::Reached(const std::map<int32_t, int64_t>& ends) const {
  std::lock_guard lock(mu_);
  std::map<int64_t, bool> out;
  for (const auto& [seq, where] : by_seq_) {
    auto end = ends.find(where.partition);
    if (end != ends.end() && where.offset >= 0 && where.offset < end->second) out[seq] = true;
  }
  return out;
}

std::map<int64_t, bool> MessagesAmong(const std::vector<std::string>& keys, const std::string& drill_id) {
  std::map<int64_t, bool> out;
  const std::string prefix = drill_id + "/";
  for (const auto& key : keys) {
    if (key.size() <= prefix.size() || key.compare(0, prefix.size(), prefix) != 0) continue;
    int64_t seq = 0;
    auto [end, error] = std::from_chars(key.data() + prefix.size(), key.data() + key.size(), seq);
    if (error == std::errc() && end == key.data() + key.size()) out[seq] = true;
  }
  return out;
}

std::optional<net::kafka::Producer::Delivered> KafkaPlacements::At(int64_t seq) const {
  std::lock_guard lock(mu_);
  auto it = by_seq_.find(seq);
  if (it == by_seq_.end()) return std::nullopt;
  return it->second;
}

std::string EnsureDrillTopic(const KafkaLoad& kafka, const std::string& topic) {
  auto client = net::kafka::Client::Connect(kafka.client);
  if (!client.ok()) return client.status().message();
  auto topics = (*client)->ListTopics();
  if (topics.ok() && std::any_of(topics->begin(), topics->end(), [&](const auto& t) { return t.name == topic; })) {
    return "";
  }
  Status made = (*client)->admin().CreateTopic(topic, 1, -1, {});
  return made.ok() ? "" : made.message();
}

std::unique_ptr<LoadTarget> KafkaTarget(const KafkaLoad& kafka, std::string topic, std::string drill_id,
                                        std::shared_ptr<KafkaPlacements> placements) {
  return std::make_unique<KafkaMessageTarget>(kafka, std::move(topic), std::move(drill_id), std::move(placements));
}

}  // namespace dr::drill
