// The audit trail's own operations (permission audit.read): show, verify, rotate.
#pragma once

#include <string>

#include "ops/operation.h"

namespace dr::ops {

// since: "30m", "24h", "7d" before now (ctx.clock), or a UTC time; "" for all. user: "" for all.
OpResult AuditShow(OperationContext& ctx, const std::string& since, const std::string& user);
OpResult AuditVerify(OperationContext& ctx);
OpResult AuditRotate(OperationContext& ctx);

}  // namespace dr::ops
