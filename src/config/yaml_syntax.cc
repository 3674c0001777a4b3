#include "config/yaml_syntax.h"

#include <yaml.h>

#include <map>
#include <memory>

namespace dr::config {
namespace {

std::string Where(const std::string& name, const yaml_mark_t& mark) {
  return name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// One open collection; in a mapping, nodes alternate key, value.
struct Frame {
  bool mapping = false;
  bool expect_key = true;
  std::map<std::string, size_t> keys;  // key -> its line (1-based)
};

}  // namespace

YamlSyntaxReport CheckYamlSyntax(const std::string& text, const std::string& name) {
  YamlSyntaxReport report;
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    report.syntax_error = name + ": invalid YAML: the parser could not start (out of memory)";
    return report;
  }
  std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> guard(&parser, yaml_parser_delete);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  std::vector<Frame> stack;
  // A complete node was read: in a mapping, the next node is the other half of the pair.
  auto node_done = [&] {
    if (!stack.empty() && stack.back().mapping) stack.back().expect_key = !stack.back().expect_key;
  };
  while (true) {
    yaml_event_t event;
    if (yaml_parser_parse(&parser, &event) == 0) {
      std::string problem = parser.problem != nullptr ? parser.problem : "unknown error";
      if (parser.context != nullptr) {
        // "while scanning a quoted scalar" points at the opening quote: the line to fix.
        report.syntax_error = Where(name, parser.context_mark) + ": invalid YAML: " + parser.context + ": " +
                              problem + " at line " + std::to_string(parser.problem_mark.line + 1);
      } else {
        report.syntax_error = Where(name, parser.problem_mark) + ": invalid YAML: " + problem;
      }
      return report;
    }
    std::unique_ptr<yaml_event_t, void (*)(yaml_event_t*)> event_guard(&event, yaml_event_delete);
    switch (event.type) {
      case YAML_STREAM_END_EVENT:
        return report;
      case YAML_MAPPING_START_EVENT:
      case YAML_SEQUENCE_START_EVENT:
        stack.push_back(Frame{.mapping = event.type == YAML_MAPPING_START_EVENT});
        break;
      case YAML_MAPPING_END_EVENT:
      case YAML_SEQUENCE_END_EVENT:
        if (!stack.empty()) stack.pop_back();
        node_done();
        break;
      case YAML_SCALAR_EVENT:
        if (!stack.empty() && stack.back().mapping && stack.back().expect_key) {
          std::string key(reinterpret_cast<const char*>(event.data.scalar.value), event.data.scalar.length);
          size_t line = event.start_mark.line + 1;
          auto [it, inserted] = stack.back().keys.emplace(key, line);
          if (!inserted && key != "<<") {
            report.duplicate_keys.push_back(Where(name, event.start_mark) + ": duplicate key '" + key +
                                            "' (first at line " + std::to_string(it->second) + ")");
          }
        }
        node_done();
        break;
      case YAML_ALIAS_EVENT:
        node_done();
        break;
      default:  // stream and document start/end
        break;
    }
  }
}

}  // namespace dr::config
