#include "repo/item_list_reader.h"

#include <algorithm>

#include "repo/snapshot/item_lines.h"

namespace dr::repo {

ItemListReader::ItemListReader(Repository& repo, ItemList list) : repo_(repo) {
  stack_.push_back({list.levels, std::move(list.blobs), 0});
}

Result<const SnapshotItem*> ItemListReader::Next() {
  DR_RETURN_IF_ERROR(error_);
  while (pos_ >= batch_.size()) {
    Result<bool> more = Refill();
    if (!more.ok()) {
      batch_.clear();
      error_ = more.status();
      return error_;
    }
    if (!*more) return nullptr;
  }
  return &batch_[pos_++];
}

Result<bool> ItemListReader::Refill() {
  DR_RETURN_IF_ERROR(repo_.LoadIndex());  // once per repository; the list's blobs are in packs
  batch_.clear();
  pos_ = 0;
  while (!stack_.empty()) {
    Frame& top = stack_.back();
    if (top.next >= top.ids.size()) {
      stack_.pop_back();
      continue;
    }
    if (top.level > 0) {
      // One id list blob down.
      int level = top.level - 1;
      DR_ASSIGN_OR_RETURN(std::vector<BlobId> ids, repo_.LoadIdList(top.ids[top.next++]));
      stack_.push_back({level, std::move(ids), 0});  // `top` is not used after this
      continue;
    }
    size_t end = std::min(top.ids.size(), top.next + kBatchBlobs);
    std::vector<BlobId> run(top.ids.begin() + static_cast<std::ptrdiff_t>(top.next),
                            top.ids.begin() + static_cast<std::ptrdiff_t>(end));
    top.next = end;
    std::string text;
    StringSink sink(text);
    DR_RETURN_IF_ERROR(repo_.RestoreStream(run, sink, nullptr).status());
    DR_RETURN_IF_ERROR(ForEachItemLine(text, [&](SnapshotItem&& item) {
      batch_.push_back(std::move(item));
      return Status::Ok();
    }));
    if (!batch_.empty()) return true;
  }
  return false;
}

}  // namespace dr::repo
