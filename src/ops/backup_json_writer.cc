#include "ops/backup_json_writer.h"

#include "ops/backup_json.h"

namespace dr::ops {

using nlohmann::json;

namespace {

// `v` as dump(2) prints it nested `indent` spaces deep: every line after the
// first moves right. A newline inside a string is printed as "\n", so every
// raw newline in the dump is one of the layout's.
std::string Nested(const json& v, size_t indent) {
  std::string text = v.dump(2);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out.push_back(c);
    if (c == '\n') out.append(indent, ' ');
  }
  return out;
}

// One `"key": value` line of an object whose members sit `indent` spaces deep.
std::string Member(const std::string& key, const json& value, size_t indent) {
  return std::string(indent, ' ') + json(key).dump() + ": " + Nested(value, indent);
}

// Depths of the document, as dump(2) indents them.
constexpr size_t kTop = 2;         // the backup's members
constexpr size_t kComponent = 4;   // "files": {
constexpr size_t kComponentMember = 6;
constexpr size_t kItem = 8;        // each entry of item_details

}  // namespace

ComponentCursor::ComponentCursor(const repo::Snapshot& summary) : order_(repo::ComponentsByName(summary)) {}

Status BackupJsonWriter::Written() {
  if (!out_) return Failed("unable to write the backup to standard output");
  return Status::Ok();
}

Status BackupJsonWriter::Begin(const repo::Snapshot& summary) {
  try {
    doc_ = BackupJson(summary, /*with_items=*/false);
    for (const auto& c : summary.components) names_.push_back(c.name);
    cursor_ = std::make_unique<ComponentCursor>(summary);
    out_ << "{\n";
    for (const auto& [key, value] : doc_.items()) {
      if (key == "components") {
        // Printed as the walk goes; the members after it at Finish.
        out_ << std::string(kTop, ' ') << "\"components\": " << (cursor_->order().empty() ? "{}" : "{\n");
        break;
      }
      out_ << Member(key, value, kTop) << ",\n";
    }
  } catch (const json::exception& e) {
    return Failed(std::string("unable to print the backup as JSON: ") + e.what());
  }
  return Written();
}

void BackupJsonWriter::Open(size_t component) {
  if (!first_component_) out_ << ",\n";
  first_component_ = false;
  out_ << std::string(kComponent, ' ') << json(names_[component]).dump() << ": {\n"
       << std::string(kComponentMember, ' ') << "\"item_details\": ";
  items_in_component_ = 0;
}

void BackupJsonWriter::Close(size_t component) {
  out_ << (items_in_component_ == 0 ? "[]" : "\n" + std::string(kComponentMember, ' ') + "]");
  for (const auto& [key, value] : doc_["components"][names_[component]].items()) {
    out_ << ",\n" << Member(key, value, kComponentMember);
  }
  out_ << "\n" << std::string(kComponent, ' ') << "}";
}

Status BackupJsonWriter::Item(size_t component, const repo::SnapshotItem& item) {
  try {
    bool shown = cursor_->MoveTo(
        component, [&](size_t c) { Open(c); }, [&](size_t c) { Close(c); });
    if (!shown) return Status::Ok();
    out_ << (items_in_component_++ == 0 ? "[\n" : ",\n") << std::string(kItem, ' ') << Nested(ItemJson(item), kItem);
  } catch (const json::exception& e) {
    return Failed("unable to print item '" + item.name + "' as JSON: " + e.what());
  }
  return Written();
}

Status BackupJsonWriter::Finish() {
  try {
    cursor_->Finish([&](size_t c) { Open(c); }, [&](size_t c) { Close(c); });
    if (!cursor_->order().empty()) out_ << "\n" << std::string(kTop, ' ') << "}";
    bool after = false;
    for (const auto& [key, value] : doc_.items()) {
      if (after) out_ << ",\n" << Member(key, value, kTop);
      if (key == "components") after = true;
    }
    out_ << "\n}" << std::endl;
  } catch (const json::exception& e) {
    return Failed(std::string("unable to print the backup as JSON: ") + e.what());
  }
  return Written();
}

}  // namespace dr::ops
