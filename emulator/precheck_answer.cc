#include "emulator/precheck_answer.h"

#include <nlohmann/json.hpp>
#include <regex>

namespace fleetpatch::emulator {

bool RecognisePrecheck(const std::vector<std::string>& commands, std::vector<std::string>* services) {
  bool found = false;
  services->clear();
  static const std::regex kBash("FP_SERVICES='([^']*)'");
  static const std::regex kPs("\\$FpServices\\s*=\\s*@\\(([^)]*)\\)");
  static const std::regex kQuoted("'([^']*)'");
  for (const auto& c : commands) {
    if (c.find(kPrecheckMarker) != std::string::npos) found = true;
    std::smatch m;
    if (services->empty() && std::regex_search(c, m, kBash)) {
      std::string list = m[1];
      size_t start = 0;
      while (start < list.size()) {
        size_t sp = list.find(' ', start);
        if (sp == std::string::npos) sp = list.size();
        if (sp > start) services->push_back(list.substr(start, sp - start));
        start = sp + 1;
      }
    } else if (services->empty() && std::regex_search(c, m, kPs)) {
      std::string list = m[1];
      for (std::sregex_iterator it(list.begin(), list.end(), kQuoted), end; it != end; ++it)
        services->push_back((*it)[1]);
    }
  }
  if (!found) services->clear();
  return found;
}

std::string PrecheckOutput(const InstanceSpec& in, const std::vector<std::string>& services,
                           bool reboot_required) {
  return PrecheckOutput(in, in.services, services, reboot_required);
}

std::string PrecheckOutput(const InstanceSpec& in, const std::map<std::string, std::string>& service_states,
                           const std::vector<std::string>& services, bool reboot_required) {
  // nlohmann::ordered_json keeps the documented field order, as the real script prints it.
  nlohmann::ordered_json j;
  nlohmann::ordered_json disks = nlohmann::ordered_json::array();
  for (const auto& d : in.disks)
    disks.push_back({{"mount", d.mount}, {"size_kb", d.size_kb}, {"avail_kb", d.avail_kb}});
  j["disks"] = disks;
  j["cpus"] = in.cpus;
  j["load1"] = in.load1;
  j["mem_total_kb"] = in.mem_total_kb;
  j["mem_available_kb"] = in.mem_available_kb;
  nlohmann::ordered_json svc = nlohmann::ordered_json::object();
  for (const auto& s : services) {
    auto it = service_states.find(s);
    svc[s] = it == service_states.end() ? "not-found" : it->second;
  }
  j["services"] = svc;
  j["reboot_required"] = reboot_required || in.reboot_pending;
  j["pkg_lock"] = in.pkg_lock;
  return "FLEETPATCH_PRECHECK_V1 " + j.dump() + "\n";
}

}  // namespace fleetpatch::emulator
