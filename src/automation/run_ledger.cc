#include "automation/run_ledger.h"

#include "base/time_util.h"

namespace dr::automation {

using nlohmann::json;

json LedgerEntry::ToJson() const {
  return {{"job", job},
          {"scheduled_for", FormatUtc(scheduled_for, true)},
          {"trigger", trigger},
          {"owner", owner},
          {"outcome", outcome}};
}

Result<LedgerEntry> LedgerEntry::FromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  auto str = [&](const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  LedgerEntry e{.job = str("job"), .trigger = str("trigger"), .owner = str("owner"), .outcome = str("outcome")};
  auto due = ParseUtc(str("scheduled_for"));
  if (e.job.empty() || !due || e.outcome.empty()) {
    return InvalidArgument("a run in the shared ledger is not what ecap-dr writes: " + text.substr(0, 200));
  }
  e.scheduled_for = *due;
  return e;
}

EtcdRunLedger::EtcdRunLedger(net::EtcdClient& etcd, std::string prefix, std::string election_key,
                             std::string leader_id)
    : etcd_(etcd), prefix_(std::move(prefix)), election_key_(std::move(election_key)), leader_id_(std::move(leader_id)) {}

Status EtcdRunLedger::Put(const LedgerEntry& entry) {
  DR_ASSIGN_OR_RETURN(bool put, etcd_.PutIf(prefix_ + entry.job, entry.ToJson().dump(), election_key_, leader_id_));
  if (!put) return Status(Code::kLocked, "not recorded in the shared run ledger: this daemon no longer leads");
  return Status::Ok();
}

Result<std::vector<LedgerEntry>> EtcdRunLedger::All(std::vector<std::string>* problems) {
  DR_ASSIGN_OR_RETURN(auto kvs, etcd_.Range(prefix_));
  std::vector<LedgerEntry> out;
  for (const auto& [key, value] : kvs) {
    auto e = LedgerEntry::FromJson(value);
    if (e.ok()) {
      out.push_back(std::move(*e));
    } else if (problems != nullptr) {
      problems->push_back("etcd key " + key + " left out: " + e.status().message());
    }
  }
  return out;
}

}  // namespace dr::automation
