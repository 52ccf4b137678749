#include "common/core_dumps.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace fleetpatch {

Status DisableCoreDumps() {
  std::string failed;
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0)
    failed = std::string("setrlimit(RLIMIT_CORE): ") + std::strerror(errno);
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    failed += (failed.empty() ? "" : "; ") + std::string("prctl(PR_SET_DUMPABLE): ") + std::strerror(errno);
  }
  if (!failed.empty()) return Error::Internal("could not turn core dumps off: " + failed);
  return OkStatus();
}

}  // namespace fleetpatch
