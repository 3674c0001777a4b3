// Reading runbook definitions (runbook.h) from YAML.
//
//   title: Database failure
//   failure_type: DATABASE_FAILURE
//   estimated_minutes: 68
//   description: |
//     The primary PostgreSQL server is down or cannot take writes.
//   prerequisites: ["a streaming standby (dr_coordinator.services)"]
//   parameters:
//     reason: {default: "database failure runbook", description: "recorded with the failover"}
//   steps:
//     - id: assess
//       title: Assess failure
//       action: health_check            # a built-in (actions.h) ...
//       with: {service: database}
//       estimated_minutes: 5
//     - id: restart
//       title: Restart services
//       shell: "systemctl restart ecap-api"   # ... or a shell command
//       verify: {action: wait_for, with: {service: api, status: healthy}}
//       rollback: {shell: "..."}
//       depends_on: [assess]            # default: the step listed before
//       timeout: 5m
//       retries: 2
//       retry_delay: 10s
//       requires_confirmation: true
//
// Unknown keys, wrong types, duplicate keys and duplicate step ids are errors
// naming file:line and the key. Whether actions exist and ${...} references
// resolve is checked against the action registry (plan.h: Validate).
#pragma once

#include <string>
#include <vector>

#include "dr/result.h"
#include "runbook/runbook.h"

namespace dr::runbook {

// One definition from YAML text; `file` names it in errors, and its stem
// (database_failure.yaml -> database_failure) is the runbook's name.
// kConfig naming file:line on any error.
Result<Runbook> ParseRunbook(const std::string& text, const std::string& file);

// The runbooks a user can run: the shipped ones, then every *.yaml of
// `user_directory` (when not empty), a user file replacing the shipped
// runbook of the same name. Sorted by name. The first bad file is the error.
Result<std::vector<Runbook>> LoadRunbooks(const std::string& user_directory);

// One runbook by name from LoadRunbooks; kNotFound listing the names there are.
Result<Runbook> FindRunbook(const std::string& user_directory, const std::string& name);

}  // namespace dr::runbook
