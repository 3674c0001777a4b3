#include "source/component_items.h"

namespace dr::source {

Status ForEachComponentItem(const repo::SnapshotComponent& component, const OpenList& open_list,
                            const std::function<Status(const repo::SnapshotItem&)>& fn) {
  if (!component.list || !open_list) {
    for (const auto& item : component.items) DR_RETURN_IF_ERROR(fn(item));
    return Status::Ok();
  }
  std::unique_ptr<ItemCursor> cursor = open_list(*component.list);
  while (true) {
    DR_ASSIGN_OR_RETURN(const repo::SnapshotItem* item, cursor->Next());
    if (item == nullptr) return Status::Ok();
    DR_RETURN_IF_ERROR(fn(*item));
  }
}

BaseItems::BaseItems(const repo::SnapshotComponent* previous, const OpenList& open_list, NameOrder order)
    : previous_(previous), open_list_(open_list), order_(order) {
  if (previous == nullptr) return;
  if (previous->list && open_list) {
    cursor_ = open_list(*previous->list);
    return;
  }
  auto by_name = std::make_shared<std::unordered_map<std::string_view, const repo::SnapshotItem*>>();
  for (const auto& item : previous->items) (*by_name)[item.name] = &item;
  by_name_ = std::move(by_name);
}

BaseItems BaseItems::Again() const {
  BaseItems again;
  again.previous_ = previous_;
  again.open_list_ = open_list_;
  again.order_ = order_;
  again.by_name_ = by_name_;
  if (cursor_) again.cursor_ = open_list_(*previous_->list);
  return again;
}

const repo::SnapshotItem* BaseItems::Find(const std::string& name) {
  if (by_name_) {
    auto it = by_name_->find(name);
    return it == by_name_->end() ? nullptr : it->second;
  }
  if (!cursor_ || off_) return nullptr;
  if (asked_ && !order_(last_, name)) return TurnOff(Status::Ok());
  asked_ = true;
  last_ = name;
  if (!started_) {
    started_ = true;
    if (!Advance()) return nullptr;
  }
  while (current_ != nullptr && order_(current_->name, name)) {
    std::string before = current_->name;
    if (!Advance()) return nullptr;
    if (current_ != nullptr && !order_(before, current_->name)) return TurnOff(Status::Ok());
  }
  return current_ != nullptr && current_->name == name ? current_ : nullptr;
}

bool BaseItems::Advance() {
  auto next = cursor_->Next();
  if (!next.ok()) {
    TurnOff(next.status());
    return false;
  }
  current_ = *next;
  return true;
}

const repo::SnapshotItem* BaseItems::TurnOff(Status why) {
  off_ = true;
  current_ = nullptr;
  if (error_.ok()) error_ = std::move(why);
  return nullptr;
}

}  // namespace dr::source
