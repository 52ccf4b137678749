#include "workflow/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace fleetpatch::workflow {
namespace {

std::atomic<int> g_signals{0};
struct sigaction g_old_int, g_old_term;

extern "C" void OnSignal(int) {
  if (g_signals.fetch_add(1) >= 1) {
    const char msg[] = "\nfleetpatch: second interrupt, exiting now (resume with --resume)\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(130);
  }
  const char msg[] =
      "\nfleetpatch: interrupt received; finishing what is in flight (Ctrl-C again to exit now)\n";
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signals = 0;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

CancelToken InterruptToken() { return CancelToken::Observing(&g_signals); }

bool Interrupted() { return g_signals.load() > 0; }
void RequestInterrupt() { g_signals.store(1); }
void ClearInterrupt() { g_signals.store(0); }

}  // namespace fleetpatch::workflow
