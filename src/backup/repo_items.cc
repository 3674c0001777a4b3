#include "backup/repo_items.h"

namespace dr::backup {

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
  const repo::StreamResult& restored = *result;
  if (restored.size != item.size || (!item.sha256.empty() && restored.sha256 != item.sha256)) {
    return Corrupt("item '" + item.name + "' does not match its recorded SHA-256 after restore");
  }
  return Status::Ok();
}

}  // namespace dr::backup
