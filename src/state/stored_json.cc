#include "state/stored_json.h"

namespace fleetpatch::state {

void DropDefaults(nlohmann::json& j, const nlohmann::json& defaults) {
  for (auto it = j.begin(); it != j.end();) {
    auto d = defaults.find(it.key());
    if (d != defaults.end() && *d == *it) {
      it = j.erase(it);
      continue;
    }
    if (d != defaults.end() && it->is_object() && d->is_object()) {
      DropDefaults(*it, *d);
      if (it->empty() && !d->empty()) {
        it = j.erase(it);
        continue;
      }
    }
    ++it;
  }
}

}  // namespace fleetpatch::state
