// A component's items as a source reads them: walked on restore
// (ForEachComponentItem), or looked up as an incremental base (BaseItems).
//
// BaseItems: the previous backup's items of a component, looked up by name as
// a source's walk meets them (files: the tree; s3: the listing), to take what
// did not change without reading it again. A format-2 base comes as a summary (its item list, no items) and is read
// through a cursor in the list's own order: the walk visits names in the order
// the previous walk wrote them, so each lookup moves the cursor forward and the
// base is never held whole. A base with its items in memory (format 1) is
// looked up by name. A list out of the walk's order (a backup whose roots were
// walked in another order) or one that cannot be read turns the lookup off:
// what comes after is read again, which is slower, never wrong.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dr/source.h"
#include "repo/snapshot/snapshot.h"

namespace dr::source {

using OpenList = std::function<std::unique_ptr<ItemCursor>(const repo::ItemList&)>;
// Whether name a comes before b in the walk's order.
using NameOrder = bool (*)(std::string_view a, std::string_view b);

// Calls fn for each of component's items, in its order: a walk of its item
// list through open_list (snapshot format 2), holding one batch of it at a time,
// or its items in memory (format 1, or loaded). An item passed to fn is valid
// during that call only.
Status ForEachComponentItem(const repo::SnapshotComponent& component, const OpenList& open_list,
                            const std::function<Status(const repo::SnapshotItem&)>& fn);

class BaseItems {
 public:
  // No base: every Find is null.
  BaseItems() = default;
  // `previous` (may be null) outlives this; open_list is used when it has a list.
  BaseItems(const repo::SnapshotComponent* previous, const OpenList& open_list, NameOrder order);
  // Another lookup over the same base, from its start (a second walk): a new
  // cursor, or the same map.
  BaseItems Again() const;

  // The base's item named `name`, or null; valid until the next Find. Names
  // are asked in the walk's order.
  const repo::SnapshotItem* Find(const std::string& name);
  // Why the ordered lookup stopped, when its list could not be read.
  const Status& error() const { return error_; }

 private:
  bool Advance();
  const repo::SnapshotItem* TurnOff(Status why);

  const repo::SnapshotComponent* previous_ = nullptr;
  OpenList open_list_;
  NameOrder order_ = nullptr;
  // Items in memory, by name (shared by Again()).
  std::shared_ptr<const std::unordered_map<std::string_view, const repo::SnapshotItem*>> by_name_;
  // A list, in order.
  std::unique_ptr<ItemCursor> cursor_;
  const repo::SnapshotItem* current_ = nullptr;
  bool started_ = false, asked_ = false, off_ = false;
  std::string last_;
  Status error_;
};

}  // namespace dr::source
