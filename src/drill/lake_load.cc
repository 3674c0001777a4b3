#include "drill/lake_load.h"

#include <set>

#include <fmt/core.h>

namespace dr::drill {
namespace {

std::string ObjectKey(const std::string& prefix, int64_t seq) { return fmt::format("{}{:010d}", prefix, seq); }

std::string Body(const std::string& drill_id, int64_t seq) { return drill_id + " " + std::to_string(seq) + "\n"; }

// The client options for `bucket`: the mirror's endpoint for the replica
// bucket, the lake's for any other. No retries and short timeouts: a lost
// bucket costs the load a failed write, not minutes of backoff.
net::s3::S3Options OptionsFor(const LakeLoad& o, const std::string& bucket) {
  net::s3::S3Options s = bucket == o.replica.bucket ? o.replica : o.primary;
  s.bucket = bucket;
  s.max_retries = 0;
  s.timeout_seconds = 5;
  return s;
}

// The load's target: objects under the drill's prefix in the active bucket.
class LakeObjectTarget final : public LoadTarget {
 public:
  LakeObjectTarget(const LakeLoad& options, std::string prefix, std::string drill_id)
      : options_(options), prefix_(std::move(prefix)), drill_id_(std::move(drill_id)) {}

  Result<std::string> Connect() override {
    client_.reset();
    DR_ASSIGN_OR_RETURN(std::string bucket, options_.active_bucket());
    if (bucket.empty()) return ConfigError("the platform names no active bucket for the data lake");
    client_ = std::make_unique<net::s3::S3Client>(OptionsFor(options_, bucket));
    return bucket;
  }
  bool connected() const override { return client_ != nullptr; }
  // 100 objects a second: unpaced, ~400 a second on radosgw here, and the
  // region fault's removal of the bucket and the runbook's first backup
  // grew with them (docs/BENCHMARKS.md, "With Kafka in the region").
  std::chrono::steady_clock::duration pace() const override { return std::chrono::milliseconds(10); }

  Status Write(int64_t seq) override {
    const std::string key = ObjectKey(prefix_, seq);
    auto r = client_->Send("PUT", key, {}, {}, Body(drill_id_, seq));
    Status s = !r.ok() ? r.status() : r->status == 200 ? Status::Ok() : client_->ErrorOf(*r, "put " + client_->Url(key));
    if (!s.ok()) client_.reset();  // the next write asks for the active bucket again
    return s;
  }

 private:
  const LakeLoad& options_;
  const std::string prefix_, drill_id_;
  std::unique_ptr<net::s3::S3Client> client_;
};

// Deletes the drill's objects from `bucket`; a bucket that is gone has none.
void RemoveFrom(const LakeLoad& o, const std::string& bucket, const std::string& prefix,
                DisruptiveResult& result, Timeline& timeline) {
  net::s3::S3Client client(OptionsFor(o, bucket));
  std::vector<std::string> keys;
  Status listed = client.ListObjects(prefix, [&](const net::s3::ListedObject& object) {
    keys.push_back(object.key);
    return Status::Ok();
  });
  const std::string where = "objects of " + result.drill_id + " in " + client.Url(prefix);
  if (listed.code() == Code::kNotFound) return;  // the bucket itself is gone (the fault)
  Status removed = listed;
  for (size_t i = 0; removed.ok() && i < keys.size(); ++i) {
    auto r = client.Send("DELETE", keys[i], {}, {}, {});
    if (!r.ok()) removed = r.status();
    else if (r->status / 100 != 2 && r->status != 404) removed = client.ErrorOf(*r, "delete " + client.Url(keys[i]));
  }
  if (!removed.ok()) {
    result.cleanup_errors.push_back(where + ": " + removed.message());
    timeline.MarkFailed();
    return;
  }
  if (!keys.empty()) result.removed.push_back(where + " (" + std::to_string(keys.size()) + ")");
}

}  // namespace

std::string LakeDrillPrefix(const LakeLoad& lake, const std::string& drill_id) {
  return lake.prefix + "ecap-dr-drill/" + drill_id + "/";
}

std::unique_ptr<LoadTarget> LakeTarget(const LakeLoad& lake, std::string prefix, std::string drill_id) {
  return std::make_unique<LakeObjectTarget>(lake, std::move(prefix), std::move(drill_id));
}

Result<std::map<int64_t, bool>> ReadDrillObjects(const LakeLoad& o, const std::string& bucket,
                                                 const std::string& prefix, const std::string& drill_id) {
  net::s3::S3Client client(OptionsFor(o, bucket));
  std::map<int64_t, bool> out;
  DR_RETURN_IF_ERROR(client.ListObjects(prefix, [&](const net::s3::ListedObject& listed) {
    std::string tail = listed.key.substr(prefix.size());
    if (tail.empty() || tail.find_first_not_of("0123456789") != std::string::npos) return Status::Ok();
    int64_t seq = std::stoll(tail);
    out[seq] = listed.size == Body(drill_id, seq).size();
    return Status::Ok();
  }));
  return out;
}

void RemoveDrillObjects(const LakeLoad& lake, const std::string& prefix, const std::string& active,
                        DisruptiveResult& result, Timeline& timeline) {
  std::set<std::string> buckets{lake.primary.bucket, lake.replica.bucket};
  if (!active.empty()) buckets.insert(active);
  for (const auto& bucket : buckets) RemoveFrom(lake, bucket, prefix, result, timeline);
}

}  // namespace dr::drill
