// Alert operations: `ecap-dr alert test`, `alert list` (and their API twins).
#pragma once

#include <string>

#include "automation/notify/notifier.h"
#include "ops/operation.h"

namespace dr::ops {

// alert.test (target: the channel, or "all"): sends one test alert
// (EcapDrTestAlert, severity info) through every enabled channel, or only
// `channel`, and waits for each channel's outcome (with a short retry:
// 3 attempts, 1 s then 2 s apart on ctx.clock).
// data: {"status": "success"|"failed", "channels": [{"channel", "target",
// "success", "attempts", "error"?}]}. status: ok when every channel
// delivered; kUnavailable naming the channels that did not (exit 5);
// kConfig when `channel` is not enabled, no channel is, or an enabled one
// lacks a key (exit 2); kInvalidArgument for an unknown channel name.
// `transports` substitutes the network (tests).
OpResult AlertTest(OperationContext& ctx, const std::string& channel,
                   automation::notify::Transports transports = {});

// alert.list: the alerts the daemon's rules (automation/alert_rules.h) find
// now, evaluated here from the job state, the repository's listing and
// GatherAlertInputs (alert_inputs.h), as `serve` evaluates them. data:
// AlertsJson; what could not be gathered is in the warnings.
OpResult AlertList(OperationContext& ctx);

}  // namespace dr::ops
