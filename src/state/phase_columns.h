// Where each phase's results live in the instances table, for both backends: the columns
// `<phase>_status` and `<phase>_json`, and the words their errors use.
#pragma once

#include <string>

#include "common/run_model.h"

namespace fleetpatch::state {

struct PhaseColumns {
  const char* phase;  // the columns' prefix
  const char* what;   // "saving backup results"
};

template <class R>
struct PhaseColumnsOf;  // ::value for each result type R of the run model
template <>
struct PhaseColumnsOf<BackupResult> {
  static constexpr PhaseColumns value{"backup", "saving backup results"};
};
template <>
struct PhaseColumnsOf<PrecheckResult> {
  static constexpr PhaseColumns value{"precheck", "saving precheck results"};
};
template <>
struct PhaseColumnsOf<PatchResult> {
  static constexpr PhaseColumns value{"patch", "saving patch results"};
};
template <>
struct PhaseColumnsOf<StandbyResult> {
  static constexpr PhaseColumns value{"standby", "saving Auto Scaling standby results"};
};
template <>
struct PhaseColumnsOf<PostcheckResult> {
  static constexpr PhaseColumns value{"postcheck", "saving postcheck results"};
};
template <>
struct PhaseColumnsOf<RollbackResult> {
  static constexpr PhaseColumns value{"rollback", "saving rollback results"};
};

// The UPDATE of one instance's result: status, JSON and updated_at are parameters 1-3, run_id,
// zone and instance_id 4-6, each written `param` + number ('?' for SQLite, '$' for PostgreSQL).
inline std::string UpdatePhaseResultSql(const PhaseColumns& c, char param) {
  std::string p(1, param), phase = c.phase;
  return "UPDATE instances SET " + phase + "_status = " + p + "1, " + phase + "_json = " + p +
         "2, updated_at = " + p + "3 WHERE run_id = " + p + "4 AND zone = " + p + "5 AND instance_id = " + p +
         "6";
}

}  // namespace fleetpatch::state
