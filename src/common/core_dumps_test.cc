#include "common/core_dumps.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fleetpatch {
namespace {

// In a child, so the test binary itself keeps its settings: exit 0 only when both are off.
TEST(CoreDumps, OffSoftAndHardAndNotDumpable) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!DisableCoreDumps().ok()) ::_exit(10);
    rlimit got{};
    if (::getrlimit(RLIMIT_CORE, &got) != 0 || got.rlim_cur != 0 || got.rlim_max != 0) ::_exit(11);
    if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) ::_exit(12);
    const rlimit raise{RLIM_INFINITY, RLIM_INFINITY};  // nothing later can turn them back on
    if (::getuid() != 0 && ::setrlimit(RLIMIT_CORE, &raise) == 0) ::_exit(13);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace fleetpatch
