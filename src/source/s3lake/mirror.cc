#include "source/s3lake/mirror.h"

#include <fstream>
#include <future>
#include <map>


#include "base/fs.h"
#include "base/thread_pool.h"
#include "base/time_util.h"
#include "source/s3lake/object_meta.h"
#include "source/s3lake/upload.h"

namespace dr::source {

using nlohmann::json;

json MirrorResult::ToJson() const {
  return json{{"source_objects", source_objects}, {"copied", copied},       {"bytes_copied", bytes_copied},
              {"deleted", deleted},               {"unchanged", unchanged}, {"lag_seconds_before", lag_seconds_before},
              {"lag_seconds", lag_seconds},       {"requests", requests}};
}

namespace {

struct Entry {
  uint64_t size = 0;
  std::string etag;
  std::string last_modified;
};

Result<std::map<std::string, Entry>> List(net::s3::S3Client& client, const std::string& prefix) {
  std::map<std::string, Entry> out;
  DR_RETURN_IF_ERROR(client.ListObjects(prefix, [&](const net::s3::ListedObject& o) {
    out[o.key] = {o.size, o.etag, o.last_modified};
    return Status::Ok();
  }));
  return out;
}

// "2026-11-26T10:41:00.000Z" -> time point.
std::optional<std::chrono::system_clock::time_point> S3Time(const std::string& t) {
  if (auto parsed = ParseUtc(t)) return parsed;
  return ParseUtc(t.substr(0, 19) + "Z");
}

// The state file: one line per mirrored object, "source-etag size key".
std::map<std::string, std::pair<std::string, uint64_t>> LoadState(const std::string& path) {
  std::map<std::string, std::pair<std::string, uint64_t>> state;
  std::ifstream in(path);
  std::string etag, key;
  uint64_t size = 0;
  while (in >> etag >> size && std::getline(in, key)) state[key.substr(1)] = {etag, size};
  return state;
}

Status SaveState(const std::string& path, const std::map<std::string, std::pair<std::string, uint64_t>>& state) {
  std::string text;
  for (const auto& [key, v] : state) text += v.first + " " + std::to_string(v.second) + " " + key + "\n";
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) DR_RETURN_IF_ERROR(MakeDirs(path.substr(0, slash), 0700));
  return WriteFileAtomic(path, text, {.mode = 0600, .overwrite = true, .sync = true});
}

Status CopyObject(net::s3::S3Client& from, net::s3::S3Client& to, const std::string& key, const Entry& entry) {
  constexpr uint64_t kRange = 16u << 20;
  std::unique_ptr<UploadSink> sink;
  for (uint64_t offset = 0; offset < entry.size || offset == 0; offset += kRange) {
    std::map<std::string, std::string> h{{"if-match", entry.etag}};
    if (entry.size > 0) {
      h["range"] = "bytes=" + std::to_string(offset) + "-" + std::to_string(std::min(entry.size, offset + kRange) - 1);
    }
    DR_ASSIGN_OR_RETURN(auto r, from.Send("GET", key, {}, h, {}));
    if (r.status / 100 != 2) return from.ErrorOf(r, "unable to read " + from.Url(key));
    if (!sink) {
      // All the metadata a client can set, and the tags, go with the copy.
      ObjectMeta meta = MetaFromResponse(r.headers);
      DR_RETURN_IF_ERROR(FetchTags(from, key, meta));
      sink = std::make_unique<UploadSink>(to, key, meta, UploadLimits{kRange, kRange});
    }
    DR_RETURN_IF_ERROR(sink->Write(r.body));
    if (entry.size == 0) break;
  }
  return sink->Finish();
}

}  // namespace

std::string MirrorPassFile(const std::string& state_file) { return state_file + ".pass"; }

std::optional<double> MirrorLagSeconds(const std::string& pass_file, std::chrono::system_clock::time_point now) {
  auto text = ReadFile(pass_file);
  json p = text.ok() ? json::parse(*text, nullptr, false) : json();
  auto finished = p.is_object() ? ParseUtc(p.value("finished_at", "")) : std::nullopt;
  if (!finished) return std::nullopt;
  return p.value("lag_seconds", 0.0) + std::max(0.0, std::chrono::duration<double>(now - *finished).count());
}

Result<MirrorResult> MirrorOnce(const MirrorOptions& options, Clock& clock) {
  net::s3::S3Client from(options.source), to(options.target);
  MirrorResult result;
  auto state = LoadState(options.state_file);
  DR_ASSIGN_OR_RETURN(auto source, List(from, options.prefix));
  DR_ASSIGN_OR_RETURN(auto target, List(to, options.prefix));
  result.source_objects = source.size();
  auto now = clock.Now();
  std::vector<std::string> pending;
  for (const auto& [key, entry] : source) {
    auto s = state.find(key);
    bool mirrored = s != state.end() && s->second.first == entry.etag && s->second.second == entry.size &&
                    target.count(key) && target[key].size == entry.size;
    if (mirrored) {
      result.unchanged++;
      continue;
    }
    pending.push_back(key);
    if (auto t = S3Time(entry.last_modified)) {
      result.lag_seconds_before = std::max(result.lag_seconds_before, std::chrono::duration<double>(now - *t).count());
    }
  }
  // Copies run in parallel (small objects are latency-bound); a failed copy
  // stays pending and is retried by the next pass.
  Status first_error;
  size_t failed = 0;
  {
    ThreadPool pool(16);
    std::vector<std::future<Status>> copies;
    for (const auto& key : pending) {
      const Entry& entry = source[key];
      copies.push_back(pool.Submit([&from, &to, &key, &entry] { return CopyObject(from, to, key, entry); }));
    }
    for (size_t i = 0; i < pending.size(); ++i) {
      Status s = copies[i].get();
      if (!s.ok()) {
        if (first_error.ok()) first_error = s;
        failed++;
        continue;
      }
      const Entry& entry = source[pending[i]];
      state[pending[i]] = {entry.etag, entry.size};
      result.copied++;
      result.bytes_copied += entry.size;
    }
  }
  // A failed delete ends the deletes but not the pass: the state of what was
  // copied must still be saved, or the next pass copies it all again.
  Status delete_error;
  if (options.delete_removed) {
    for (const auto& [key, entry] : target) {
      if (source.count(key)) continue;
      auto r = to.Send("DELETE", key, {}, {}, {});
      if (r.ok() && r->status / 100 != 2) delete_error = to.ErrorOf(*r, "unable to delete " + to.Url(key));
      if (!r.ok()) delete_error = r.status();
      if (!delete_error.ok()) break;
      state.erase(key);
      result.deleted++;
    }
  }
  DR_RETURN_IF_ERROR(SaveState(options.state_file, state));
  result.requests = from.requests() + to.requests();
  result.lag_seconds = first_error.ok() ? 0 : result.lag_seconds_before;
  // How far behind the target was when this pass ended: the storage RPO a failover reads.
  DR_RETURN_IF_ERROR(WriteFileAtomic(MirrorPassFile(options.state_file),
                                     json{{"finished_at", FormatUtc(clock.Now(), true)},
                                          {"lag_seconds", result.lag_seconds}}.dump() + "\n",
                                     {.mode = 0600, .overwrite = true, .sync = true}));
  if (first_error.ok() && !delete_error.ok()) {
    return delete_error.WithContext("mirror " + from.Url("") + " to " + to.Url("") + ": the copies were made");
  }
  if (!first_error.ok()) {
    return first_error.WithContext("mirror " + from.Url("") + " to " + to.Url("") + ": " + std::to_string(failed) +
                                   " of " + std::to_string(pending.size()) +
                                   " copies failed and stay pending for the next pass, the first");
  }
  return result;
}

}  // namespace dr::source
