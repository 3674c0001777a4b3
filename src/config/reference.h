// The configuration reference, docs/configuration.md, rendered from the option
// table (options_table.h): every key with its type, default, accepted values,
// whether it is a secret, and its documentation. `ecap-dr config reference`
// prints it; a unit test fails when the committed file differs from it.
#pragma once

#include <string>

namespace dr::config {

// The reference as Markdown. Deterministic: the same table gives the same text.
std::string ConfigurationReferenceMarkdown();

}  // namespace dr::config
