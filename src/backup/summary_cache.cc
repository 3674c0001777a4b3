#include "backup/summary_cache.h"

namespace dr::backup {

std::string RepositoryKey(const repo::Repository& repository) {
  return repository.config().id.empty() ? repository.location() : repository.config().id;
}

Result<SummaryCache::Entries> MemorySummaryCache::Load(const std::string& repository) {
  std::lock_guard lock(mu_);
  auto it = repositories_.find(repository);
  return it == repositories_.end() ? Entries{} : it->second;
}

Status MemorySummaryCache::Put(const std::string& repository, const Entries& entries) {
  std::lock_guard lock(mu_);
  Entries& kept = repositories_[repository];
  for (const auto& [id, entry] : entries) kept[id] = entry;
  return Status::Ok();
}

Status MemorySummaryCache::Remove(const std::string& repository, const std::vector<std::string>& backup_ids) {
  std::lock_guard lock(mu_);
  auto it = repositories_.find(repository);
  if (it == repositories_.end()) return Status::Ok();
  for (const auto& id : backup_ids) it->second.erase(id);
  return Status::Ok();
}

}  // namespace dr::backup
