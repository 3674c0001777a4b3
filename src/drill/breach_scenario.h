// The disruptive "breach" drill: an intruder with a database login and an
// ecap-dr identity is found at a known moment; the security_breach runbook
// contains it and restores a clean state, and the drill checks the
// containment from the intruder's side and counts what the clean state lacks.
//
//   1. A load generator commits one row at a time into the configured
//      database (ecap_dr_drill_writes) and records every acknowledged commit.
//   2. A logical backup of the database is taken under that load (the clean
//      state the runbook will find), and more commits follow it.
//   3. The breach: a login role of the drill's own is made and an intruder's
//      session opened with it; the breach time is now; the load stops.
//   4. Recovery runs (the caller's: the security_breach runbook with the
//      drill's role and ecap-dr user as the compromised ones and the breach
//      time): access revoked, the master key rotated, the audit chain
//      verified, the newest backup from before the breach verified in full
//      and restored into a clean database beside the live one.
//   5. Containment, checked from the outside: the intruder's session was
//      ended, the role can no longer log in, the ecap-dr user is refused.
//   6. RTO: from the breach to the clean state restored and verified. RPO:
//      the commits acknowledged before the breach that the clean state lacks,
//      each named; how long before the breach the oldest was acknowledged
//      (the age of the clean backup, as the writes saw it).
//   0. First, what breach drills killed mid-way left (scratch_root below).
//   7. Removed again: the clean database, the revocations (reinstated) and
//      the role, the drill's rows. The rotated key stays: backups made before
//      it remain readable with it.
//
// Nothing here decides whether the platform may be disrupted: the caller
// checks drill.environment and --disruptive first.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "dr/clock.h"
#include "dr/result.h"
#include "drill/disruptive.h"

namespace dr::drill {

struct BreachScenarioOptions : DisruptiveOptions {
  std::string conninfo;  // the configured database, as a user that may create roles and databases
  // The drills' scratch directories (ScratchBase): the caller holds this
  // drill's there for its whole run. The roles and clean databases of breach
  // drills that hold none (killed before their cleanup) are removed first,
  // and their users' revocations lifted.
  std::string scratch_root;
  std::string service;   // how the result names it
  // A logical backup of the database now (its id).
  std::function<Result<std::string>()> backup;
  // The recovery, given the compromised ecap-dr user and database role, the
  // breach time and the database to restore the clean state into; fills in
  // the runbook's execution document, also when it fails.
  std::function<Status(const std::string& user, const std::string& role, const std::string& breach_time,
                       const std::string& clean_database, nlohmann::json& runbook)>
      recover;
  // Ok when an operation of `user` is refused (a probe as that user).
  std::function<Status(const std::string& user)> refused;
  // Gives `user` and `role` their access back (after the drill).
  std::function<Status(const std::string& user, const std::string& role)> reinstate;
};

// Never fails: the outcome is the result (scenario "breach").
DisruptiveResult RunBreachScenario(Clock& clock, const BreachScenarioOptions& options);

}  // namespace dr::drill
