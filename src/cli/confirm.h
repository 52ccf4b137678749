// The confirmation asked before patching production: on a terminal the user must answer yes;
// --yes skips the question; with no terminal and no --yes fleetpatch refuses (it never patches
// because nobody was there to say no). The terminal check and the streams are injected for tests.
// Thread-safety: call from the main thread only (it reads the terminal).
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include "cli/options.h"
#include "common/error.h"
#include "config/config.h"

namespace fleetpatch::cli {

struct Terminal {
  std::function<bool()> is_interactive;  // true when a person can answer (stdin and stderr are terminals)
  std::istream* in = nullptr;            // where the answer is read
  std::ostream* out = nullptr;           // where the question is written
};

// stdin / stderr of the process; interactive when both are terminals.
Terminal ProcessTerminal();

// Whether this invocation must confirm before patching: it will run the patch phase with
// operation Install, is not a dry run, and the config asks for confirmation (patch.require_confirmation).
bool NeedsPatchConfirmation(const Options& options, const config::Config& config);

// Asks "<summary>\nType 'yes' to continue: ". Ok when `yes` is set or the user answers y/yes.
// Errors: kConfig when there is no terminal and no --yes (nothing was done; re-run with --yes);
// kInterrupted when the user answers anything else or closes the input.
// `action` names what is confirmed in those errors ("patch", "roll back").
Status ConfirmProduction(const std::string& summary, bool yes, const Terminal& terminal,
                         const std::string& action = "patch");

}  // namespace fleetpatch::cli
