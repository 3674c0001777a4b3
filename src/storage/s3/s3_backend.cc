#include "storage/s3/s3_backend.h"

#include <charconv>

#include "base/time_util.h"
#include "storage/layout.h"

namespace dr::storage {
namespace {

class S3Backend : public Backend {
 public:
  explicit S3Backend(S3BackendOptions options) : options_(std::move(options)), client_(options_.s3) {
    if (!options_.prefix.empty() && options_.prefix.back() != '/') options_.prefix += '/';
  }

  BackendProperties Properties() const override {
    return {.location = "s3://" + options_.s3.bucket + "/" + options_.prefix, .max_connections = 16};
  }

  Status Put(const ObjectName& name, std::string_view data, const PutOptions& put) override {
    DR_RETURN_IF_ERROR(ValidateObjectId(name));
    std::map<std::string, std::string> headers{{"content-type", "application/octet-stream"}};
    if (!put.overwrite) headers["if-none-match"] = "*";
    DR_ASSIGN_OR_RETURN(auto r, client_.Send("PUT", Key(name), {}, headers, data));
    if (r.status == 412) return AlreadyExists(name.ToString() + " already exists in " + Properties().location);
    if (r.status / 100 != 2) return client_.ErrorOf(r, "unable to write " + name.ToString() + " to " + Url(name));
    return Status::Ok();
  }

  Result<std::string> Get(const ObjectName& name, ByteRange range) override {
    DR_RETURN_IF_ERROR(ValidateObjectId(name));
    std::map<std::string, std::string> headers;
    bool ranged = range.offset > 0 || range.length != ByteRange::kToEnd;
    if (ranged && range.length == 0) {
      // S3 cannot express an empty range; the object must still reach the offset.
      DR_ASSIGN_OR_RETURN(ObjectInfo info, Stat(name));
      if (info.size < range.offset) return ShortObject(name, info.size, range);
      return std::string();
    }
    if (ranged) {
      std::string end = range.length == ByteRange::kToEnd ? "" : std::to_string(range.offset + range.length - 1);
      headers["range"] = "bytes=" + std::to_string(range.offset) + "-" + end;
    }
    DR_ASSIGN_OR_RETURN(auto r, client_.Send("GET", Key(name), {}, headers, {}));
    if (r.status == 404) return NotFound(name.ToString() + " not found in " + Properties().location);
    if (r.status == 416) {
      DR_ASSIGN_OR_RETURN(ObjectInfo info, Stat(name));
      return ShortObject(name, info.size, range);
    }
    if (r.status / 100 != 2) return client_.ErrorOf(r, "unable to read " + name.ToString() + " from " + Url(name));
    if (range.length != ByteRange::kToEnd && r.body.size() != range.length) {
      DR_ASSIGN_OR_RETURN(ObjectInfo info, Stat(name));
      return ShortObject(name, info.size, range);
    }
    return std::move(r.body);
  }

  Result<ObjectInfo> Stat(const ObjectName& name) override {
    DR_RETURN_IF_ERROR(ValidateObjectId(name));
    DR_ASSIGN_OR_RETURN(auto r, client_.Send("HEAD", Key(name), {}, {}, {}));
    if (r.status == 404) return NotFound(name.ToString() + " not found in " + Properties().location);
    if (r.status / 100 != 2) return client_.ErrorOf(r, "unable to stat " + name.ToString() + " at " + Url(name));
    // Parsed without std::stoull: a malformed answer is an error, not an exception.
    const std::string& length = r.headers["content-length"];
    uint64_t size = 0;
    auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), size);
    if (!length.empty() && (ec != std::errc() || end != length.data() + length.size())) {
      return Corrupt("HEAD " + Url(name) + " answered a Content-Length that is not a number: '" + length + "'");
    }
    return ObjectInfo{name, size};
  }

  Status List(ObjectKind kind, const std::function<Status(const ObjectInfo&)>& visit) override {
    if (kind == ObjectKind::kConfig) {
      auto info = Stat({kind, "config"});
      if (info.ok()) return visit(*info);
      return info.status().code() == Code::kNotFound ? Status::Ok() : info.status();
    }
    std::string prefix = options_.prefix + KindDir(kind) + "/";
    return client_.ListObjects(prefix, [&](const net::s3::ListedObject& o) -> Status {
      ObjectName name{kind, o.key.substr(o.key.rfind('/') + 1)};
      if (!ValidateObjectId(name).ok() || o.key != Key(name)) return Status::Ok();  // not ours
      return visit(ObjectInfo{name, o.size, ParseUtc(o.last_modified)});
    });
  }

  Status Remove(const ObjectName& name) override {
    // S3 deletes a missing key without complaint; the contract wants kNotFound.
    DR_RETURN_IF_ERROR(Stat(name).status());
    DR_ASSIGN_OR_RETURN(auto r, client_.Send("DELETE", Key(name), {}, {}, {}));
    if (r.status / 100 != 2) return client_.ErrorOf(r, "unable to delete " + name.ToString() + " at " + Url(name));
    return Status::Ok();
  }

  Status CheckBucket() {
    // A listing of nothing rather than HEAD: an error then comes with S3's code
    // (SignatureDoesNotMatch, NoSuchBucket, RequestTimeTooSkewed) to name.
    DR_ASSIGN_OR_RETURN(auto r, client_.Send("GET", "", {{"list-type", "2"}, {"max-keys", "0"}}, {}, {}));
    if (r.status == 404) {
      return NotFound("bucket '" + options_.s3.bucket + "' does not exist at " + options_.s3.endpoint);
    }
    if (r.status / 100 != 2) return client_.ErrorOf(r, "unable to reach bucket '" + options_.s3.bucket + "'");
    return Status::Ok();
  }

 private:
  std::string Key(const ObjectName& name) const { return options_.prefix + ObjectPath(name); }
  std::string Url(const ObjectName& name) const { return client_.Url(Key(name)); }
  Status ShortObject(const ObjectName& name, uint64_t size, ByteRange range) const {
    return Corrupt(name.ToString() + " in " + Properties().location + " is " + std::to_string(size) +
                   " bytes, shorter than the range " + std::to_string(range.offset) + "+" + std::to_string(range.length));
  }

  S3BackendOptions options_;
  net::s3::S3Client client_;
};

}  // namespace

Result<std::unique_ptr<Backend>> NewS3Backend(const S3BackendOptions& options) {
  if (options.s3.bucket.empty()) return ConfigError("no S3 bucket configured (repository.bucket)");
  auto backend = std::make_unique<S3Backend>(options);
  DR_RETURN_IF_ERROR(backend->CheckBucket());
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace dr::storage
