// The "files" component's registration (source/registry.h).
#pragma once

#include "source/registry.h"

namespace dr::source {

SourceSpec<NoRestoreOptions> FilesSpec();

}  // namespace dr::source
