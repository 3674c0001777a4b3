// This machine's name, as runs, locks, backups and alerts record it.
#pragma once

#include <string>

namespace dr {

// gethostname(2); "localhost" when it fails.
std::string HostName();

}  // namespace dr
