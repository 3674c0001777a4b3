#include "source/s3lake/s3lake_source.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <cstring>
#include <map>
#include <optional>

#include <pugixml.hpp>

#include "base/thread_pool.h"
#include "source/component_items.h"
#include "source/s3lake/object_meta.h"
#include "source/s3lake/upload.h"

namespace dr::source {

using nlohmann::json;

namespace {

constexpr uint64_t kRangeSize = 8u << 20;

using Listed = net::s3::ListedObject;

// One ranged GET pinned to the ETag seen in the listing.
Result<net::s3::S3Response> FetchRange(net::s3::S3Client& client, const Listed& object, uint64_t offset) {
  std::map<std::string, std::string> h{{"if-match", object.etag}};
  if (object.size > 0) {
    uint64_t end = std::min(object.size, offset + kRangeSize) - 1;
    h["range"] = "bytes=" + std::to_string(offset) + "-" + std::to_string(end);
  }
  return client.Send("GET", object.key, {}, h, {});
}

// Reads one object in ranges, each pinned to the ETag seen in the listing. The
// first range may have been fetched ahead, in parallel with other objects.
class ObjectSource : public ByteSource {
 public:
  ObjectSource(net::s3::S3Client& client, const Listed& object,
               std::future<Result<net::s3::S3Response>>* prefetched = nullptr)
      : client_(client), object_(object), prefetched_(prefetched) {}

  Result<size_t> Read(char* buf, size_t n) override {
    if (pos_ == buffer_.size()) {
      if (offset_ >= object_.size && fetched_any_) return size_t{0};
      DR_RETURN_IF_ERROR(Fetch());
      if (buffer_.empty()) return size_t{0};
    }
    size_t take = std::min(n, buffer_.size() - pos_);
    std::memcpy(buf, buffer_.data() + pos_, take);
    pos_ += take;
    return take;
  }

  bool changed() const { return changed_; }
  // The object's metadata and tags, known once the first range was read.
  const ObjectMeta& meta() const { return meta_; }

 private:
  Status Fetch() {
    Result<net::s3::S3Response> fetched =
        prefetched_ != nullptr && offset_ == 0 ? prefetched_->get() : FetchRange(client_, object_, offset_);
    prefetched_ = nullptr;
    DR_ASSIGN_OR_RETURN(auto r, std::move(fetched));
    if (r.status == 412) {
      changed_ = true;
      return Status(Code::kCancelled, "object '" + object_.key + "' changed while it was read");
    }
    if (r.status / 100 != 2) return client_.ErrorOf(r, "unable to read " + client_.Url(object_.key));
    if (!fetched_any_) {
      meta_ = MetaFromResponse(r.headers);
      DR_RETURN_IF_ERROR(FetchTags(client_, object_.key, meta_));
    }
    fetched_any_ = true;
    buffer_ = std::move(r.body);
    pos_ = 0;
    offset_ += buffer_.size();
    return Status::Ok();
  }

  net::s3::S3Client& client_;
  const Listed& object_;
  std::future<Result<net::s3::S3Response>>* prefetched_;
  std::string buffer_;
  size_t pos_ = 0;
  uint64_t offset_ = 0;
  bool fetched_any_ = false;
  bool changed_ = false;
  ObjectMeta meta_;
};

// The metadata of an object whose bytes did not change, by HEAD (pinned to the
// listed ETag) and its tags; nullopt when it changed meanwhile or the HEAD
// failed: the caller then reads the object anew, which reports a real error.
std::optional<ObjectMeta> HeadMeta(net::s3::S3Client& client, const Listed& object) {
  auto r = client.Send("HEAD", object.key, {}, {{"if-match", object.etag}}, {});
  if (!r.ok() || r->status / 100 != 2) return std::nullopt;
  ObjectMeta meta = MetaFromResponse(r->headers);
  if (!FetchTags(client, object.key, meta).ok()) return std::nullopt;
  return meta;
}

Result<std::vector<Listed>> ListObjects(net::s3::S3Client& client, const std::string& prefix) {
  std::vector<Listed> out;
  DR_RETURN_IF_ERROR(client.ListObjects(prefix, [&](const net::s3::ListedObject& o) {
    out.push_back(o);
    return Status::Ok();
  }));
  return out;
}

// Item names ("bucket/key") in bytewise order: a listing's own order (S3 lists
// keys in UTF-8 binary order) within one target, and across targets once they
// are sorted (Targets).
bool NameBefore(std::string_view a, std::string_view b) { return a < b; }

struct Target {
  std::string bucket, prefix;
  std::string Name() const { return bucket + "/" + prefix; }  // what its items' names start with
};

// The configured targets in the order of their items' names, each once: one
// inside another ("lake" and "lake/raw/") is listed with it, not again.
std::vector<Target> Targets(const std::vector<std::string>& configured) {
  std::vector<Target> targets;
  for (const auto& t : configured) {
    auto slash = t.find('/');
    targets.push_back({t.substr(0, slash), slash == std::string::npos ? "" : t.substr(slash + 1)});
  }
  std::sort(targets.begin(), targets.end(), [](const Target& a, const Target& b) { return a.Name() < b.Name(); });
  std::vector<Target> kept;
  for (auto& t : targets) {
    if (kept.empty() || t.Name().rfind(kept.back().Name(), 0) != 0) kept.push_back(std::move(t));
  }
  return kept;
}

}  // namespace

Status S3LakeSource::Backup(ItemWriter& writer) {
  // What the previous backup holds, looked up in listing order: unchanged objects are reused from it.
  BaseItems base(options_.previous, options_.open_list, NameBefore);
  json targets = json::array();
  for (const auto& target : Targets(options_.targets)) {
    net::s3::S3Options s3 = options_.s3;
    s3.bucket = target.bucket;
    net::s3::S3Client client(s3);
    // The listing is handled a page's worth at a time as it comes: memory does
    // not grow with the number of objects.
    std::vector<Listed> window;
    uint64_t listed = 0;
    DR_RETURN_IF_ERROR(client.ListObjects(target.prefix, [&](const Listed& o) {
      window.push_back(o);
      ++listed;
      if (window.size() < options_.window) return Status::Ok();
      Status s = BackupObjects(writer, client, target.bucket, window, base);
      window.clear();
      return s;
    }));
    DR_RETURN_IF_ERROR(BackupObjects(writer, client, target.bucket, window, base));
    targets.push_back({{"bucket", target.bucket}, {"prefix", target.prefix}, {"objects", listed}});
    stats_.requests += client.requests();
  }
  json meta{{"targets", targets},
            {"objects", stats_.objects},
            {"objects_read", stats_.objects_read},
            {"objects_unchanged", stats_.objects_unchanged},
            {"bytes_read", stats_.bytes_read},
            {"requests", stats_.requests}};
  if (!base.error().ok()) {
    meta["warnings"] = json::array({"the previous backup's item list could not be read (" + base.error().message() +
                                    "): the objects after that point were read again"});
  }
  writer.SetComponentMeta(std::move(meta));
  return Status::Ok();
}

Status S3LakeSource::BackupObjects(ItemWriter& writer, net::s3::S3Client& client, const std::string& bucket,
                                   const std::vector<Listed>& objects, BaseItems& base) {
  // The previous backup's item for each object with the same key, size and ETag.
  std::vector<std::optional<repo::SnapshotItem>> previous(objects.size());
  uint64_t to_read = 0;
  for (size_t i = 0; i < objects.size(); ++i) {
    const Listed& o = objects[i];
    const repo::SnapshotItem* prev = base.Find(bucket + "/" + o.key);
    if (prev != nullptr && prev->size == o.size && prev->meta.value("etag", "") == o.etag) {
      previous[i] = *prev;
    } else {
      to_read += o.size;
    }
  }
  // Progress: the listing says how much will be read (unchanged objects are not).
  writer.ExpectBytes(to_read);
  // Read ahead: the first range of the next changed objects is fetched by a
  // pool while the repository stores the current one (small objects are
  // latency-bound). At most kPrefetchObjects and kPrefetchBytes in flight.
  constexpr size_t kPrefetchObjects = 64;
  constexpr uint64_t kPrefetchBytes = 64u << 20;
  // On an error the loop returns at once. The pool's destructor still runs
  // every queued prefetch before it joins; `abandon` (set first, by the guard
  // declared after the pool) turns those into no-ops instead of 8 MiB reads.
  std::atomic<bool> abandon{false};
  ThreadPool pool(16);
  struct AbandonOnExit {
    std::atomic<bool>& flag;
    ~AbandonOnExit() { flag = true; }
  } abandon_on_exit{abandon};
  std::map<size_t, std::future<Result<net::s3::S3Response>>> ahead;
  size_t next_prefetch = 0;
  uint64_t bytes_ahead = 0;
  auto top_up = [&](size_t current) {
    next_prefetch = std::max(next_prefetch, current);
    while (next_prefetch < objects.size() && ahead.size() < kPrefetchObjects && bytes_ahead < kPrefetchBytes) {
      const Listed& o = objects[next_prefetch];
      if (!previous[next_prefetch]) {
        ahead.emplace(next_prefetch, pool.Submit([&client, &o, &abandon]() -> Result<net::s3::S3Response> {
          if (abandon) return Status(Code::kCancelled, "backup stopped before '" + o.key + "' was read");
          return FetchRange(client, o, 0);
        }));
        bytes_ahead += std::min<uint64_t>(o.size, kRangeSize);
      }
      next_prefetch++;
    }
  };
  for (size_t index = 0; index < objects.size(); ++index) {
    const Listed& object = objects[index];
    top_up(index);
    std::future<Result<net::s3::S3Response>> first;
    if (auto it = ahead.find(index); it != ahead.end()) {
      first = std::move(it->second);
      ahead.erase(it);
      bytes_ahead -= std::min<uint64_t>(object.size, kRangeSize);
    }
    stats_.objects++;
    std::string name = bucket + "/" + object.key;
    if (std::optional<repo::SnapshotItem>& prev = previous[index]) {
      // Same bytes; the metadata may still differ: a backup of an older
      // version did not keep all of it, and a copy-in-place that replaces
      // metadata keeps the ETag but not the modification time. Refresh it
      // by HEAD then (no read of the data).
      repo::SnapshotItem& item = *prev;
      bool reusable = true;
      if (!ItemHasFullMeta(item.meta) || item.meta.value("last_modified", "") != object.last_modified) {
        std::optional<ObjectMeta> meta = HeadMeta(client, object);
        reusable = meta.has_value();  // else read it anew below
        if (meta) {
          MetaToItem(*meta, item.meta);
          item.meta["last_modified"] = object.last_modified;
        }
      }
      Status reused = reusable ? writer.AddUnchanged(item) : NotFound("metadata of '" + name + "' unknown");
      if (reused.ok()) {
        stats_.objects_unchanged++;
        continue;
      }
      if (reused.code() != Code::kNotFound) return reused;
    }
    // Read it; an object rewritten meanwhile is listed again and read anew (a few times at most).
    Listed current = object;
    for (int attempt = 0;; ++attempt) {
      ObjectSource source(client, current, attempt == 0 && first.valid() ? &first : nullptr);
      json meta{{"bucket", bucket}, {"key", current.key}, {"etag", current.etag},
                {"last_modified", current.last_modified}};
      // The metadata comes with the first range's response (and the tags after it).
      Status s = writer.AddStream({name, "s3_object", meta}, source,
                                  [&](json& m) { MetaToItem(source.meta(), m); });
      if (s.ok()) {
        stats_.objects_read++;
        stats_.bytes_read += current.size;
        break;
      }
      if (!source.changed() || attempt >= 3) return s;
      DR_ASSIGN_OR_RETURN(auto relisted, ListObjects(client, current.key));
      auto it = std::find_if(relisted.begin(), relisted.end(), [&](const Listed& l) { return l.key == current.key; });
      if (it == relisted.end()) break;  // deleted meanwhile: nothing to back up
      current = *it;
    }
  }
  return Status::Ok();
}

}  // namespace dr::source
