#include "aws/ssm_pages.h"

#include <fmt/format.h>

#include <variant>

#include "aws/output_fields.h"
#include "aws/protocol/json_sax.h"
#include "aws/protocol/shape_values.h"

namespace fleetpatch::aws {
namespace {

using nlohmann::json;
using namespace fields;  // NOLINT(google-build-using-namespace)

// One member of a record the page readers fill, and how its value is read (output_fields.h's rules).
template <typename Record>
struct Field {
  std::string_view name;
  std::variant<std::string Record::*, int Record::*, std::optional<int> Record::*,
               std::optional<bool> Record::*, std::optional<SysTime> Record::*>
      member;
};

std::optional<int> OptInt(const json& v) {
  auto i = IntValue(v);
  if (!i) return std::nullopt;
  return static_cast<int>(*i);
}

// Sets the record's member from `v` (null: absent, its default). BadResponse for a timestamp that
// can be neither a number nor a string (the generic path's JsonScalar refuses it too).
template <typename Record>
Status Set(const Field<Record>& f, const json& v, Record* r) {
  struct Visit {
    const json& v;
    Record* r;
    void operator()(std::string Record::*m) const { r->*m = StrValue(v); }
    void operator()(int Record::*m) const { r->*m = OptInt(v).value_or(0); }
    void operator()(std::optional<int> Record::*m) const { r->*m = OptInt(v); }
    void operator()(std::optional<bool> Record::*m) const { r->*m = BoolValue(v); }
    void operator()(std::optional<SysTime> Record::*m) const { r->*m = TimeValue(v); }
  };
  if (std::holds_alternative<std::optional<SysTime> Record::*>(f.member) && !v.is_null() && !v.is_number() &&
      !v.is_string()) {
    return protocol::BadResponse(fmt::format("{} is not a timestamp", f.name));
  }
  std::visit(Visit{v, r}, f.member);
  return OkStatus();
}

template <typename Record>
struct PageSpec {
  std::string_view list;  // the page's member holding the records
  std::string_view record;
  std::vector<Field<Record>> fields;
};

const PageSpec<InstanceInformation>& InfoSpec() {
  using R = InstanceInformation;
  static const PageSpec<R> spec{"InstanceInformationList",
                                "InstanceInformation",
                                {{"InstanceId", &R::instance_id},
                                 {"PingStatus", &R::ping_status},
                                 {"LastPingDateTime", &R::last_ping},
                                 {"AgentVersion", &R::agent_version},
                                 {"IsLatestVersion", &R::is_latest_version},
                                 {"PlatformType", &R::platform_type},
                                 {"PlatformName", &R::platform_name},
                                 {"PlatformVersion", &R::platform_version},
                                 {"ResourceType", &R::resource_type},
                                 {"ComputerName", &R::computer_name},
                                 {"IPAddress", &R::ip_address}}};
  return spec;
}

const PageSpec<InstancePatchState>& PatchSpec() {
  using R = InstancePatchState;
  static const PageSpec<R> spec{"InstancePatchStates",
                                "InstancePatchState",
                                {{"InstanceId", &R::instance_id},
                                 {"PatchGroup", &R::patch_group},
                                 {"BaselineId", &R::baseline_id},
                                 {"Operation", &R::operation},
                                 {"RebootOption", &R::reboot_option},
                                 {"InstalledCount", &R::installed},
                                 {"InstalledOtherCount", &R::installed_other},
                                 {"InstalledPendingRebootCount", &R::installed_pending_reboot},
                                 {"InstalledRejectedCount", &R::installed_rejected},
                                 {"MissingCount", &R::missing},
                                 {"FailedCount", &R::failed},
                                 {"NotApplicableCount", &R::not_applicable},
                                 {"CriticalNonCompliantCount", &R::critical_non_compliant},
                                 {"SecurityNonCompliantCount", &R::security_non_compliant},
                                 {"OperationStartTime", &R::operation_start},
                                 {"OperationEndTime", &R::operation_end},
                                 {"LastNoRebootInstallOperationTime", &R::last_no_reboot_install}}};
  return spec;
}

// nlohmann's SAX handler for a page {"<list>": [{record}, ...], "NextToken": "..."}. Where the next
// value goes is one of four places; a container nobody reads is skipped by depth. A value of the
// wrong kind is remembered and reading goes on, so that a body that is not JSON is reported as such.
template <typename Record>
class PageReader : public protocol::JsonSaxEvents<PageReader<Record>> {
 public:
  explicit PageReader(const PageSpec<Record>& spec) : spec_(spec) {}

  std::vector<Record> records;
  std::string next_token;
  std::optional<Error> error;

 private:
  enum class Where { kRoot, kPage, kList, kRecord };
  enum class Member { kOther, kList, kToken };  // the page member whose value comes next

  friend class protocol::JsonSaxEvents<PageReader<Record>>;
  bool Scalar(const json& v);
  bool Open(bool object);
  bool Close();
  bool Key(std::string& k);
  bool Fail(const std::string& what) {
    if (!error) error = protocol::BadResponse(what);
    return true;  // keep reading: a body that is not JSON is reported as such
  }

  const PageSpec<Record>& spec_;
  Where where_ = Where::kRoot;
  Member member_ = Member::kOther;
  const Field<Record>* field_ = nullptr;  // the record member whose value comes next; null: skipped
  int skipping_ = 0;                      // depth inside a skipped container
};

template <typename Record>
bool PageReader<Record>::Key(std::string& k) {
  if (skipping_ > 0 || error) return true;
  if (where_ == Where::kPage) {
    member_ = k == spec_.list ? Member::kList : k == "NextToken" ? Member::kToken : Member::kOther;
  } else if (where_ == Where::kRecord) {
    field_ = nullptr;
    for (const auto& f : spec_.fields) {
      if (f.name == k) {
        field_ = &f;
        break;
      }
    }
  }
  return true;
}

template <typename Record>
bool PageReader<Record>::Scalar(const json& v) {
  if (skipping_ > 0 || error) return true;
  switch (where_) {
    case Where::kRoot:
      return v.is_null() ? true : Fail(fmt::format("{}Result is not a JSON object", spec_.record));
    case Where::kPage:
      if (member_ == Member::kToken) next_token = v.is_string() ? v.get<std::string>() : "";
      if (member_ != Member::kList) return true;
      if (!v.is_null()) return Fail(fmt::format("{} is not a JSON array", spec_.list));
      records.clear();  // a null member is an absent one
      return true;
    case Where::kList:
      if (!v.is_null()) return Fail(fmt::format("{} is not a JSON object", spec_.record));
      records.emplace_back();  // read as the generic path reads a null item: every member absent
      return true;
    case Where::kRecord:
      if (!field_) return true;
      if (Status st = Set(*field_, v, &records.back()); !st.ok()) error = st.error();
      return true;
  }
  return true;
}

template <typename Record>
bool PageReader<Record>::Open(bool object) {
  if (error) return true;
  if (skipping_ > 0) {
    ++skipping_;
    return true;
  }
  bool enter = false;
  switch (where_) {
    case Where::kRoot:
      if (!object) return Fail(fmt::format("{}Result is not a JSON object", spec_.record));
      enter = true;
      break;
    case Where::kPage:
      if (member_ == Member::kToken) next_token.clear();
      if (member_ != Member::kList) break;
      if (object) return Fail(fmt::format("{} is not a JSON array", spec_.list));
      records.clear();  // a member given twice: the last one counts
      enter = true;
      break;
    case Where::kList:
      if (!object) return Fail(fmt::format("{} is not a JSON object", spec_.record));
      records.emplace_back();
      enter = true;
      break;
    case Where::kRecord:
      // A container where a scalar belongs: kept verbatim by the generic path, so read as absent.
      if (!field_) break;
      if (std::holds_alternative<std::optional<SysTime> Record::*>(field_->member))
        return Fail(fmt::format("{} is not a timestamp", field_->name));
      (void)Set(*field_, json(nullptr), &records.back());
      break;
  }
  if (!enter) {
    skipping_ = 1;
    return true;
  }
  where_ = static_cast<Where>(static_cast<int>(where_) + 1);
  return true;
}

template <typename Record>
bool PageReader<Record>::Close() {
  if (error) return true;
  if (skipping_ > 0) {
    --skipping_;
    return true;
  }
  if (where_ != Where::kRoot) where_ = static_cast<Where>(static_cast<int>(where_) - 1);
  return true;
}

template <typename Record>
Status ReadPage(const PageSpec<Record>& spec, std::string_view body, std::vector<Record>* out,
                std::string* next_token) {
  next_token->clear();
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return OkStatus();
  PageReader<Record> reader(spec);
  if (!json::sax_parse(body, &reader)) return protocol::BadResponse("the body is not JSON");
  if (reader.error) return *reader.error;
  out->insert(out->end(), std::make_move_iterator(reader.records.begin()),
              std::make_move_iterator(reader.records.end()));
  *next_token = std::move(reader.next_token);
  return OkStatus();
}

}  // namespace

Status ReadInstanceInformationPage(std::string_view body, std::vector<InstanceInformation>* out,
                                   std::string* next_token) {
  return ReadPage(InfoSpec(), body, out, next_token);
}

Status ReadPatchStatesPage(std::string_view body, std::vector<InstancePatchState>* out,
                           std::string* next_token) {
  return ReadPage(PatchSpec(), body, out, next_token);
}

InstanceInformation InstanceInformationFromJson(const json& i) {
  InstanceInformation info;
  info.instance_id = Str(i, "InstanceId");
  info.ping_status = Str(i, "PingStatus");
  info.last_ping = Time(i, "LastPingDateTime");
  info.agent_version = Str(i, "AgentVersion");
  info.is_latest_version = Bool(i, "IsLatestVersion");
  info.platform_type = Str(i, "PlatformType");
  info.platform_name = Str(i, "PlatformName");
  info.platform_version = Str(i, "PlatformVersion");
  info.resource_type = Str(i, "ResourceType");
  info.computer_name = Str(i, "ComputerName");
  info.ip_address = Str(i, "IPAddress");
  return info;
}

InstancePatchState PatchStateFromJson(const json& s) {
  auto opt_int = [&s](const char* key) -> std::optional<int> {
    auto v = Int(s, key);
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
  };
  InstancePatchState st;
  st.instance_id = Str(s, "InstanceId");
  st.patch_group = Str(s, "PatchGroup");
  st.baseline_id = Str(s, "BaselineId");
  st.operation = Str(s, "Operation");
  st.reboot_option = Str(s, "RebootOption");
  st.installed = opt_int("InstalledCount").value_or(0);
  st.installed_other = opt_int("InstalledOtherCount").value_or(0);
  st.installed_pending_reboot = opt_int("InstalledPendingRebootCount").value_or(0);
  st.installed_rejected = opt_int("InstalledRejectedCount").value_or(0);
  st.missing = opt_int("MissingCount").value_or(0);
  st.failed = opt_int("FailedCount").value_or(0);
  st.not_applicable = opt_int("NotApplicableCount").value_or(0);
  st.critical_non_compliant = opt_int("CriticalNonCompliantCount");
  st.security_non_compliant = opt_int("SecurityNonCompliantCount");
  st.operation_start = Time(s, "OperationStartTime");
  st.operation_end = Time(s, "OperationEndTime");
  st.last_no_reboot_install = Time(s, "LastNoRebootInstallOperationTime");
  return st;
}

}  // namespace fleetpatch::aws
