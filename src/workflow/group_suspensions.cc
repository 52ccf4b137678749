#include "workflow/group_suspensions.h"

#include <utility>

namespace fleetpatch::workflow {

std::string GroupKey(const std::string& account_id, const std::string& region, const std::string& group) {
  return account_id + "/" + region + "/" + group;
}

void GroupSuspensions::Open(const std::string& key, const std::string& instance_id) {
  std::lock_guard<std::mutex> lock(mu_);
  open_[key].insert(instance_id);
}

void GroupSuspensions::Close(const std::string& key, const std::string& instance_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = open_.find(key); it != open_.end()) it->second.erase(instance_id);
}

bool GroupSuspensions::Suspended(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return suspended_.count(key) > 0;
}

void GroupSuspensions::Suspend(const std::string& key, Record record) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& records = suspended_[key];
  for (auto& r : records) {
    if (r.zone == record.zone && r.instance_id == record.instance_id) {
      r = std::move(record);
      return;
    }
  }
  records.push_back(std::move(record));
}

std::optional<std::vector<GroupSuspensions::Record>> GroupSuspensions::TakeDone(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = suspended_.find(key);
  if (it == suspended_.end()) return std::nullopt;
  if (auto open = open_.find(key); open != open_.end() && !open->second.empty()) return std::nullopt;
  std::vector<Record> records = std::move(it->second);
  suspended_.erase(it);
  return records;
}

void GroupSuspensions::Untake(const std::string& key, std::vector<Record> records) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& mine = suspended_[key];
  for (auto& r : records) mine.push_back(std::move(r));
}

}  // namespace fleetpatch::workflow
