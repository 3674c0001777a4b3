// The runbooks that ship with ecap-dr: runbooks/*.yaml of the source tree,
// compiled into the binary by CMake (the generated shipped_runbooks.cc), so
// an installed binary always has them and they always match its actions.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dr::runbook {

// (file name as "runbooks/NAME.yaml", YAML text), in file name order.
const std::vector<std::pair<std::string, std::string>>& ShippedRunbooks();

}  // namespace dr::runbook
