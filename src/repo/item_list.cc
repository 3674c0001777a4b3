#include "repo/item_list.h"

namespace dr::repo {

ItemListWriter::ItemListWriter(Repository& repo, size_t top_max) : repo_(repo), top_max_(top_max < 1 ? 1 : top_max) {}

Status ItemListWriter::Add(const SnapshotItem& item) {
  DR_RETURN_IF_ERROR(error_);
  std::string line = EncodeItemLine(item);
  items_ += line;
  ++count_;
  bytes_ += item.size;
  if (CutAfterItem(repo_.keys().chunker_seed, item.name, line.size(), items_.size())) error_ = CutItems();
  return error_;
}

Status ItemListWriter::CutItems() {
  std::string blob;
  blob.swap(items_);
  DR_ASSIGN_OR_RETURN(BlobId id, repo_.SaveMetadataBlob(std::move(blob)));
  return AddId(0, id);
}

Status ItemListWriter::AddId(size_t level, const BlobId& id) {
  if (levels_.size() <= level) levels_.resize(level + 1);
  levels_[level].ids.append(id.raw());
  size_t count = ++levels_[level].count;
  return CutAfterId(id, count) ? CutIds(level) : Status::Ok();
}

Status ItemListWriter::CutIds(size_t level) {
  std::string blob;
  blob.swap(levels_[level].ids);
  levels_[level].count = 0;
  DR_ASSIGN_OR_RETURN(BlobId id, repo_.SaveMetadataBlob(std::move(blob)));
  return AddId(level + 1, id);  // may grow levels_: no reference into it is held here
}

Result<ItemList> ItemListWriter::Finish() {
  DR_RETURN_IF_ERROR(error_);
  error_ = Status(Code::kFailed, "internal error: item list written after Finish");
  if (!items_.empty()) DR_RETURN_IF_ERROR(CutItems());
  // From the bottom up: what is pending at a level goes one level up, until the
  // highest level is few enough ids to name in the snapshot.
  for (size_t level = 0; level < levels_.size(); ++level) {
    bool highest = level + 1 == levels_.size();
    if (highest && levels_[level].count <= top_max_) {
      return ItemList{static_cast<int>(level), SplitIds(levels_[level].ids)};
    }
    if (levels_[level].count > 0) DR_RETURN_IF_ERROR(CutIds(level));
  }
  return ItemList{};  // no items
}

}  // namespace dr::repo
