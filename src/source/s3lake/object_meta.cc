#include "source/s3lake/object_meta.h"

#include <openssl/evp.h>

#include <sstream>

#include <pugixml.hpp>

#include "base/encoding.h"

namespace dr::source {

using nlohmann::json;

namespace {

// System headers a client sets on PUT and S3 returns on GET (content-type has its own field).
constexpr const char* kKeptHeaders[] = {
    "cache-control", "content-disposition",          "content-encoding",   "content-language",
    "expires",       "x-amz-website-redirect-location", "x-amz-storage-class",
};

constexpr std::string_view kUserPrefix = "x-amz-meta-";

std::map<std::string, std::string> StringMap(const json& meta, const char* field) {
  std::map<std::string, std::string> out;
  auto it = meta.find(field);
  if (it == meta.end() || !it->is_object()) return out;
  for (auto e = it->begin(); e != it->end(); ++e) {
    if (e.value().is_string()) out[e.key()] = e.value().get<std::string>();
  }
  return out;
}

}  // namespace

ObjectMeta MetaFromResponse(const std::map<std::string, std::string>& headers) {
  ObjectMeta meta;
  if (auto ct = headers.find("content-type"); ct != headers.end()) meta.content_type = ct->second;
  for (const char* name : kKeptHeaders) {
    if (auto h = headers.find(name); h != headers.end()) meta.headers[name] = h->second;
  }
  for (const auto& [name, value] : headers) {
    if (name.rfind(kUserPrefix, 0) == 0) meta.user[name.substr(kUserPrefix.size())] = value;
  }
  if (auto count = headers.find("x-amz-tagging-count"); count != headers.end()) {
    meta.tag_count = static_cast<size_t>(std::strtoull(count->second.c_str(), nullptr, 10));
  }
  return meta;
}

Status FetchTags(net::s3::S3Client& client, const std::string& key, ObjectMeta& meta) {
  if (meta.tag_count == 0) return Status::Ok();
  DR_ASSIGN_OR_RETURN(auto r, client.Send("GET", key, {{"tagging", ""}}, {}, {}));
  if (r.status / 100 != 2) return client.ErrorOf(r, "unable to read the tags of " + client.Url(key));
  pugi::xml_document doc;
  if (!doc.load_buffer(r.body.data(), r.body.size())) return Corrupt("unreadable tags of " + client.Url(key));
  for (auto tag : doc.child("Tagging").child("TagSet").children("Tag")) {
    meta.tags[tag.child_value("Key")] = tag.child_value("Value");
  }
  return Status::Ok();
}

void MetaToItem(const ObjectMeta& meta, json& item_meta) {
  if (!meta.content_type.empty()) item_meta["content_type"] = meta.content_type;
  item_meta["user_metadata"] = meta.user;
  item_meta["headers"] = meta.headers;
  item_meta["tags"] = meta.tags;
}

ObjectMeta MetaFromItem(const json& item_meta) {
  ObjectMeta meta;
  if (auto ct = item_meta.find("content_type"); ct != item_meta.end() && ct->is_string()) {
    meta.content_type = ct->get<std::string>();
  }
  meta.user = StringMap(item_meta, "user_metadata");
  // Only the headers this version knows how to put back, whatever a newer backup recorded.
  auto headers = StringMap(item_meta, "headers");
  for (const char* name : kKeptHeaders) {
    if (auto h = headers.find(name); h != headers.end()) meta.headers[name] = h->second;
  }
  meta.tags = StringMap(item_meta, "tags");
  return meta;
}

bool ItemHasFullMeta(const json& item_meta) { return item_meta.contains("headers"); }

std::map<std::string, std::string> PutHeaders(const ObjectMeta& meta) {
  std::map<std::string, std::string> out = meta.headers;
  if (!meta.content_type.empty()) out["content-type"] = meta.content_type;
  for (const auto& [name, value] : meta.user) out[std::string(kUserPrefix) + name] = value;
  std::string tagging;
  for (const auto& [key, value] : meta.tags) {
    tagging += (tagging.empty() ? "" : "&") + net::s3::UriEncode(key, false) + "=" +
               net::s3::UriEncode(value, false);
  }
  if (!tagging.empty()) out["x-amz-tagging"] = tagging;
  return out;
}

Status PutTags(net::s3::S3Client& client, const std::string& key, const std::map<std::string, std::string>& tags) {
  pugi::xml_document doc;
  auto set = doc.append_child("Tagging").append_child("TagSet");
  for (const auto& [k, v] : tags) {
    auto tag = set.append_child("Tag");
    tag.append_child("Key").text().set(k.c_str());
    tag.append_child("Value").text().set(v.c_str());
  }
  std::ostringstream xml;
  doc.save(xml, "", pugi::format_raw | pugi::format_no_declaration);
  std::string body = xml.str();
  // S3 requires Content-MD5 on PutObjectTagging.
  unsigned char md5[16];
  unsigned int len = 0;
  EVP_Digest(body.data(), body.size(), md5, &len, EVP_md5(), nullptr);
  DR_ASSIGN_OR_RETURN(auto r, client.Send("PUT", key, {{"tagging", ""}},
                                          {{"content-md5", Base64Encode({reinterpret_cast<char*>(md5), 16})},
                                           {"content-type", "application/xml"}},
                                          body));
  if (r.status / 100 != 2) return client.ErrorOf(r, "unable to set the tags of " + client.Url(key));
  return Status::Ok();
}

}  // namespace dr::source
