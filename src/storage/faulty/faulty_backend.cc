#include "storage/faulty/faulty_backend.h"

namespace dr::storage {

void FaultyBackend::FailNext(Op op, Status status, int count) {
  std::lock_guard lock(mu_);
  fail_op_ = op;
  fail_status_ = std::move(status);
  fail_count_ = count;
}

void FaultyBackend::SetSpaceLeft(uint64_t bytes) {
  std::lock_guard lock(mu_);
  space_limited_ = true;
  space_left_ = bytes;
}

void FaultyBackend::CorruptReads(ObjectKind kind, uint64_t offset) {
  std::lock_guard lock(mu_);
  corrupt_reads_ = true;
  corrupt_kind_ = kind;
  corrupt_offset_ = offset;
}

void FaultyBackend::FailReadsAt(const ObjectName& name, uint64_t offset, Status status) {
  std::lock_guard lock(mu_);
  read_faults_.push_back({name, offset, std::move(status)});
}

void FaultyBackend::Reset() {
  std::lock_guard lock(mu_);
  read_faults_.clear();
  fail_count_ = 0;
  space_limited_ = false;
  corrupt_reads_ = false;
}

Status FaultyBackend::Take(Op op) {
  std::lock_guard lock(mu_);
  if (fail_count_ > 0 && fail_op_ == op) {
    --fail_count_;
    return fail_status_;
  }
  return Status::Ok();
}

Status FaultyBackend::Put(const ObjectName& name, std::string_view data, const PutOptions& options) {
  DR_RETURN_IF_ERROR(Take(Op::kPut));
  {
    std::lock_guard lock(mu_);
    if (space_limited_) {
      if (data.size() > space_left_) {
        space_left_ = 0;
        return Status(Code::kNoSpace, "unable to write " + name.ToString() + ": No space left on device");
      }
      space_left_ -= data.size();
    }
  }
  return target_->Put(name, data, options);
}

Result<std::string> FaultyBackend::Get(const ObjectName& name, ByteRange range) {
  DR_RETURN_IF_ERROR(Take(Op::kGet));
  {
    std::lock_guard lock(mu_);
    for (const auto& f : read_faults_) {
      bool covers = f.offset >= range.offset && f.offset - range.offset < range.length;
      if (f.name == name && covers) return f.status;
    }
  }
  auto data = target_->Get(name, range);
  std::lock_guard lock(mu_);
  if (data.ok() && corrupt_reads_ && name.kind == corrupt_kind_) {
    if (corrupt_offset_ >= range.offset && corrupt_offset_ - range.offset < data->size()) {
      (*data)[corrupt_offset_ - range.offset] ^= 0x01;
    }
  }
  return data;
}

Result<ObjectInfo> FaultyBackend::Stat(const ObjectName& name) {
  DR_RETURN_IF_ERROR(Take(Op::kStat));
  return target_->Stat(name);
}

Status FaultyBackend::List(ObjectKind kind, const std::function<Status(const ObjectInfo&)>& visit) {
  DR_RETURN_IF_ERROR(Take(Op::kList));
  return target_->List(kind, visit);
}

Status FaultyBackend::Remove(const ObjectName& name) {
  DR_RETURN_IF_ERROR(Take(Op::kRemove));
  return target_->Remove(name);
}

}  // namespace dr::storage
