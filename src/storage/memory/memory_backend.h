// An in-memory Backend for unit tests; held to the same conformance suite as the real ones.
#pragma once

#include <memory>

#include "dr/backend.h"

namespace dr::storage {

std::unique_ptr<Backend> NewMemoryBackend();

}  // namespace dr::storage
