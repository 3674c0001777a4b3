// Helpers for the data-lake tests against radosgw (lake_test.cc,
// lake_restore_fault_test.cc): buckets, objects written as a client would
// (bytes, headers, tags), and checks of what a restore left in a bucket.
#pragma once

#include <openssl/evp.h>

#include <map>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "base/encoding.h"
#include "net/s3/s3_client.h"
#include "test/support/rgw_server.h"
#include "test/support/test_support.h"

namespace dr::test {

extern RgwServer* g_rgw;  // started by s3_test.cc's environment

inline net::s3::S3Options Lake(const std::string& bucket) {
  return {.endpoint = g_rgw->endpoint(), .region = "us-east-1", .bucket = bucket, .path_style = true,
          .credentials = {RgwServer::kAccessKey, RgwServer::kSecretKey, ""}, .max_retries = 2};
}

inline std::string Unique(const std::string& stem) {
  static int n = 0;
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

inline void MakeBucket(const std::string& bucket) {
  net::s3::S3Client c(Lake(bucket));
  auto r = c.Send("PUT", "", {}, {}, {});
  ASSERT_TRUE(r.ok() && r->status == 200) << bucket << ": " << (r.ok() ? r->body : r.status().ToString());
}

inline std::string Md5Base64(std::string_view data) {
  unsigned char out[16];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr);
  return Base64Encode({reinterpret_cast<const char*>(out), 16});
}

// A policy on the bucket that denies `action` on `resource` (a key or "*") to everyone, the owner too.
inline void Deny(const std::string& bucket, const std::string& action, const std::string& resource) {
  std::string policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",)"
                       R"("Action":[")" + action + R"("],"Resource":["arn:aws:s3:::)" + bucket + "/" + resource +
                       R"("]}]})";
  net::s3::S3Client c(Lake(bucket));
  auto r = c.Send("PUT", "", {{"policy", ""}}, {{"content-md5", Md5Base64(policy)}}, policy);
  ASSERT_TRUE(r.ok() && r->status / 100 == 2) << (r.ok() ? r->body : r.status().ToString());
}

// A bucket that refuses every write.
inline void MakeReadOnlyBucket(const std::string& bucket) {
  MakeBucket(bucket);
  Deny(bucket, "s3:PutObject", "*");
}

// An object as a client wrote it: bytes, request headers, tags.
struct LakeObject {
  std::string key;
  std::string data;
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> tags;
};

inline std::string Tagging(const std::map<std::string, std::string>& tags) {
  std::string out;
  for (const auto& [k, v] : tags) {
    out += (out.empty() ? "" : "&") + net::s3::UriEncode(k, false) + "=" + net::s3::UriEncode(v, false);
  }
  return out;
}

inline void Put(net::s3::S3Client& c, const LakeObject& o) {
  auto headers = o.headers;
  if (!o.tags.empty()) headers["x-amz-tagging"] = Tagging(o.tags);
  auto r = c.Send("PUT", o.key, {}, headers, o.data);
  ASSERT_TRUE(r.ok() && r->status == 200) << o.key << ": " << (r.ok() ? r->body : r.status().ToString());
}

inline std::map<std::string, std::string> Tags(net::s3::S3Client& c, const std::string& key) {
  std::map<std::string, std::string> out;
  auto r = c.Send("GET", key, {{"tagging", ""}}, {}, {});
  EXPECT_TRUE(r.ok() && r->status == 200) << key;
  if (!r.ok()) return out;
  pugi::xml_document doc;
  doc.load_buffer(r->body.data(), r->body.size());
  for (auto t : doc.child("Tagging").child("TagSet").children("Tag")) out[t.child_value("Key")] = t.child_value("Value");
  return out;
}

// The object at `key` in c's bucket is exactly `o`: bytes, every header the client set, tags.
inline void ExpectRestored(net::s3::S3Client& c, const LakeObject& o) {
  auto got = c.Send("GET", o.key, {}, {}, {});
  ASSERT_TRUE(got.ok() && got->status == 200) << o.key << " is missing";
  EXPECT_EQ(got->body.size(), o.data.size()) << o.key;
  EXPECT_TRUE(got->body == o.data) << o.key << ": restored bytes differ";
  for (const auto& [name, value] : o.headers) EXPECT_EQ(got->headers[name], value) << o.key << ": " << name;
  EXPECT_EQ(Tags(c, o.key), o.tags) << o.key;
}

inline std::vector<std::string> Keys(net::s3::S3Client& c) {
  std::vector<std::string> keys;
  EXPECT_OK(c.ListObjects("", [&](const net::s3::ListedObject& o) {
    keys.push_back(o.key);
    return Status::Ok();
  }));
  return keys;
}

// Multipart uploads started and neither completed nor aborted.
inline int PendingUploads(net::s3::S3Client& c) {
  auto r = c.Send("GET", "", {{"uploads", ""}}, {}, {});
  EXPECT_TRUE(r.ok() && r->status == 200);
  if (!r.ok()) return -1;
  pugi::xml_document doc;
  doc.load_buffer(r->body.data(), r->body.size());
  int n = 0;
  for ([[maybe_unused]] auto u : doc.child("ListMultipartUploadsResult").children("Upload")) n++;
  return n;
}

inline std::map<std::string, std::string> RichHeaders(const std::string& type) {
  return {{"content-type", type},
          {"content-encoding", "gzip"},
          {"cache-control", "public, max-age=3600"},
          {"content-disposition", "attachment; filename=\"report.csv.gz\""},
          {"content-language", "de-CH"},
          {"expires", "Mon, 21 Oct 2030 07:28:00 GMT"},
          {"x-amz-website-redirect-location", "/reports/latest"},
          {"x-amz-meta-source", "etl"}};
}

inline std::string LakeConfig(const std::string& repo, const std::string& key_file, const std::string& bucket) {
  return "backup_manager:\n  backup_dir: \"" + repo + "\"\nencryption:\n  auto_generate_key: true\n  key_file: \"" +
         key_file + "\"\ns3:\n  endpoint: " + g_rgw->endpoint() +
         "\n  region: us-east-1\n  force_path_style: true\n  access_key_id: TESTKEY\n"
         "  secret_access_key: TESTSECRET\n  buckets: [\"" + bucket + "\"]\n";
}

}  // namespace dr::test
