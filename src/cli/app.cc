#include "cli/app.h"

#include <cstdio>

#include "common/exit_codes.h"

namespace fleetpatch::cli {

int Main(int, char**) {
  std::fputs("fleetpatch: not built yet\n", stderr);
  return kExitInternal;
}

}  // namespace fleetpatch::cli
