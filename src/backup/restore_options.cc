#include "backup/restore_options.h"

#include <algorithm>

#include "backup/source_list.h"

namespace dr::backup {

namespace {

struct OptionUse {
  std::string option;
  std::vector<std::function<bool(const RestoreRequest&)>> given;  // one per source that has it
  std::vector<RestoreMode> applies_to;
};

// Every source's restore options, merged by flag (--target is the files' and
// postgresql's), in registration order. An option is "given" when its value
// differs from the request's default.
const std::vector<OptionUse>& Table() {
  static const std::vector<OptionUse> kTable = [] {
    std::vector<OptionUse> table;
    for (const auto& source : Sources()) {
      for (const auto& o : source.options) {
        auto it = std::find_if(table.begin(), table.end(), [&](const OptionUse& u) { return u.option == o.flag; });
        if (it == table.end()) it = table.insert(table.end(), OptionUse{o.flag, {}, {}});
        it->given.push_back(o.given);
        it->applies_to.insert(it->applies_to.end(), o.modes.begin(), o.modes.end());
      }
    }
    return table;
  }();
  return kTable;
}

}  // namespace

std::string DescribeMode(const RestoreMode& mode) {
  for (const auto& source : Sources()) {
    for (const auto& m : source.modes) {
      if (m.id == mode) return m.description;
    }
  }
  return "component '?'";
}

RestoreMode ModeFor(const repo::SnapshotComponent& component, const RestoreRequest& request) {
  const SourceEntry* source = FindSource(component.name);
  return source == nullptr ? "" : source->mode_for(component, request);
}

Status CheckRestoreOptions(const RestoreRequest& request, const std::vector<RestoreMode>& modes) {
  for (const auto& use : Table()) {
    bool given = std::any_of(use.given.begin(), use.given.end(), [&](const auto& g) { return g(request); });
    if (!given) continue;
    bool applies = std::any_of(modes.begin(), modes.end(), [&](const RestoreMode& m) {
      return std::find(use.applies_to.begin(), use.applies_to.end(), m) != use.applies_to.end();
    });
    if (applies) continue;
    std::string what;
    for (const RestoreMode& m : modes) what += (what.empty() ? "" : ", ") + DescribeMode(m);
    std::string where;
    for (const RestoreMode& m : use.applies_to) where += (where.empty() ? "" : "; ") + DescribeMode(m);
    return InvalidArgument("option " + use.option + " does not apply to " + what + "; it applies to " + where);
  }
  return Status::Ok();
}

}  // namespace dr::backup
