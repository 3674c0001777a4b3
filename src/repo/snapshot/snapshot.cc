#include "repo/snapshot/snapshot.h"

#include "base/encoding.h"

namespace dr::repo {

using nlohmann::json;

std::optional<BlobId> BlobId::FromHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto raw = HexDecode(hex);
  if (!raw) return std::nullopt;
  return FromRaw(*raw);
}

std::string BlobId::hex() const { return HexEncode(raw()); }

json Snapshot::ToJson(bool with_blobs) const {
  json components_json = json::array();
  for (const auto& c : components) {
    json items = json::array();
    for (const auto& item : c.items) {
      json j{{"name", item.name}, {"kind", item.kind}, {"size", item.size}, {"sha256", item.sha256}, {"meta", item.meta}};
      if (with_blobs) {
        json blobs = json::array();
        for (const auto& b : item.blobs) blobs.push_back(b.hex());
        j["blobs"] = std::move(blobs);
      } else {
        j["blob_count"] = item.blobs.size();
      }
      items.push_back(std::move(j));
    }
    components_json.push_back({{"name", c.name}, {"meta", c.meta}, {"items", std::move(items)}});
  }
  return json{{"format", 1},
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
                {"new_blob_count", stats.new_blob_count}}},
              {"components", std::move(components_json)}};
}

Result<Snapshot> Snapshot::FromJson(const json& j) {
  try {
    Snapshot s;
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
               st.value("blob_count", 0ull), st.value("new_blob_count", 0ull)};
    for (const auto& cj : j.at("components")) {
      SnapshotComponent c;
      c.name = cj.at("name").get<std::string>();
      c.meta = cj.value("meta", json::object());
      for (const auto& ij : cj.at("items")) {
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
        c.items.push_back(std::move(item));
      }
      s.components.push_back(std::move(c));
    }
    return s;
  } catch (const json::exception& e) {
    return Corrupt(std::string("snapshot manifest is malformed: ") + e.what());
  }
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
