#include "repo/snapshot/snapshot.h"

#include <algorithm>
#include <map>

#include "base/encoding.h"
#include "repo/format.h"

namespace dr::repo {

using nlohmann::json;

std::optional<BlobId> BlobId::FromHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto raw = HexDecode(hex);
  if (!raw) return std::nullopt;
  return FromRaw(*raw);
}

std::string BlobId::hex() const { return HexEncode(raw()); }

json ItemToJson(const SnapshotItem& item, bool with_blobs) {
  json j{{"name", item.name}, {"kind", item.kind}, {"size", item.size}, {"sha256", item.sha256}, {"meta", item.meta}};
  if (with_blobs) {
    json blobs = json::array();
    for (const auto& b : item.blobs) blobs.push_back(b.hex());
    j["blobs"] = std::move(blobs);
  } else {
    j["blob_count"] = item.blobs.size();
  }
  return j;
}

json Snapshot::ToJson(bool with_blobs) const {
  json components_json = json::array();
  bool lists = false;
  for (const auto& c : components) {
    json cj{{"name", c.name}, {"meta", c.meta}};
    if (c.list) {
      // Format 2: the items are in the list's blobs; the counts are kept here
      // so that a summary never reads them.
      lists = true;
      json blobs = json::array();
      for (const auto& b : c.list->blobs) blobs.push_back(b.hex());
      cj["item_count"] = c.item_count;
      cj["item_bytes"] = c.item_bytes;
      cj["item_list"] = {{"levels", c.list->levels}, {"blobs", std::move(blobs)}};
    } else {
      json items = json::array();
      for (const auto& item : c.items) items.push_back(ItemToJson(item, with_blobs));
      cj["items"] = std::move(items);
    }
    components_json.push_back(std::move(cj));
  }
  return json{{"format", lists ? kSnapshotFormat : 1},
              {"backup_id", backup_id},
              {"backup_type", backup_type},
              {"status", status},
              {"start_time", start_time},
              {"end_time", end_time},
              {"duration_seconds", duration_seconds},
              {"tags", tags},
              {"hostname", hostname},
              {"username", username},
              {"tool_version", tool_version},
              {"stats",
               {{"input_bytes", stats.input_bytes},
                {"new_bytes", stats.new_bytes},
                {"stored_bytes", stats.stored_bytes},
                {"blob_count", stats.blob_count},
                {"new_blob_count", stats.new_blob_count},
                {"metadata_bytes", stats.metadata_bytes}}},
              {"components", std::move(components_json)}};
}

Result<SnapshotItem> ItemFromJson(const json& ij) {
  try {
    SnapshotItem item;
    item.name = ij.at("name").get<std::string>();
    item.kind = ij.at("kind").get<std::string>();
    item.size = ij.value("size", 0ull);
    item.sha256 = ij.value("sha256", "");
    item.meta = ij.value("meta", json::object());
    for (const auto& b : ij.value("blobs", json::array())) {
      auto id = BlobId::FromHex(b.get<std::string>());
      if (!id) return Corrupt("snapshot item '" + item.name + "' lists a malformed blob id");
      item.blobs.push_back(*id);
    }
    return item;
  } catch (const json::exception& e) {
    return Corrupt(std::string("snapshot item is malformed: ") + e.what());
  }
}

namespace {
Result<ItemList> ItemListFromJson(const json& lj) {
  ItemList list;
  list.levels = lj.at("levels").get<int>();
  if (list.levels < 0 || list.levels > 16) return Corrupt("item list has " + std::to_string(list.levels) + " levels");
  for (const auto& b : lj.at("blobs")) {
    auto id = BlobId::FromHex(b.get<std::string>());
    if (!id) return Corrupt("item list names a malformed blob id");
    list.blobs.push_back(*id);
  }
  return list;
}
}  // namespace

Result<Snapshot> Snapshot::FromJson(const json& j) {
  try {
    Snapshot s;
    int format = j.value("format", 1);
    if (format > kSnapshotFormat) {
      return Status(Code::kFailed, "snapshot format " + std::to_string(format) +
                                       " is newer than this ecap-dr reads (" + std::to_string(kSnapshotFormat) +
                                       "); upgrade ecap-dr");
    }
    s.backup_id = j.at("backup_id").get<std::string>();
    s.backup_type = j.value("backup_type", "full");
    s.status = j.value("status", "completed");
    s.start_time = j.value("start_time", "");
    s.end_time = j.value("end_time", "");
    s.duration_seconds = j.value("duration_seconds", 0.0);
    s.tags = j.value("tags", std::vector<std::string>{});
    s.hostname = j.value("hostname", "");
    s.username = j.value("username", "");
    s.tool_version = j.value("tool_version", "");
    const json& st = j.at("stats");
    s.stats = {st.value("input_bytes", 0ull), st.value("new_bytes", 0ull), st.value("stored_bytes", 0ull),
               st.value("blob_count", 0ull), st.value("new_blob_count", 0ull), st.value("metadata_bytes", 0ull)};
    for (const auto& cj : j.at("components")) {
      SnapshotComponent c;
      c.name = cj.at("name").get<std::string>();
      c.meta = cj.value("meta", json::object());
      if (cj.contains("item_list")) {
        DR_ASSIGN_OR_RETURN(ItemList list, ItemListFromJson(cj.at("item_list")));
        c.list = std::move(list);
        c.item_count = cj.at("item_count").get<uint64_t>();
        c.item_bytes = cj.at("item_bytes").get<uint64_t>();
      }
      for (const auto& ij : cj.value("items", json::array())) {
        DR_ASSIGN_OR_RETURN(SnapshotItem item, ItemFromJson(ij));
        c.item_count++;
        c.item_bytes += item.size;
        c.items.push_back(std::move(item));
      }
      s.components.push_back(std::move(c));
    }
    return s;
  } catch (const json::exception& e) {
    return Corrupt(std::string("snapshot manifest is malformed: ") + e.what());
  }
}

namespace {

// Parses a manifest, handing every item to on_item (with the index of its
// component) and dropping it there: what comes back is the manifest without
// items. Depths in the callback: root object 0, "components" array 1, a
// component 2, its "items" array 3, an item 4.
json ParseDroppingItems(std::string_view text, const std::function<void(size_t, json&)>& on_item) {
  long component = -1;
  bool in_items = false;
  std::string last_key_at_3;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::key:
        if (depth == 3) last_key_at_3 = parsed.get<std::string>();
        break;
      case json::parse_event_t::object_start:
        if (depth == 2) ++component;
        break;
      case json::parse_event_t::array_start:
        if (depth == 3 && last_key_at_3 == "items") in_items = true;
        break;
      case json::parse_event_t::array_end:
        if (depth == 3) in_items = false;
        break;
      case json::parse_event_t::object_end:
        if (depth == 4 && in_items && component >= 0) {
          on_item(static_cast<size_t>(component), parsed);
          return false;
        }
        break;
      default:
        break;
    }
    return true;
  };
  return json::parse(text, cb, false);
}

}  // namespace

Result<Snapshot> ParseSnapshot(std::string_view text, bool with_items) {
  if (with_items) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return Corrupt("snapshot manifest is not valid JSON");
    return Snapshot::FromJson(j);
  }
  // Items are counted at their end and dropped there.
  std::vector<std::pair<uint64_t, uint64_t>> counts;  // per component: items, bytes
  json j = ParseDroppingItems(text, [&](size_t component, json& item) {
    if (counts.size() <= component) counts.resize(component + 1);
    counts[component].first++;
    counts[component].second += item.value("size", uint64_t{0});
  });
  if (j.is_discarded()) return Corrupt("snapshot manifest is not valid JSON");
  DR_ASSIGN_OR_RETURN(Snapshot snap, Snapshot::FromJson(j));
  for (size_t i = 0; i < snap.components.size() && i < counts.size(); ++i) {
    if (snap.components[i].list) continue;  // format 2: counted in the manifest
    snap.components[i].item_count = counts[i].first;
    snap.components[i].item_bytes = counts[i].second;
  }
  return snap;
}

Snapshot SummaryOf(const Snapshot& whole) {
  Snapshot summary = whole;
  for (auto& c : summary.components) {
    if (c.list) continue;  // counted when the list was written
    c.item_count = c.items.size();
    c.item_bytes = 0;
    for (const auto& item : c.items) c.item_bytes += item.size;
    c.items.clear();
  }
  return summary;
}

json SummaryToJson(const Snapshot& summary) {
  json j = summary.ToJson(/*with_blobs=*/false);
  for (size_t i = 0; i < summary.components.size(); ++i) {
    j["components"][i]["item_count"] = summary.components[i].item_count;
    j["components"][i]["item_bytes"] = summary.components[i].item_bytes;
  }
  return j;
}

Result<Snapshot> SummaryFromJson(const json& j) {
  DR_ASSIGN_OR_RETURN(Snapshot summary, Snapshot::FromJson(j));
  try {
    const json& components = j.at("components");
    for (size_t i = 0; i < summary.components.size(); ++i) {
      summary.components[i].items.clear();
      summary.components[i].item_count = components.at(i).at("item_count").get<uint64_t>();
      summary.components[i].item_bytes = components.at(i).at("item_bytes").get<uint64_t>();
    }
  } catch (const json::exception& e) {
    return Corrupt(std::string("snapshot summary is malformed: ") + e.what());
  }
  return summary;
}

namespace {

// SAX handler: every string inside a "blobs" array goes to fn as a blob id.
class BlobWalker : public json::json_sax_t {
 public:
  explicit BlobWalker(const std::function<void(const BlobId&)>& fn) : fn_(fn) {}
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool string(string_t& s) override {
    if (blobs_depth_ == 0 || depth_ != blobs_depth_) return true;
    auto id = BlobId::FromHex(s);
    if (!id) {
      bad_ = true;
      return false;
    }
    fn_(*id);
    return true;
  }
  bool start_object(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool key(string_t& k) override {
    blobs_key_ = k == "blobs";
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (blobs_key_) blobs_depth_ = depth_;
    blobs_key_ = false;
    return true;
  }
  bool end_array() override {
    if (depth_ == blobs_depth_) blobs_depth_ = 0;
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
  bool bad() const { return bad_; }

 private:
  const std::function<void(const BlobId&)>& fn_;
  int depth_ = 0;
  int blobs_depth_ = 0;  // depth of the "blobs" array being read; 0 none
  bool blobs_key_ = false;
  bool bad_ = false;
};

}  // namespace

Status ForEachSnapshotBlob(std::string_view text, const std::function<void(const BlobId&)>& fn) {
  BlobWalker walker(fn);
  bool ok = json::sax_parse(text.begin(), text.end(), &walker);
  if (walker.bad()) return Corrupt("snapshot manifest lists a malformed blob id");
  if (!ok) return Corrupt("snapshot manifest is not valid JSON");
  return Status::Ok();
}

Status ForEachSnapshotItem(std::string_view text, const std::function<Status(size_t, SnapshotItem&&)>& fn) {
  Status error;
  json j = ParseDroppingItems(text, [&](size_t component, json& parsed) {
    if (!error.ok()) return;
    auto item = ItemFromJson(parsed);
    error = item.ok() ? fn(component, std::move(item).value()) : item.status();
  });
  DR_RETURN_IF_ERROR(error);
  if (j.is_discarded()) return Corrupt("snapshot manifest is not valid JSON");
  return Status::Ok();
}

bool HasItemLists(const Snapshot& snapshot) {
  return std::any_of(snapshot.components.begin(), snapshot.components.end(), [](const auto& c) { return c.list; });
}

std::vector<size_t> ComponentsByName(const Snapshot& snapshot) {
  std::map<std::string_view, size_t> by_name;
  for (size_t i = 0; i < snapshot.components.size(); ++i) by_name[snapshot.components[i].name] = i;
  std::vector<size_t> order;
  order.reserve(by_name.size());
  for (const auto& [name, index] : by_name) order.push_back(index);
  return order;
}

Status ValidateBackupId(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 128 && id[0] != '.' && id[0] != '-';
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) ok = false;
  }
  if (!ok) {
    return InvalidArgument("invalid backup id '" + id +
                           "': use 1-128 letters, digits, '.', '_' or '-', not starting with '.' or '-'");
  }
  return Status::Ok();
}

}  // namespace dr::repo
