#include "ops/backup_json.h"

namespace dr::ops {

using nlohmann::json;

json ItemJson(const repo::SnapshotItem& i) {
  return {{"name", i.name},     {"kind", i.kind},
          {"size", i.size},     {"sha256", i.sha256},
          {"blob_count", i.blobs.size()}, {"meta", i.meta}};
}

json BackupJson(const repo::Snapshot& s, bool with_items) {
  json comps = json::object();
  for (const auto& c : s.components) {
    json comp{{"items", c.item_count}, {"size_bytes", c.item_bytes}, {"meta", c.meta}};
    if (with_items) {
      json items = json::array();
      for (const auto& i : c.items) items.push_back(ItemJson(i));
      comp["item_details"] = std::move(items);
    }
    comps[c.name] = std::move(comp);
  }
  return json{{"backup_id", s.backup_id},
              {"backup_type", s.backup_type},
              {"status", s.status},
              {"start_time", s.start_time},
              {"end_time", s.end_time},
              {"duration_seconds", s.duration_seconds},
              {"tags", s.tags},
              {"hostname", s.hostname},
              {"username", s.username},
              {"tool_version", s.tool_version},
              {"size_bytes", s.stats.input_bytes},
              {"new_bytes", s.stats.new_bytes},
              {"stored_bytes", s.stats.stored_bytes},
              {"blob_count", s.stats.blob_count},
              {"new_blob_count", s.stats.new_blob_count},
              {"metadata_bytes", s.stats.metadata_bytes},
              {"components", std::move(comps)}};
}

}  // namespace dr::ops
