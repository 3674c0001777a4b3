#include "backup/repo_items.h"

#include <string>

namespace dr::backup {

namespace {
// What a restore read of an item against the size the backup recorded:
// kCorrupt naming the item when they differ. Its bytes are proven by
// RestoreStream (each blob authenticated with its id, in the item's order);
// the recorded SHA-256 is compared by `verify --full` (Repository::StreamHash).
Status MatchesRecord(const repo::SnapshotItem& item, uint64_t size) {
  if (size != item.size) {
    return Corrupt("item '" + item.name + "' restored to " + std::to_string(size) + " bytes, not the " +
                   std::to_string(item.size) + " its backup recorded");
  }
  return Status::Ok();
}
}  // namespace

Status RepoItemWriter::AddStream(ItemHeader header, ByteSource& data,
                                 const std::function<void(nlohmann::json&)>& amend) {
  auto saved = repo_.SaveStream(data, progress_);
  if (!saved.ok()) return saved.status().WithContext("back up '" + header.name + "'");
  input_bytes_ += saved->size;
  if (amend) amend(header.meta);
  return Add({std::move(header.name), std::move(header.kind), saved->size, saved->sha256, std::move(saved->blobs),
              std::move(header.meta)});
}

Status RepoItemWriter::AddEntry(ItemHeader header) {
  return Add({std::move(header.name), std::move(header.kind), 0, "", {}, std::move(header.meta)});
}

Status RepoItemWriter::AddUnchanged(const repo::SnapshotItem& item) {
  for (const auto& id : item.blobs) {
    if (!repo_.index().Has(id)) return NotFound("item '" + item.name + "' of an earlier backup lost its data");
  }
  input_bytes_ += item.size;  // the backup's size is what it holds, read now or not
  return Add(item);
}

Status RepoItemWriter::Add(const repo::SnapshotItem& item) {
  if (repo_.writes_item_lists()) return list_.Add(item);
  component_.item_count++;
  component_.item_bytes += item.size;
  component_.items.push_back(item);  // a version-1 repository: the manifest lists them
  return Status::Ok();
}

Status RepoItemWriter::Finish() {
  if (!repo_.writes_item_lists()) return Status::Ok();
  DR_ASSIGN_OR_RETURN(repo::ItemList list, list_.Finish());
  component_.list = std::move(list);
  component_.item_count = list_.count();
  component_.item_bytes = list_.bytes();
  return Status::Ok();
}

Status RepoItemReader::ReadItem(const repo::SnapshotItem& item, ByteSink& sink) {
  // Every source's restore reads through here: name the item once, for all of them.
  auto result = repo_.RestoreStream(item.blobs, sink, progress_);
  if (!result.ok()) return result.status().WithContext("item '" + item.name + "'");
  return MatchesRecord(item, result->size);
}

namespace {

// Cuts one stream of many items' bytes back into the items: each item's bytes
// go to its own sink and are checked against its size before the item is Done.
class ItemSplitter : public ByteSink {
 public:
  ItemSplitter(const std::vector<const repo::SnapshotItem*>& items, ItemSinks& sinks) : items_(items), sinks_(sinks) {}

  Status Write(std::string_view data) override {
    while (!data.empty()) {
      DR_RETURN_IF_ERROR(Begin());
      if (next_ == items_.size()) return Corrupt("the batch holds more bytes than its items");
      size_t n = std::min<uint64_t>(data.size(), items_[next_]->size - written_);
      DR_RETURN_IF_ERROR(sink_->Write(data.substr(0, n)));
      written_ += n;
      data.remove_prefix(n);
      DR_RETURN_IF_ERROR(EndIfWhole());
    }
    return Status::Ok();
  }
  // After the stream: the empty items at its end.
  Status Finish() {
    DR_RETURN_IF_ERROR(Begin());
    if (next_ != items_.size()) return Corrupt("item '" + items_[next_]->name + "' was cut short");
    return Status::Ok();
  }
  // The item being written, abandoned: where to read on from one by one.
  size_t Stop() {
    if (sink_ != nullptr) sinks_.Abandon(next_);
    sink_ = nullptr;
    return next_;
  }

 private:
  // Opens the next item's sink, finishing the empty items on the way.
  Status Begin() {
    while (sink_ == nullptr && next_ < items_.size()) {
      DR_ASSIGN_OR_RETURN(sink_, sinks_.Open(next_));
      written_ = 0;
      DR_RETURN_IF_ERROR(EndIfWhole());
    }
    return Status::Ok();
  }
  Status EndIfWhole() {
    const repo::SnapshotItem& item = *items_[next_];
    if (written_ < item.size) return Status::Ok();
    DR_RETURN_IF_ERROR(MatchesRecord(item, written_));
    DR_RETURN_IF_ERROR(sinks_.Done(next_));
    sink_ = nullptr;
    ++next_;
    return Status::Ok();
  }

  const std::vector<const repo::SnapshotItem*>& items_;
  ItemSinks& sinks_;
  size_t next_ = 0;  // the item being written, or the next to open
  ByteSink* sink_ = nullptr;
  uint64_t written_ = 0;
};

}  // namespace

Status RepoItemReader::ReadItems(const std::vector<const repo::SnapshotItem*>& items, ItemSinks& sinks) {
  std::vector<repo::BlobId> blobs;
  for (const auto* item : items) {
    // The stream is cut at the recorded sizes: an item whose blobs do not add
    // up to its size (or are not indexed) is read alone, where that is an error.
    uint64_t size = 0;
    for (const auto& id : item->blobs) {
      auto loc = repo_.index().Find(id);
      if (!loc) return ItemReader::ReadItems(items, sinks);
      size += loc->raw_length;
    }
    if (size != item->size) return ItemReader::ReadItems(items, sinks);
    blobs.insert(blobs.end(), item->blobs.begin(), item->blobs.end());
  }
  ItemSplitter splitter(items, sinks);
  Status s = repo_.RestoreStream(blobs, splitter, progress_).status();
  if (s.ok()) s = splitter.Finish();
  size_t from = splitter.Stop();
  if (s.ok() || s.code() == Code::kCancelled) return s;
  if (from == items.size()) return s;  // every item was done: what failed is past them
  // Again one by one from where it stopped: the first error is then the item's own.
  std::vector<const repo::SnapshotItem*> rest(items.begin() + static_cast<std::ptrdiff_t>(from), items.end());
  struct Offset : ItemSinks {
    ItemSinks& inner;
    size_t from;
    Offset(ItemSinks& i, size_t f) : inner(i), from(f) {}
    Result<ByteSink*> Open(size_t i) override { return inner.Open(from + i); }
    Status Done(size_t i) override { return inner.Done(from + i); }
    void Abandon(size_t i) override { inner.Abandon(from + i); }
  } offset(sinks, from);
  return ItemReader::ReadItems(rest, offset);
}

}  // namespace dr::backup
