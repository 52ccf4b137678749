#include "aws/protocol/shape_values.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "aws/protocol/encoding.h"

namespace fleetpatch::aws::protocol {

using Json = nlohmann::json;

Error BadResponse(const std::string& what) {
  return Error{ErrorCategory::kAws, "could not parse the AWS response: " + what};
}

Json TimestampJson(double t) {
  if (std::floor(t) == t && std::fabs(t) < 9e15) return Json(static_cast<long long>(t));
  return Json(t);
}

Result<Json> NumberText(const std::string& text, const Shape& shape) {
  if (text == "NaN" || text == "Infinity" || text == "-Infinity") return Json(text);
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0')
    return BadResponse(fmt::format("'{}' is not a number ({})", text, shape.name));
  return Json(d);
}

Result<Json> JsonScalar(Json v, const Shape& shape) {
  switch (shape.type) {
    case ShapeType::kTimestamp: {
      if (v.is_number()) return TimestampJson(v.get<double>());
      if (v.is_string()) {
        if (auto t = ParseTimestamp(v.get_ref<const std::string&>())) return TimestampJson(*t);
        return v;  // kept raw, as for XML
      }
      return BadResponse(fmt::format("{} is not a timestamp", shape.name));
    }
    case ShapeType::kBlob: {
      if (!v.is_string()) return BadResponse(fmt::format("{} is not a base64 string", shape.name));
      auto b = Base64Decode(v.get_ref<const std::string&>());
      if (!b) return BadResponse(fmt::format("{} is not valid base64", shape.name));
      return Json(std::move(*b));
    }
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (v.is_string()) return NumberText(v.get_ref<const std::string&>(), shape);
      return v;
    default:
      return v;
  }
}

}  // namespace fleetpatch::aws::protocol
