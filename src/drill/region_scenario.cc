#include "drill/region_scenario.h"

#include <algorithm>

#include "base/time_util.h"
#include "drill/load_writer.h"
#include "net/postgres/pg_client.h"

namespace dr::drill {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

std::string WholeSeconds(double s) { return std::to_string(static_cast<int>(s)) + " s"; }

std::string KafkaName(const RegionScenarioOptions& o) {
  return "Kafka topic " + std::string(kKafkaDrillTopic) + " at " + o.kafka->client.bootstrap_servers;
}

}  // namespace

DisruptiveResult RunRegionScenario(Clock& clock, const RegionScenarioOptions& options) {
  DisruptiveResult result = NewResult(clock, options, "region", options.service.name + ", s3://" +
                                                                    options.primary.bucket + " and the repository");
  Timeline timeline(clock, result, options.progress);
  const std::string prefix = LakeDrillPrefix(options, result.drill_id);
  LoadWriter commits({.drill_id = result.drill_id, .conninfo = options.service.primary, .resolve = options.resolve},
                     clock);
  LoadWriter objects(LakeTarget(options, prefix, result.drill_id), clock);
  DisruptiveResult lake, kafka;  // the lake's and Kafka's writes, counted as the database's are
  lake.drill_id = kafka.drill_id = result.drill_id;
  auto placements = std::make_shared<KafkaPlacements>();
  std::unique_ptr<LoadWriter> messages;
  if (options.kafka) {
    messages = std::make_unique<LoadWriter>(KafkaTarget(*options.kafka, kKafkaDrillTopic, result.drill_id, placements),
                                            clock);
  }
  // With brokers in the backup region the Kafka load goes on through the
  // fault, as the others do; without, Kafka is lost with the region.
  const bool kafka_moves = messages && !options.kafka->backup_region.empty();
  std::string bucket_after;
  result.details["prefix"] = prefix;
  [&] {
    timeline.Begin("start the load generators");
    timeline.Say("drill " + result.drill_id + ": committing rows to " + options.service.name +
                 " through its name and putting objects into the lake");
    std::string address;
    auto conn = ConnectThroughName(options.resolve, options.service.primary, &address);
    Status loaded = conn.ok() ? StartLoad(**conn, commits, clock, options) : conn.status();
    if (!loaded.ok()) {
      return timeline.Fail("load", loaded.WithContext("the database of service '" + options.service.name + "'"));
    }
    result.address_before = address;
    auto bucket = options.active_bucket();
    if (!bucket.ok()) return timeline.Fail("load", bucket.status().WithContext("the lake's active bucket"));
    result.details["bucket_before"] = *bucket;
    const std::string lake_name = "the lake's bucket s3://" + *bucket;
    objects.Start();
    if (Status s = AwaitWrites(objects, options.commits_before_fault, clock, options, lake_name); !s.ok()) {
      return timeline.Fail("load", s);
    }
    if (messages) {
      std::string note = EnsureDrillTopic(*options.kafka, kKafkaDrillTopic);
      messages->Start();
      Status s = AwaitWrites(*messages, options.commits_before_fault, clock, options, KafkaName(options));
      if (!s.ok()) {
        return timeline.Fail("load", note.empty() ? s
                                                  : s.WithContext("the topic could not be made (" + note +
                                                                  ") nor was it made by the first message"));
      }
    }

    timeline.Begin(messages ? "Kafka backup, mirror pass and replication" : "mirror pass and replication");
    if (messages) {
      auto backed_up = options.kafka->backup(kKafkaDrillTopic);
      if (!backed_up.ok()) {
        return timeline.Fail("backup", backed_up.status().WithContext("the backup of Kafka before the fault"));
      }
      result.details["kafka_backup"] = *backed_up;
    }
    auto pass = options.mirror();
    if (!pass.ok()) return timeline.Fail("mirror", pass.status().WithContext("the mirror pass before the fault"));
    result.details["mirror"] = *pass;
    auto replicated = options.replicate();
    if (!replicated.ok()) {
      return timeline.Fail("replicate", replicated.status().WithContext("the repository's replication before the fault"));
    }
    result.details["replication"] = *replicated;
    auto repository = options.active_repository();
    if (!repository.ok()) return timeline.Fail("replicate", repository.status().WithContext("the repository in use"));
    result.details["repository_before"] = *repository;
    // The load goes on: what it writes now is the lag at the fault.
    size_t more = std::max<size_t>(1, options.commits_before_fault / 2);
    if (Status s = AwaitWrites(objects, objects.ack_count() + more, clock, options, lake_name); !s.ok()) {
      return timeline.Fail("load", s);
    }
    if (Status s = AwaitWrites(commits, commits.ack_count() + more, clock, options, options.service.name); !s.ok()) {
      return timeline.Fail("load", s);
    }
    if (messages) {
      if (Status s = AwaitWrites(*messages, messages->ack_count() + more, clock, options, KafkaName(options));
          !s.ok()) {
        return timeline.Fail("load", s);
      }
      if (!kafka_moves) messages->Stop();
    }

    timeline.Begin("inject the fault");
    result.acknowledged_before_fault = commits.ack_count();
    lake.acknowledged_before_fault = objects.ack_count();
    if (messages) kafka.acknowledged_before_fault = messages->ack_count();
    Steady::time_point fault = clock.Monotonic();
    result.fault_at = lake.fault_at = kafka.fault_at = FormatUtc(clock.Now(), true);
    if (auto lag = options.mirror_lag()) result.details["mirror_lag_seconds"] = *lag;
    timeline.Say("drill " + result.drill_id + ": injecting the region fault");
    if (Status s = options.inject(); !s.ok()) return timeline.Fail("inject", s.WithContext("injecting the fault"));

    timeline.Begin("recover (complete_region_failure runbook)");
    timeline.Say("drill " + result.drill_id + ": recovering in the backup region");
    Status recovered = options.recover(result.runbook);
    if (!recovered.ok()) return timeline.Fail("recover", RecoveryFailure(recovered, result.runbook));
    const double recovery_seconds = std::chrono::duration<double>(clock.Monotonic() - fault).count();
    auto after = options.active_bucket();
    if (!after.ok()) return timeline.Fail("recover", after.status().WithContext("the lake's active bucket"));
    bucket_after = *after;
    result.details["bucket_after"] = bucket_after;
    if (bucket_after != options.replica.bucket) {
      return timeline.Fail("recover", Failed("after the recovery the lake is served from s3://" + bucket_after +
                                             ", not its mirror s3://" + options.replica.bucket));
    }
    auto repository_after = options.active_repository();
    if (!repository_after.ok()) {
      return timeline.Fail("recover", repository_after.status().WithContext("the repository in use"));
    }
    result.details["repository_after"] = *repository_after;
    if (*repository_after != options.replica_repository) {
      return timeline.Fail("recover", Failed("after the recovery backups go to " + *repository_after +
                                             ", not the replica " + options.replica_repository));
    }
    if (kafka_moves) {
      auto served = options.kafka->active();
      if (!served.ok()) return timeline.Fail("recover", served.status().WithContext("the Kafka brokers in use"));
      result.details["kafka_after"] = *served;
      if (*served != options.kafka->backup_region) {
        return timeline.Fail("recover", Failed("after the recovery Kafka is served from " + *served +
                                               ", not the brokers in the backup region " +
                                               options.kafka->backup_region));
      }
    }

    timeline.Begin("first writes in the backup region");
    Steady::time_point limit = fault + std::chrono::duration_cast<Steady::duration>(
                                           std::chrono::duration<double>(options.timeout_seconds));
    auto commit = WaitForCommit([&] { return commits.FirstConnectedAfter(fault); }, limit, clock, options.stop,
                                "no commit through the name of service '" + options.service.name +
                                    "' was acknowledged within " + WholeSeconds(options.timeout_seconds) + " of the fault");
    if (!commit.ok()) return timeline.Fail("write_after_recovery", commit.status());
    auto object = WaitForCommit([&] { return objects.FirstConnectedAfter(fault, bucket_after); }, limit, clock,
                                options.stop,
                                "no object was acknowledged by s3://" + bucket_after + " (the active bucket) within " +
                                    WholeSeconds(options.timeout_seconds) + " of the fault");
    if (!object.ok()) {
      Status why = objects.last_error();
      return timeline.Fail("write_after_recovery",
                           why.ok() ? object.status() : object.status().WithContext("last error: " + why.message()));
    }
    const double database_seconds = std::chrono::duration<double>(commit->done - fault).count();
    const double lake_seconds = std::chrono::duration<double>(object->done - fault).count();
    result.details["database_back_seconds"] = database_seconds;
    result.details["lake_back_seconds"] = lake_seconds;
    result.details["recovery_seconds"] = recovery_seconds;
    // Back when it takes writes in every store and its backups are verified in the new region.
    result.rto_seconds = std::max({database_seconds, lake_seconds, recovery_seconds});
    if (kafka_moves) {
      auto message = WaitForCommit([&] { return messages->FirstConnectedAfter(fault, options.kafka->backup_region); },
                                   limit, clock, options.stop,
                                   "no message was acknowledged by the Kafka brokers in the backup region (" +
                                       options.kafka->backup_region + ") within " + WholeSeconds(options.timeout_seconds) +
                                       " of the fault");
      if (!message.ok()) {
        Status why = messages->last_error();
        return timeline.Fail("write_after_recovery", why.ok() ? message.status()
                                                              : message.status().WithContext("last error: " +
                                                                                             why.message()));
      }
      const double kafka_seconds = std::chrono::duration<double>(message->done - fault).count();
      result.details["kafka_back_seconds"] = kafka_seconds;
      result.rto_seconds = std::max(result.rto_seconds, kafka_seconds);
      AwaitFewMore(*messages, message->seq, clock, options.stop);
      messages->Stop();
    }
    AwaitFewMore(commits, commit->seq, clock, options.stop);
    AwaitFewMore(objects, object->seq, clock, options.stop);
    commits.Stop();
    objects.Stop();

    timeline.Begin("count the writes that survived");
    auto check = ConnectThroughName(options.resolve, options.service.primary, &address);
    if (!check.ok()) return timeline.Fail("verify", check.status().WithContext("the recovered database"));
    result.address_after = address;
    if (Status s = CountSurvivors(**check, commits.acks(), result, timeline); !s.ok()) {
      return timeline.Fail("verify", s);
    }
    auto stored = ReadDrillObjects(options, bucket_after, prefix, result.drill_id);
    if (!stored.ok()) return timeline.Fail("verify", stored.status().WithContext("reading the drill's objects back"));
    CountLost(objects.acks(), *stored, lake);
    if (!lake.lost.empty()) {
      timeline.Say("drill " + result.drill_id + ": " + std::to_string(lake.lost.size()) +
                   " acknowledged objects are lost (written after the mirror's last pass)");
    }
    result.rpo_seconds = std::max(result.rpo_seconds, lake.rpo_seconds);
    if (messages) {
      std::map<int64_t, bool> reached;
      if (kafka_moves) {
        // What the brokers in the backup region hold: the restored messages and those produced since.
        net::kafka::ClientOptions there = options.kafka->client;
        there.bootstrap_servers = options.kafka->backup_region;
        auto client = net::kafka::Client::Connect(there);
        auto keys = client.ok() ? (*client)->ReadKeys(kKafkaDrillTopic) : Result<std::vector<std::string>>(client.status());
        if (!keys.ok()) {
          return timeline.Fail("verify",
                               keys.status().WithContext("reading the drills' topic back in the backup region"));
        }
        result.details["kafka"] = {{"topic", kKafkaDrillTopic}, {"restored_in", options.kafka->backup_region},
                                   {"messages_there", keys->size()}};
        reached = MessagesAmong(*keys, result.drill_id);
      } else {
        auto ends = options.kafka->backed_up(kKafkaDrillTopic);
        if (!ends.ok()) {
          return timeline.Fail("verify", ends.status().WithContext("the newest backup of Kafka in " + *repository_after));
        }
        json backed_up_to = json::object();
        for (const auto& [partition, end] : *ends) backed_up_to[std::to_string(partition)] = end;
        result.details["kafka"] = {{"topic", kKafkaDrillTopic}, {"backed_up_to", backed_up_to}};
        reached = placements->Reached(*ends);
      }
      CountLost(messages->acks(), reached, kafka);
      if (!kafka.lost.empty()) {
        timeline.Say("drill " + result.drill_id + ": " + std::to_string(kafka.lost.size()) +
                     " acknowledged Kafka messages are lost (produced after the last backup of Kafka)");
      }
      result.rpo_seconds = std::max(result.rpo_seconds, kafka.rpo_seconds);
    }
  }();
  StopLoad(commits, result);
  StopLoad(objects, lake);
  result.details["lake_writes"] = WritesJson(lake);
  if (messages) {
    StopLoad(*messages, kafka);
    result.details["kafka_writes"] = WritesJson(kafka);
  }

  timeline.Begin("remove the drill's rows and objects");
  std::string address;
  RemoveDrillRows(ConnectThroughName(options.resolve, options.service.primary, &address), address, result, timeline);
  RemoveDrillObjects(options, prefix, bucket_after, result, timeline);
  timeline.Finish();
  return result;
}

}  // namespace dr::drill
