// ItemWriter and ItemReader over a Repository: how sources' items become
// snapshot items and back. Internal to the backup layer.
#pragma once

#include "base/progress.h"
#include "dr/source.h"
#include "repo/item_list.h"
#include "repo/item_list_reader.h"
#include "repo/repository.h"

namespace dr::backup {

// Items go to the component's item list as they come (repo/item_list.h): the
// component ends with a list and counts, never with its items in memory. In a
// version-1 repository (not upgraded) they are kept for its format-1 manifest.
class RepoItemWriter : public ItemWriter {
 public:
  RepoItemWriter(repo::Repository& repo, repo::SnapshotComponent& component, Progress* progress)
      : repo_(repo), component_(component), progress_(progress), list_(repo) {}
  Status AddStream(ItemHeader header, ByteSource& data,
                   const std::function<void(nlohmann::json&)>& amend = {}) override;
  Status AddEntry(ItemHeader header) override;
  Status AddUnchanged(const repo::SnapshotItem& item) override;
  void SetComponentMeta(nlohmann::json meta) override { component_.meta = std::move(meta); }
  void ExpectBytes(uint64_t bytes) override {
    if (progress_ != nullptr) progress_->AddTotal(bytes);
  }
  std::stop_token stop_token() const override { return repo_.stop_token(); }
  uint64_t input_bytes() const { return input_bytes_; }
  // After the source's backup: writes what is pending and sets the
  // component's list, item_count and item_bytes.
  Status Finish();

 private:
  Status Add(const repo::SnapshotItem& item);
  repo::Repository& repo_;
  repo::SnapshotComponent& component_;
  Progress* progress_;
  repo::ItemListWriter list_;
  uint64_t input_bytes_ = 0;
};

// A component's item list read in order (SourceEnv::open_list): an
// incremental base, or what a restore walks. Given the component and backup,
// its errors name them as LoadItems' do (repo::ListError).
class RepoItemCursor : public ItemCursor {
 public:
  RepoItemCursor(repo::Repository& repo, repo::ItemList list, std::string component = "", std::string backup_id = "")
      : reader_(repo, std::move(list)), component_(std::move(component)), backup_id_(std::move(backup_id)) {}
  Result<const repo::SnapshotItem*> Next() override {
    auto next = reader_.Next();
    if (next.ok() || backup_id_.empty()) return next;
    return repo::ListError(next.status(), component_, backup_id_);
  }

 private:
  repo::ItemListReader reader_;
  std::string component_, backup_id_;
};

class RepoItemReader : public ItemReader {
 public:
  RepoItemReader(repo::Repository& repo, Progress* progress) : repo_(repo), progress_(progress) {}
  Status ReadItem(const repo::SnapshotItem& item, ByteSink& sink) override;
  // The items' blobs as one RestoreStream (FetchPlanner merges neighbours into
  // one request), cut back into items at their recorded sizes. A batch that
  // fails is read again item by item from the item it stopped at, so the error
  // names the item and blob as ReadItem's would (and a transient one is retried).
  Status ReadItems(const std::vector<const repo::SnapshotItem*>& items, ItemSinks& sinks) override;
  std::stop_token stop_token() const override { return repo_.stop_token(); }

 private:
  repo::Repository& repo_;
  Progress* progress_;
};

}  // namespace dr::backup
