// How the emulator answers fleetpatch's precheck script (docs/precheck-protocol.md) without running
// it: recognise the script by its marker line, read the services it checks from its FP_SERVICES
// (bash) or $FpServices (PowerShell) line, and print the one FLEETPATCH_PRECHECK_V1 line the script
// would print on a machine in the instance's configured state. Any other script gets an empty,
// successful answer (see ssm_handlers.cc).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "emulator/fleet.h"

namespace fleetpatch::emulator {

inline constexpr char kPrecheckMarker[] = "# fleetpatch-precheck v1";

// True when any command line holds the marker; fills *services from the services line (empty
// when there is none).
bool RecognisePrecheck(const std::vector<std::string>& commands, std::vector<std::string>* services);

// The script's output for `instance` (ends with a newline). `reboot_required` overrides the
// instance's configured pending reboot when an emulated install left one pending.
std::string PrecheckOutput(const InstanceSpec& instance, const std::vector<std::string>& services,
                           bool reboot_required);
// The same with the host's services as they are now (post-patch failures included).
std::string PrecheckOutput(const InstanceSpec& instance,
                           const std::map<std::string, std::string>& service_states,
                           const std::vector<std::string>& services, bool reboot_required);

}  // namespace fleetpatch::emulator
