// What of an S3 object, besides its bytes, the data lake's backup keeps and its
// restore and the mirror put back: everything a client sets when it writes an
// object and S3 returns when it is read. That is the content type, the other
// system headers a browser or HTTP client acts on (Content-Encoding,
// Cache-Control, Content-Disposition, Content-Language, Expires), the website
// redirect and storage class, the user metadata (x-amz-meta-*) and the tags.
//
// Not kept, on purpose: server-side encryption settings (a KMS key of the
// source region rarely exists at the target; the target bucket's default
// applies), object-lock retention and legal holds (they would make restored
// copies undeletable), ACLs (most buckets have them disabled).
//
// In a snapshot item (meta of kind "s3_object"):
//   "content_type": "text/csv", "user_metadata": {"source": "etl"}   (since the first version)
//   "headers": {"cache-control": "max-age=60", ...}, "tags": {"team": "data"}   (newer backups)
// An item without "headers" comes from an older backup: it restores with its
// content type and user metadata only.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "dr/result.h"
#include "net/s3/s3_client.h"

namespace dr::source {

struct ObjectMeta {
  std::string content_type;                   // empty: not known
  std::map<std::string, std::string> headers;  // the kept system headers, lowercase names, except content-type
  std::map<std::string, std::string> user;     // x-amz-meta-<name> without the prefix
  std::map<std::string, std::string> tags;
  size_t tag_count = 0;  // x-amz-tagging-count of the response: tags to fetch with GET ?tagging
};

// From the headers of a GET or HEAD response (lowercase names). Tags are not
// in a response: fetch them with FetchTags when tag_count > 0.
ObjectMeta MetaFromResponse(const std::map<std::string, std::string>& headers);

// GET key?tagging into meta.tags; does nothing (no request) when meta.tag_count is 0.
// Errors name the object.
Status FetchTags(net::s3::S3Client& client, const std::string& key, ObjectMeta& meta);

// Writes meta into a snapshot item's meta (the fields above).
void MetaToItem(const ObjectMeta& meta, nlohmann::json& item_meta);
// Reads it back; fields an older backup lacks stay empty, values of the wrong
// type are skipped (never an exception).
ObjectMeta MetaFromItem(const nlohmann::json& item_meta);
// Whether the item was written by a backup that keeps everything above.
bool ItemHasFullMeta(const nlohmann::json& item_meta);

// The request headers that give a new object this metadata: for a PUT or a
// CreateMultipartUpload (tags as x-amz-tagging, URL-encoded).
std::map<std::string, std::string> PutHeaders(const ObjectMeta& meta);

// PUT key?tagging: sets an existing object's tags. Needed after a multipart
// upload, because radosgw ignores x-amz-tagging on CreateMultipartUpload
// (AWS honours it). Errors name the object.
Status PutTags(net::s3::S3Client& client, const std::string& key, const std::map<std::string, std::string>& tags);

}  // namespace dr::source
