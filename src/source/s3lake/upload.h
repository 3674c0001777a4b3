// Writing one object to S3 as its bytes arrive: a single PUT while it is
// small, a multipart upload in fixed-size parts once it passes the threshold,
// so memory stays at one part whatever the object's size. Nothing becomes
// visible until Finish; an unfinished multipart upload is aborted. Used by the
// data-lake restore and by the mirror.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "dr/io.h"
#include "net/s3/s3_client.h"
#include "source/s3lake/object_meta.h"

namespace dr::source {

struct UploadLimits {
  uint64_t multipart_threshold = 64u << 20;
  uint64_t part_size = 16u << 20;
};

// Uploads one object as it is restored: a single PUT when it is small, a
// multipart upload in part_size parts once it passes the threshold (so memory
// stays at one part). Nothing becomes visible until Finish.
class UploadSink : public ByteSink {
 public:
  // meta: the object's metadata and tags, sent with the PUT or the
  // CreateMultipartUpload; after a multipart upload the tags are set again by
  // PUT ?tagging (radosgw ignores them on CreateMultipartUpload).
  UploadSink(net::s3::S3Client& client, std::string key, const ObjectMeta& meta, UploadLimits limits)
      : client_(client), key_(std::move(key)), headers_(PutHeaders(meta)), tags_(meta.tags), limits_(limits) {}
  ~UploadSink() override { Abort(); }

  Status Write(std::string_view data) override {
    buffer_.append(data);
    if (upload_id_.empty() && buffer_.size() > limits_.multipart_threshold) DR_RETURN_IF_ERROR(Initiate());
    while (!upload_id_.empty() && buffer_.size() >= limits_.part_size) {
      DR_RETURN_IF_ERROR(UploadPart(std::string_view(buffer_).substr(0, limits_.part_size)));
      buffer_.erase(0, limits_.part_size);
    }
    return Status::Ok();
  }

  Status Finish() {
    if (upload_id_.empty()) {
      DR_ASSIGN_OR_RETURN(auto r, client_.Send("PUT", key_, {}, headers_, buffer_));
      if (r.status / 100 != 2) return client_.ErrorOf(r, "unable to write " + client_.Url(key_));
      return Status::Ok();
    }
    if (!buffer_.empty()) DR_RETURN_IF_ERROR(UploadPart(buffer_));
    std::string xml = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags_.size(); ++i) {
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags_[i] + "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    DR_ASSIGN_OR_RETURN(auto r, client_.Send("POST", key_, {{"uploadId", upload_id_}}, {}, xml));
    // S3 may answer 200 with an error document after a long completion.
    if (r.status / 100 != 2 || r.body.find("<Error>") != std::string::npos) {
      return client_.ErrorOf(r, "unable to complete the upload of " + client_.Url(key_));
    }
    upload_id_.clear();
    if (!tags_.empty()) return PutTags(client_, key_, tags_);
    return Status::Ok();
  }

  void Abort() {
    if (upload_id_.empty()) return;
    (void)client_.Send("DELETE", key_, {{"uploadId", upload_id_}}, {}, {});
    upload_id_.clear();
  }

 private:
  Status Initiate() {
    DR_ASSIGN_OR_RETURN(auto r, client_.Send("POST", key_, {{"uploads", ""}}, headers_, {}));
    if (r.status / 100 != 2) return client_.ErrorOf(r, "unable to start an upload of " + client_.Url(key_));
    pugi::xml_document doc;
    doc.load_buffer(r.body.data(), r.body.size());
    upload_id_ = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
    if (upload_id_.empty()) return Failed("no upload id for " + client_.Url(key_));
    return Status::Ok();
  }

  Status UploadPart(std::string_view part) {
    std::string number = std::to_string(etags_.size() + 1);
    DR_ASSIGN_OR_RETURN(auto r, client_.Send("PUT", key_, {{"partNumber", number}, {"uploadId", upload_id_}}, {}, part));
    if (r.status / 100 != 2) return client_.ErrorOf(r, "unable to upload part " + number + " of " + client_.Url(key_));
    etags_.push_back(r.headers["etag"]);
    return Status::Ok();
  }

  net::s3::S3Client& client_;
  std::string key_;
  std::map<std::string, std::string> headers_;
  std::map<std::string, std::string> tags_;
  UploadLimits limits_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<std::string> etags_;
};

}  // namespace dr::source
