#include "workflow/backup_trust.h"

#include <map>

namespace fleetpatch::workflow {

std::string WhyNotOurBackup(const ImageView& image, const BackupIdentity& want) {
  auto shown = [](const std::string& s) { return s.empty() ? std::string("(none)") : s; };
  if (image.owner_id.empty() || (!want.account_id.empty() && image.owner_id != want.account_id))
    return "its owner is " + shown(image.owner_id) + ", not account " + shown(want.account_id);
  if (image.source_instance_id != want.instance_id)
    return "its source instance is " + shown(image.source_instance_id) + ", not " + want.instance_id;
  auto run = image.tags.find(kRunTag);
  if (run == image.tags.end() || run->second != want.run_id)
    return "its " + std::string(kRunTag) + " tag is " + shown(run == image.tags.end() ? "" : run->second) +
           ", not " + want.run_id;
  if (image.name != want.ami_name) return "its name is " + shown(image.name) + ", not " + want.ami_name;
  return "";
}

const ImageView* FindOurBackup(const std::vector<ImageView>& images, const BackupIdentity& want) {
  for (const auto& image : images)
    if (WhyNotOurBackup(image, want).empty()) return &image;
  return nullptr;
}

std::vector<std::string> SnapshotsToDelete(const ImageView& failed_image,
                                           const std::set<std::string>& owned) {
  std::vector<std::string> out;
  for (const auto& id : failed_image.snapshot_ids)
    if (owned.count(id)) out.push_back(id);
  return out;
}

Result<std::string> AdoptDuplicate(ZoneApi& api, const BackupIdentity& want, const Error& duplicate) {
  FP_ASSIGN_OR_RETURN(auto images, api.DescribeImagesByTag(kBackupNameTag, want.ami_name));
  if (const ImageView* ours = FindOurBackup(images, want)) return ours->image_id;
  Error e = duplicate;
  e.message += images.empty()
                   ? "; no AMI of this account carries that name's backup tag, so none was reused"
                   : "; the AMI of that name was not reused: " + WhyNotOurBackup(images.front(), want);
  return e;
}

std::vector<CleanupOutcome> CleanUpFailedImages(ZoneApi& api, const std::vector<FailedImage>& images) {
  std::vector<CleanupOutcome> out(images.size());
  std::vector<std::string> ids;
  for (const auto& f : images) ids.push_back(f.image_id);
  auto found = api.DescribeImagesById(ids);
  if (!found.ok()) {
    for (auto& o : out) o.problem = "could not describe it: " + found.error().ToString();
    return out;
  }
  std::map<std::string, const ImageView*> by_id;
  for (const auto& img : *found) by_id[img.image_id] = &img;
  std::vector<const ImageView*> ours(images.size(), nullptr);
  std::vector<std::string> snapshot_ids;
  for (size_t i = 0; i < images.size(); ++i) {
    auto it = by_id.find(images[i].image_id);
    if (it == by_id.end()) {
      out[i].problem = "EC2 no longer lists it, so its snapshots cannot be identified";
    } else if (std::string why = WhyNotOurBackup(*it->second, images[i].identity); !why.empty()) {
      out[i].problem = "left alone: " + why;
    } else if (Status st = api.DeregisterImage(images[i].image_id); !st.ok()) {
      out[i].problem = "DeregisterImage failed: " + st.error().ToString();
    } else {
      ours[i] = it->second;
      snapshot_ids.insert(snapshot_ids.end(), it->second->snapshot_ids.begin(),
                          it->second->snapshot_ids.end());
    }
  }
  Result<std::set<std::string>> owned = std::set<std::string>();
  if (!snapshot_ids.empty()) owned = api.DescribeOwnedSnapshotIds(snapshot_ids);
  for (size_t i = 0; i < images.size(); ++i) {
    if (!ours[i]) continue;
    if (!owned.ok()) {
      out[i].problem = "could not list its snapshots: " + owned.error().ToString();
      continue;
    }
    for (const auto& sid : SnapshotsToDelete(*ours[i], *owned)) {
      if (Status st = api.DeleteSnapshot(sid); st.ok()) {
        out[i].deleted_snapshots.push_back(sid);
      } else {
        out[i].problem = "DeleteSnapshot " + sid + " failed: " + st.error().ToString();
      }
    }
    if (out[i].deleted_snapshots.size() < ours[i]->snapshot_ids.size() && out[i].problem.empty())
      out[i].problem =
          "snapshots of its block device mappings that this account does not own were left alone";
  }
  return out;
}

}  // namespace fleetpatch::workflow
