// `backup show --json` for a backup of any size: writes exactly the text of
// BackupJson(snapshot, /*with_items=*/true).dump(2) (the public JSON type of
// backup_json.h), but item by item as a walk of the manifest hands them over,
// so memory is one item rather than every item of the backup (100,000 files
// held as one nlohmann::json took hundreds of MB).
//
// nlohmann::json keeps an object's keys sorted, so the document lists the
// components by name and, inside each, "item_details" before "items", "meta"
// and "size_bytes": the writer needs the items grouped by component in name
// order (Repository::WalkSnapshot with ItemOrder::kByComponentName), and
// everything else it prints comes from the summary given to Begin.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/status.h"
#include "repo/snapshot/snapshot.h"

namespace dr::ops {

// Steps through a summary's components in name order (repo::ComponentsByName)
// as items of one component after another arrive, calling `open` and `close`
// for every component passed, those without items included.
class ComponentCursor {
 public:
  explicit ComponentCursor(const repo::Snapshot& summary);
  // Moves on to component `component` (an index into summary.components).
  // Returns false for a component the output does not show (an earlier one of
  // two with the same name) or one already passed: its items are skipped.
  template <typename Open, typename Close>
  bool MoveTo(size_t component, Open&& open, Close&& close);
  // Passes every component that is left, and closes the last.
  template <typename Open, typename Close>
  void Finish(Open&& open, Close&& close);

  const std::vector<size_t>& order() const { return order_; }

 private:
  std::vector<size_t> order_;
  size_t next_ = 0;  // position in order_ of the next component to open
  bool open_ = false;
};

// Not thread-safe; `out` must outlive the writer. Call Begin once, then Item
// for each item in walk order, then Finish. Every method returns kFailed when
// `out` cannot be written or a value cannot be printed as JSON (a name that is
// not UTF-8); the output is incomplete after an error.
class BackupJsonWriter {
 public:
  explicit BackupJsonWriter(std::ostream& out) : out_(out) {}
  Status Begin(const repo::Snapshot& summary);
  Status Item(size_t component, const repo::SnapshotItem& item);
  // Closes the document and flushes it, with the newline `Print` ends it with.
  Status Finish();

 private:
  void Open(size_t component);
  void Close(size_t component);
  Status Written();

  std::ostream& out_;
  nlohmann::json doc_;  // the summary's BackupJson, without item_details
  std::vector<std::string> names_;  // component names, by index
  std::unique_ptr<ComponentCursor> cursor_;
  bool first_component_ = true;
  uint64_t items_in_component_ = 0;
};

template <typename Open, typename Close>
bool ComponentCursor::MoveTo(size_t component, Open&& open, Close&& close) {
  if (open_ && order_[next_ - 1] == component) return true;
  size_t at = next_;
  while (at < order_.size() && order_[at] != component) ++at;
  if (at == order_.size()) return false;
  for (; next_ <= at; ++next_) {
    if (open_) close(order_[next_ - 1]);
    open(order_[next_]);
    open_ = true;
  }
  return true;
}

template <typename Open, typename Close>
void ComponentCursor::Finish(Open&& open, Close&& close) {
  for (; next_ < order_.size(); ++next_) {
    if (open_) close(order_[next_ - 1]);
    open(order_[next_]);
    open_ = true;
  }
  if (open_) close(order_[next_ - 1]);
  open_ = false;
}

}  // namespace dr::ops
