// Restoring the data lake (RestoreS3Lake in s3lake_source.h).
//
// The component's items are walked in order (its item list, never held
// whole), twice: the first walk writes nothing. Small objects, the bulk of a lake, are restored in batches: their
// bytes are read as one stream (ItemReader::ReadItems: neighbouring blobs in
// one read) and each object, once all its bytes were authenticated, is PUT on
// a pool of kUploads threads while the rest of the batch is read. A large
// object goes alone through UploadSink, multipart, in bounded memory.
#include <future>
#include <map>
#include <memory>

#include "base/thread_pool.h"
#include "source/component_items.h"
#include "source/s3lake/object_meta.h"
#include "source/s3lake/s3lake_source.h"
#include "source/s3lake/upload.h"

namespace dr::source {

namespace {

// Requests in flight: a PUT of a few KiB waits on the server, not on us.
constexpr size_t kUploads = 16;
// What a batch holds at most: objects and bytes, kept in memory until PUT.
constexpr size_t kBatchObjects = 256;
constexpr uint64_t kBatchBytes = 32u << 20;

class LakeWriter : public ItemSinks {
 public:
  explicit LakeWriter(const S3LakeRestoreOptions& options) : options_(options), pool_(kUploads) {}

  // Restores the item (an object under the prefix), now or with its batch.
  Status Add(const repo::SnapshotItem& item, ItemReader& reader) {
    if (item.size >= options_.multipart_threshold || item.size > kBatchBytes) {
      DR_RETURN_IF_ERROR(Flush(reader));
      auto& client = ClientFor(item);
      std::string key = item.meta.value("key", "");
      // Everything the backup kept (an older backup: content type and user metadata).
      UploadSink sink(client, key, MetaFromItem(item.meta), {options_.multipart_threshold, options_.part_size});
      // Every byte is authenticated and the whole object checked before it becomes visible.
      Status s = reader.ReadItem(item, sink);
      if (s.ok()) s = sink.Finish();
      if (!s.ok()) return s.WithContext("restore " + client.Url(key));
      Count(item);
      return Status::Ok();
    }
    batch_.push_back(item);
    batch_bytes_ += item.size;
    if (batch_.size() >= kBatchObjects || batch_bytes_ >= kBatchBytes) return Flush(reader);
    return Status::Ok();
  }

  // Reads and uploads what is pending; the first error in the objects' order,
  // naming its object.
  Status Flush(ItemReader& reader) {
    if (batch_.empty()) return Status::Ok();
    std::vector<const repo::SnapshotItem*> items;
    for (const auto& item : batch_) items.push_back(&item);
    buffers_.assign(batch_.size(), {});
    sinks_.clear();
    for (auto& buffer : buffers_) sinks_.push_back(std::make_unique<StringSink>(buffer));
    uploads_.clear();
    uploads_.resize(batch_.size());
    // A read error names the item it is about; what was read before it is
    // uploaded, as a one-at-a-time restore would have done.
    opened_ = batch_.size();
    Status read = reader.ReadItems(items, *this);
    if (!read.ok() && opened_ < batch_.size()) {
      // The item being read when it failed: named as an object of the target, as Add names a large one.
      const repo::SnapshotItem& item = batch_[opened_];
      read = read.WithContext("restore " + ClientFor(item).Url(item.meta.value("key", "")));
    }
    Status first = Wait();
    batch_.clear();
    batch_bytes_ = 0;
    buffers_.clear();
    return first.ok() ? read : first;
  }

  uint64_t objects() const { return objects_; }
  uint64_t bytes() const { return bytes_; }

  // ItemSinks, for a batch.
  Result<ByteSink*> Open(size_t i) override {
    opened_ = i;
    buffers_[i].clear();
    return sinks_[i].get();
  }
  Status Done(size_t i) override {
    const repo::SnapshotItem& item = batch_[i];
    net::s3::S3Client& client = ClientFor(item);  // made here, on the reading thread
    uploads_[i] = pool_.Submit([this, &client, &item, i]() -> Status {
      std::string key = item.meta.value("key", "");
      UploadSink sink(client, key, MetaFromItem(item.meta), {options_.multipart_threshold, options_.part_size});
      Status s = sink.Write(buffers_[i]);
      if (s.ok()) s = sink.Finish();
      return s.WithContext("restore " + client.Url(key));
    });
    return Status::Ok();
  }
  void Abandon(size_t i) override { buffers_[i].clear(); }

 private:
  net::s3::S3Client& ClientFor(const repo::SnapshotItem& item) {
    std::string bucket = options_.target_bucket.empty() ? item.meta.value("bucket", "") : options_.target_bucket;
    auto& client = clients_[bucket];
    if (!client) {
      net::s3::S3Options s3 = options_.s3;
      s3.bucket = bucket;
      client = std::make_unique<net::s3::S3Client>(s3);
    }
    return *client;
  }
  void Count(const repo::SnapshotItem& item) {
    ++objects_;
    bytes_ += item.size;
  }
  // Waits for every upload of the batch; the first failure in order.
  Status Wait() {
    Status first;
    for (size_t i = 0; i < uploads_.size(); ++i) {
      if (!uploads_[i].valid()) continue;
      Status s = uploads_[i].get();
      if (s.ok()) {
        Count(batch_[i]);
      } else if (first.ok()) {
        first = s;
      }
    }
    uploads_.clear();
    return first;
  }

  const S3LakeRestoreOptions& options_;
  std::map<std::string, std::unique_ptr<net::s3::S3Client>> clients_;  // by target bucket
  std::vector<repo::SnapshotItem> batch_;
  uint64_t batch_bytes_ = 0;
  size_t opened_ = 0;  // the batch's item read last
  std::vector<std::string> buffers_;                  // the batch's bytes, by item
  std::vector<std::unique_ptr<StringSink>> sinks_;
  std::vector<std::future<Status>> uploads_;          // by item; invalid until Done
  uint64_t objects_ = 0, bytes_ = 0;
  ThreadPool pool_;  // last: destroyed (joined) first, while what its tasks use lives
};

}  // namespace

Result<std::pair<uint64_t, uint64_t>> RestoreS3Lake(const repo::SnapshotComponent& component, ItemReader& reader,
                                                    const S3LakeRestoreOptions& options) {
  auto selected = [&](const repo::SnapshotItem& item) {
    return item.kind == "s3_object" && item.meta.value("key", "").rfind(options.prefix, 0) == 0;
  };
  // A first walk writes nothing: a damaged list, or a prefix that selects
  // nothing, is found before any object of the target is overwritten.
  uint64_t count = 0;
  DR_RETURN_IF_ERROR(ForEachComponentItem(component, options.open_list, [&](const repo::SnapshotItem& item) {
    count += selected(item) ? 1 : 0;
    return Status::Ok();
  }));
  if (count == 0 && !options.prefix.empty()) {
    return NotFound("no object under prefix '" + options.prefix + "' in the backup");
  }
  LakeWriter writer(options);
  DR_RETURN_IF_ERROR(ForEachComponentItem(component, options.open_list, [&](const repo::SnapshotItem& item) {
    return selected(item) ? writer.Add(item, reader) : Status::Ok();
  }));
  DR_RETURN_IF_ERROR(writer.Flush(reader));
  return std::make_pair(writer.objects(), writer.bytes());
}

}  // namespace dr::source
