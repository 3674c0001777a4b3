// A syntax check of YAML text by libyaml, the reference YAML parser, run before
// yaml-cpp builds the tree. yaml-cpp 0.7 accepts documents a conforming parser
// rejects: a quoted scalar left open swallows the rest of the file into one
// value when the quote is never closed, and of two equal keys in one mapping
// the last silently wins. This check rejects both, naming the line.
#pragma once

#include <string>
#include <vector>

namespace dr::config {

struct YamlSyntaxReport {
  // "name:line:column: invalid YAML: ..." when libyaml cannot parse the text;
  // empty otherwise. A syntax error ends the check: nothing after it is read.
  std::string syntax_error;
  // One "name:line:column: duplicate key 'k' (first at line n)" per repeated
  // key in a mapping, in file order.
  std::vector<std::string> duplicate_keys;
};

// Parses every document in text; never throws. `name` prefixes the messages.
YamlSyntaxReport CheckYamlSyntax(const std::string& text, const std::string& name);

}  // namespace dr::config
