// The ecap-dr binary the integration tests run: $ECAP_DR_TEST_BINARY when set
// (scripts/test.sh points it at the AddressSanitizer build, so the suites run
// the sanitized binary without being compiled twice), else the one built
// beside the tests (ECAP_DR_BINARY, set by test/CMakeLists.txt).
#pragma once

#include <cstdlib>
#include <string>

#ifndef ECAP_DR_BINARY
#error "ECAP_DR_BINARY must be defined for tests that run the binary"
#endif

namespace dr::test {

inline std::string DrBinary() {
  const char* chosen = std::getenv("ECAP_DR_TEST_BINARY");
  return chosen != nullptr && *chosen != '\0' ? std::string(chosen) : std::string(ECAP_DR_BINARY);
}

}  // namespace dr::test
