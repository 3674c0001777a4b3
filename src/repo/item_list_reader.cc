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
      const BlobId id = top.ids[top.next++];
      int level = top.level - 1;
      DR_ASSIGN_OR_RETURN(std::string raw, repo_.LoadBlob(id));
      if (raw.empty() || raw.size() % 32 != 0) {
        return Corrupt("item list blob " + id.ShortHex() + " is not a list of blob ids");
      }
      Frame child{level, {}, 0};
      for (size_t at = 0; at < raw.size(); at += 32) child.ids.push_back(BlobId::FromRaw(std::string_view(raw).substr(at, 32)));
      stack_.push_back(std::move(child));  // `top` is not used after this
      continue;
    }
    size_t end = std::min(top.ids.size(), top.next + kBatchBlobs);
    std::vector<BlobId> run(top.ids.begin() + static_cast<std::ptrdiff_t>(top.next),
                            top.ids.begin() + static_cast<std::ptrdiff_t>(end));
    top.next = end;
    std::string text;
    StringSink sink(text);
    DR_RETURN_IF_ERROR(repo_.RestoreStream(run, sink, nullptr).status());
    DR_RETURN_IF_ERROR(ForEachLine(text, [&](std::string_view line) {
      DR_ASSIGN_OR_RETURN(SnapshotItem item, DecodeItemLine(line));
      batch_.push_back(std::move(item));
      return Status::Ok();
    }));
    if (!batch_.empty()) return true;
  }
  return false;
}

}  // namespace dr::repo
