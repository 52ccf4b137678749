// `fleetpatch state copy --from STORE --to STORE`: moves the runs of one state store into another
// (state/store_copy.h), e.g. an SQLite file into the team's PostgreSQL store.
#include <ostream>

#include "cli/commands.h"
#include "cli/store_access.h"
#include "common/clock.h"
#include "common/json_dump.h"
#include "state/store_copy.h"

namespace fleetpatch::cli {
namespace {

// "sqlite:PATH" names an SQLite file explicitly; URLs and plain paths are taken as they are.
std::string StoreLocation(const std::string& arg) {
  constexpr std::string_view kSqlite = "sqlite:";
  return arg.rfind(kSqlite, 0) == 0 ? arg.substr(kSqlite.size()) : arg;
}

}  // namespace

Result<int> RunStateCopyCommand(const Options& options, Context& ctx) {
  const std::string from_location = StoreLocation(options.copy_from);
  const std::string to_location = StoreLocation(options.copy_to);
  if (from_location.empty() || to_location.empty()) {
    return Error::Config("state copy: --from and --to need a store (sqlite:PATH or postgresql://...)");
  }
  if (from_location == to_location) return Error::Config("state copy: --from and --to name the same store");
  RealClock& clock = DefaultClock();
  FP_ASSIGN_OR_RETURN(auto from, OpenStoreReadOnly(from_location, clock));
  FP_ASSIGN_OR_RETURN(auto to, OpenStore(to_location, clock));
  FP_ASSIGN_OR_RETURN(state::CopyStats stats, state::CopyRuns(*from, *to));
  if (options.output == OutputFormat::kJson) {
    nlohmann::json j = {{"from", DisplayLocation(from_location)}, {"to", DisplayLocation(to_location)},
                        {"runs_copied", stats.runs_copied},       {"runs_completed", stats.runs_completed},
                        {"instances", stats.instances},           {"events", stats.events}};
    *ctx.out << DumpJson(j, 2) << "\n";
  } else {
    *ctx.out << "Copied " << stats.runs_copied << " run(s) from " << DisplayLocation(from_location) << " to "
             << DisplayLocation(to_location) << " (" << stats.runs_completed
             << " already there, brought up to date and verified); " << stats.instances << " instance(s), "
             << stats.events << " event(s) written.\n";
  }
  return 0;
}

}  // namespace fleetpatch::cli
