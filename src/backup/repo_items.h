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

// An incremental base's item list, read in order (SourceEnv::open_list).
class RepoItemCursor : public ItemCursor {
 public:
  RepoItemCursor(repo::Repository& repo, repo::ItemList list) : reader_(repo, std::move(list)) {}
  Result<const repo::SnapshotItem*> Next() override { return reader_.Next(); }

 private:
  repo::ItemListReader reader_;
};

class RepoItemReader : public ItemReader {
 public:
  RepoItemReader(repo::Repository& repo, Progress* progress) : repo_(repo), progress_(progress) {}
  Status ReadItem(const repo::SnapshotItem& item, ByteSink& sink) override;
  std::stop_token stop_token() const override { return repo_.stop_token(); }

 private:
  repo::Repository& repo_;
  Progress* progress_;
};

}  // namespace dr::backup
