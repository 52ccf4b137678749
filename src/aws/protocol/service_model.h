// ServiceModel: an AWS service description (botocore's JSON model form: metadata, operations,
// shapes) that drives the protocol engine (serializer.h, parser.h). The engine implements each wire
// protocol once; the model says which members exist, what they are called on the wire and how
// each value is encoded.
// Thread-safety: immutable after Parse(); safe to share between threads.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace fleetpatch::aws::protocol {

enum class Protocol { kEc2, kQuery, kJson };

enum class ShapeType {
  kStructure,
  kList,
  kMap,
  kString,
  kInteger,
  kLong,
  kFloat,
  kDouble,
  kBoolean,
  kTimestamp,
  kBlob,
  kCharacter,
  kDocument,
};

// A reference from a structure member, list member or map key/value to a shape, with the wire
// traits the reference carries (botocore merges these over the target shape's own traits).
struct ShapeRef {
  std::string shape;
  std::string location_name;      // locationName (xmlName / jsonName); empty when not set
  std::string query_name;         // queryName (ec2 only)
  std::optional<bool> flattened;  // xmlFlattened on the reference
  bool xml_attribute = false;
  bool idempotency_token = false;
  bool host_label = false;
  std::string timestamp_format;  // "iso8601", "unixTimestamp", "rfc822" or empty
  std::string location;          // "header", "headers", "uri", "querystring", "statusCode" or empty
  bool json_value = false;       // a string carrying a JSON document
  bool event_payload = false;    // event member carried as the event's payload
  bool event_header = false;     // event member carried in an event header
};

struct Shape {
  std::string name;
  ShapeType type = ShapeType::kString;
  std::vector<std::pair<std::string, ShapeRef>> members;  // structure members, in model order
  ShapeRef member;                                        // list member
  ShapeRef key, value;                                    // map key and value
  bool flattened = false;
  std::string location_name;  // shape-level locationName (rare)
  std::string timestamp_format;
  bool exception = false;
  std::string error_code;  // error.code, else the shape name
  int error_http_status = 0;
  bool document = false;
  bool event_stream = false;  // an output member streamed as events (a union of event shapes)
};

struct Operation {
  std::string name;
  std::string http_method = "POST";
  std::string request_uri = "/";
  std::optional<ShapeRef> input;
  std::optional<ShapeRef> output;
  std::string result_wrapper;       // output.resultWrapper (query); empty when not set
  std::vector<std::string> errors;  // error shape names
  std::string host_prefix;          // endpoint.hostPrefix, may hold {label} placeholders
  bool unsigned_request = false;    // authtype "none": sent without SigV4 (AssumeRoleWithWebIdentity)
};

class ServiceModel {
 public:
  // Parses a botocore service model (`*-service-2.json` text). Member order is preserved, as the
  // Query protocols serialise members in model order.
  static Result<ServiceModel> Parse(std::string_view json_text);
  // Same, from an already parsed document (must be ordered_json to keep member order).
  static Result<ServiceModel> FromJson(const nlohmann::ordered_json& model);

  Protocol protocol() const { return protocol_; }
  const std::string& api_version() const { return api_version_; }
  const std::string& target_prefix() const { return target_prefix_; }
  const std::string& json_version() const { return json_version_; }
  const std::string& endpoint_prefix() const { return endpoint_prefix_; }

  // nullptr when absent.
  const Operation* FindOperation(std::string_view name) const;
  const Shape* FindShape(std::string_view name) const;
  std::vector<std::string> OperationNames() const;
  // The exception shape for an error code (its error.code, else its name); nullptr when unmodeled.
  const Shape* FindErrorShape(std::string_view code) const;

 private:
  Protocol protocol_ = Protocol::kQuery;
  std::string api_version_, target_prefix_, json_version_ = "1.0", endpoint_prefix_;
  std::map<std::string, Operation, std::less<>> operations_;
  std::map<std::string, Shape, std::less<>> shapes_;
  std::map<std::string, std::string, std::less<>> error_shapes_;  // error code -> shape name
};

}  // namespace fleetpatch::aws::protocol
