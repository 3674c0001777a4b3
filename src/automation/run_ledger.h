// What daemons on several hosts share of their jobs' runs (`serve` with etcd):
// per job, the newest run the leader started, with its due time, trigger and
// owner, and its outcome once it ended. Each daemon keeps the full history in
// its own RunStore (its state directory); the ledger is what a new leader on
// another host needs so that a takeover neither repeats nor skips a job: which
// run the old leader left unfinished, and for which due time each job last ran.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automation/run_store.h"
#include "dr/result.h"
#include "net/etcd.h"

namespace dr::automation {

struct LedgerEntry {
  std::string job;
  TimePoint scheduled_for{};
  std::string trigger;
  std::string owner;               // host:pid of the daemon that ran it
  std::string outcome = "running";  // a JobRun's outcome once it ended

  nlohmann::json ToJson() const;
  // kInvalidArgument naming what is wrong with a stored entry.
  static Result<LedgerEntry> FromJson(const std::string& text);
};

class RunLedger {
 public:
  virtual ~RunLedger() = default;
  // Records the newest run of entry.job. Only the leader writes: a daemon that
  // no longer leads is refused (kLocked), so a deposed leader never
  // overwrites what its successor wrote.
  virtual Status Put(const LedgerEntry& entry) = 0;
  // The newest run of every job that has one. An entry that cannot be read
  // is left out and said in `problems` (when given): one bad value must not
  // keep a new leader from the rest.
  virtual Result<std::vector<LedgerEntry>> All(std::vector<std::string>* problems = nullptr) = 0;
};

// The ledger in etcd: one key per job under `prefix`, each write in a
// transaction that holds only while `election_key` names `leader_id`.
class EtcdRunLedger : public RunLedger {
 public:
  EtcdRunLedger(net::EtcdClient& etcd, std::string prefix, std::string election_key, std::string leader_id);
  Status Put(const LedgerEntry& entry) override;
  Result<std::vector<LedgerEntry>> All(std::vector<std::string>* problems = nullptr) override;

 private:
  net::EtcdClient& etcd_;
  std::string prefix_;
  std::string election_key_;
  std::string leader_id_;
};

}  // namespace dr::automation
