#include "storage/memory/memory_backend.h"

#include <map>
#include <mutex>
#include <vector>

#include "storage/layout.h"

namespace dr::storage {
namespace {

class MemoryBackend : public Backend {
 public:
  BackendProperties Properties() const override { return {.location = "memory:", .max_connections = 8}; }

  Status Put(const ObjectName& name, std::string_view data, const PutOptions& options) override {
    DR_RETURN_IF_ERROR(ValidateObjectId(name));
    std::lock_guard lock(mu_);
    auto key = ObjectPath(name);
    if (!options.overwrite && objects_.count(key)) return AlreadyExists(name.ToString() + " already exists in memory:");
    objects_[key] = {name, std::string(data), std::chrono::system_clock::now()};
    return Status::Ok();
  }

  Result<std::string> Get(const ObjectName& name, ByteRange range) override {
    DR_RETURN_IF_ERROR(ValidateObjectId(name));
    std::lock_guard lock(mu_);
    auto it = objects_.find(ObjectPath(name));
    if (it == objects_.end()) return NotFound(name.ToString() + " not found in memory:");
    const std::string& data = it->second.data;
    uint64_t size = data.size();
    uint64_t length = range.length == ByteRange::kToEnd ? size - std::min(size, range.offset) : range.length;
    if (range.offset > size || length > size - range.offset) {
      return Corrupt(name.ToString() + " in memory: is " + std::to_string(size) + " bytes, shorter than the range " +
                     std::to_string(range.offset) + "+" + std::to_string(length));
    }
    return data.substr(range.offset, length);
  }

  Result<ObjectInfo> Stat(const ObjectName& name) override {
    DR_RETURN_IF_ERROR(ValidateObjectId(name));
    std::lock_guard lock(mu_);
    auto it = objects_.find(ObjectPath(name));
    if (it == objects_.end()) return NotFound(name.ToString() + " not found in memory:");
    return ObjectInfo{name, it->second.data.size(), it->second.written};
  }

  Status List(ObjectKind kind, const std::function<Status(const ObjectInfo&)>& visit) override {
    std::vector<ObjectInfo> infos;
    {
      std::lock_guard lock(mu_);
      for (const auto& [key, obj] : objects_) {
        if (obj.name.kind == kind) infos.push_back({obj.name, obj.data.size(), obj.written});
      }
    }
    // Visit outside the lock: visitors may call back into the backend.
    for (const auto& info : infos) DR_RETURN_IF_ERROR(visit(info));
    return Status::Ok();
  }

  Status Remove(const ObjectName& name) override {
    DR_RETURN_IF_ERROR(ValidateObjectId(name));
    std::lock_guard lock(mu_);
    if (objects_.erase(ObjectPath(name)) == 0) return NotFound(name.ToString() + " not found in memory:");
    return Status::Ok();
  }

 private:
  struct Object {
    ObjectName name;
    std::string data;
    std::chrono::system_clock::time_point written;
  };
  std::mutex mu_;
  std::map<std::string, Object> objects_;
};

}  // namespace

std::unique_ptr<Backend> NewMemoryBackend() { return std::make_unique<MemoryBackend>(); }

}  // namespace dr::storage
