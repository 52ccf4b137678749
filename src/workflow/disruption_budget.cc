#include "workflow/disruption_budget.h"

#include <algorithm>

namespace fleetpatch::workflow {

DisruptionBudget::DisruptionBudget(const CountOrPercent& max_unavailable,
                                   const std::vector<std::string>& tag_keys,
                                   const std::vector<BudgetMember>& members) {
  std::map<std::string, int64_t> size;
  for (const BudgetMember& m : members) {
    std::vector<std::string>& groups = groups_of_[m.instance_id];
    if (!m.auto_scaling_group.empty()) {
      groups.push_back("asg:" + m.account_id + "/" + m.region + "/" + m.auto_scaling_group);
    }
    for (const std::string& key : tag_keys) {
      if (auto it = m.tags.find(key); it != m.tags.end()) groups.push_back("tag:" + key + "=" + it->second);
    }
    for (const std::string& g : groups) ++size[g];
  }
  for (const auto& [group, n] : size) limit_[group] = std::max<int64_t>(1, max_unavailable.Of(n));
}

std::string DisruptionBudget::FullGroupLocked(const std::string& instance_id) const {
  auto it = groups_of_.find(instance_id);
  if (it == groups_of_.end() || holding_.count(instance_id) != 0) return "";
  for (const std::string& g : it->second) {
    auto used = in_use_.find(g);
    if (used != in_use_.end() && used->second >= limit_.at(g)) return g;
  }
  return "";
}

bool DisruptionBudget::TryAcquire(const std::string& instance_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (holding_.count(instance_id) != 0) return true;
  if (!FullGroupLocked(instance_id).empty()) return false;
  if (auto it = groups_of_.find(instance_id); it != groups_of_.end()) {
    for (const std::string& g : it->second) ++in_use_[g];
  }
  holding_.insert(instance_id);
  return true;
}

void DisruptionBudget::Release(const std::string& instance_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (holding_.erase(instance_id) == 0) return;
  if (auto it = groups_of_.find(instance_id); it != groups_of_.end()) {
    for (const std::string& g : it->second) --in_use_[g];
  }
}

std::vector<std::string> DisruptionBudget::SelectWave(const std::vector<std::string>& candidates,
                                                      size_t max_count) {
  std::vector<std::string> out;
  for (const std::string& id : candidates) {
    if (out.size() >= max_count) break;
    if (TryAcquire(id)) out.push_back(id);
  }
  return out;
}

std::vector<std::string> DisruptionBudget::GroupsOf(const std::string& instance_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = groups_of_.find(instance_id);
  return it == groups_of_.end() ? std::vector<std::string>{} : it->second;
}

int64_t DisruptionBudget::LimitOf(const std::string& group) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = limit_.find(group);
  return it == limit_.end() ? 0 : it->second;
}

std::string DisruptionBudget::BlockedBy(const std::string& instance_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string g = FullGroupLocked(instance_id);
  if (g.empty()) return "";
  return "disruption budget: " + g + " already has " + std::to_string(limit_.at(g)) +
         " instance(s) unavailable (patch.max_unavailable)";
}

}  // namespace fleetpatch::workflow
