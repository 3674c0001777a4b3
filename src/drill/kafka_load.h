// The region drill's load on Kafka: one message at a time, 100 a second, into
// the drills' topic (ecap_dr_drill_writes, named like the database drills'
// table), each acknowledged by every in-sync replica (acks=all) before the next,
// and where it landed (partition, offset) recorded. Before the fault the drill
// backs the topic up as the schedule would. With brokers in the backup region
// (dr_coordinator.failover.kafka) the load goes on through the fault, to the
// brokers in use (it asks before each connection, as the lake's load asks for
// the active bucket): after the recovery restored Kafka there, the drill reads
// the topic back from them and the acknowledged messages it lacks are the
// Kafka writes the region's loss cost, each named. Without such brokers the
// load stops at the fault, and the messages the newest backup in the
// repository then in use does not reach are counted instead (what a restore
// could bring back).
//
// The topic is kept between drills (Kafka cannot delete single messages, and
// many clusters let no client delete topics): its messages are keyed
// "<drill_id>/<seq>" and leave with the topic's retention. It is made on the
// first drill, by CreateTopics where the client may, else by the cluster's
// auto-creation on the first message.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/result.h"
#include "drill/load_writer.h"
#include "net/kafka/client.h"

namespace dr::drill {

inline constexpr char kKafkaDrillTopic[] = "ecap_dr_drill_writes";

struct KafkaLoad {
  net::kafka::ClientOptions client;  // the platform's cluster (its bootstrap servers: the primary region's)
  // The brokers Kafka is served from now (coordinator::ActiveKafka; null: always `client`'s).
  std::function<Result<std::string>()> active;
  // The brokers in the backup region the recovery brings Kafka back on; "":
  // none, Kafka is lost with the region.
  std::string backup_region;
  // One backup of Kafka with `topic` among its topics (what the platform's
  // schedule does before the fault); its result document.
  std::function<Result<nlohmann::json>(const std::string& topic)> backup;
  // After the recovery: per partition of `topic`, the offset after the last
  // message the newest backup in the repository in use holds (what a restore
  // in the backup region brings back). A partition it lacks holds nothing.
  std::function<Result<std::map<int32_t, int64_t>>(const std::string& topic)> backed_up;
};

// Where each acknowledged message landed: seq -> {partition, offset}.
class KafkaPlacements {
 public:
  void Record(int64_t seq, net::kafka::Producer::Delivered where);
  // seq -> true for every recorded message below its partition's end in
  // `ends` (a restore of that backup brings it back); the others are absent
  // (CountLost's "missing": there is no damaged message).
  std::map<int64_t, bool> Reached(const std::map<int32_t, int64_t>& ends) const;
  // Where message `seq` landed, if it was acknowledged.
  std::optional<net::kafka::Producer::Delivered> At(int64_t seq) const;

 private:
  mutable std::mutex mu_;
  std::map<int64_t, net::kafka::Producer::Delivered> by_seq_;
};

// seq -> true for every message of drill `drill_id` among `keys` (the keys
// a topic holds, net::kafka::Client::ReadKeys): what a restore brought back.
std::map<int64_t, bool> MessagesAmong(const std::vector<std::string>& keys, const std::string& drill_id);

// Makes `topic` with one partition and the cluster's replication factor when
// it does not exist. A cluster that refuses (no CreateTopics permission,
// librdkafka's mock) is not an error here: the first message may still create
// it; the refusal is returned as a note ("" when made or already there).
std::string EnsureDrillTopic(const KafkaLoad& kafka, const std::string& topic);

// The load's target: messages "<drill_id>/<seq>" into `topic` on the brokers
// in use (`active`, asked at each connection: the acknowledgements' `where`),
// each waited for; `placements` (shared with the drill) records where each landed.
// A write waiting for its acknowledgement asks `active` every 200 ms and is
// given up (unacknowledged, so never counted lost) once the brokers in use are
// others: the next write connects to them.
std::unique_ptr<LoadTarget> KafkaTarget(const KafkaLoad& kafka, std::string topic, std::string drill_id,
                                        std::shared_ptr<KafkaPlacements> placements);

}  // namespace dr::drill
