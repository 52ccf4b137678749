// Helpers shared by the SSM handler files (ssm_*.cc): JSON member readers that answer SSM's own
// validation errors, invocation views on the simulated clock, patch state, and the SSM handlers
// the table registers.
//
// An invocation's whole life is decided when the command is sent (ssm_send_command.cc): its
// delivery (start) and terminal (end) times are stored, and reads derive Pending / InProgress /
// terminal from the simulated clock, so no background thread is needed and every transition happens
// in order at any time scale. CancelCommand rewrites the invocations that have not ended.
// Thread-safety: pure functions; handlers lock the zone themselves.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "emulator/service.h"

namespace fleetpatch::emulator {

ApiError Validation(const std::string& msg);
// Members of a JSON object: absent or null -> "" / {} / dflt; a wrong type -> SerializationException;
// an integer out of [lo, hi] -> ValidationException naming `wire_name`.
std::string Str(const nlohmann::json& j, const char* key);
std::vector<std::string> StrList(const nlohmann::json& j, const char* key);
int Int(const nlohmann::json& j, const char* key, int dflt, int lo, int hi, const char* wire_name);
// Seconds since the epoch with milliseconds, as JSON 1.1 timestamps are sent.
double Epoch(const std::chrono::system_clock::time_point t);
// The key a NextToken carries; "" without one. InvalidNextToken for a foreign token.
std::string StartKey(const nlohmann::json& body);
// The agent's ping status at `now`; true when Online.
bool EffectiveOnline(const InstanceState& st, double now, std::string* ping);
// "50" or "10%" of `targets`, at least `min_value`.
int CountOrPercent(const std::string& v, int targets, int min_value);
std::string PluginFor(const Command& c, const InstanceState* st);

struct InvocationView {
  std::string status;
  std::string details;
  int response_code = -1;
  bool terminal = false;
  bool started = false;
};
InvocationView ViewOf(const Invocation& inv, double now);
// The invocation counts against MaxErrors.
bool IsError(const Invocation& inv);
// The patch state an instance reports at simulated time `now`: the last run that ended with a
// result (Success or Failed), else the baseline scan.
PatchCounts CurrentPatchState(const Zone& z, const InstanceState& st, double now);
// The Command member of SendCommand's and ListCommands' answers.
nlohmann::json CommandToJson(const Emulator::Impl& im, const Command& c, double now);
// What is installed at `now`: CurrentPatchState, or the state a later root volume replacement
// restored.
PatchCounts InstalledState(const Zone& z, const InstanceState& st, double now);
// AccessDeniedException for a read-only identity.
void DenyIfReadOnly(const std::string& op, const CallContext& ctx);

// What a sent command asks every instance to run (ssm_send_command.cc fills it).
struct SendRunContext {
  std::string document;
  std::string operation;      // AWS-RunPatchBaseline: Scan | Install
  std::string reboot_option;  // AWS-RunPatchBaseline: RebootIfNeeded | NoReboot
  double exec_timeout = 3600;
  double now = 0;            // when the command was sent
  bool is_precheck = false;  // a shell script carrying fleetpatch's precheck marker
  std::vector<std::string> precheck_services;
};
// Simulates a delivered invocation (inv->start set) to its end: status, output, patch counts and
// the instance's reboot (ssm_simulate.cc). The zone's lock is held exclusively.
void SimulateRun(Emulator::Impl& im, Zone& z, InstanceState& st, const SendRunContext& run, Invocation* inv);

// The SSM handlers (one per operation), registered in SsmService() (ssm_service.cc).
Response DescribeInstanceInformation(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response SendCommand(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response CancelCommand(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response ListCommandInvocations(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response GetCommandInvocation(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response DescribeInstancePatchStates(Emulator::Impl& im, const OpInput& in, CallContext& ctx);

}  // namespace fleetpatch::emulator
