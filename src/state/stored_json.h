// How phase results, zones and other values are kept as JSON text in a state store (shared by the
// SQLite and PostgreSQL stores, so both write and read the same documents).
// Thread-safety: pure functions.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"
#include "common/json_dump.h"

namespace fleetpatch::state {

// Decoding stored JSON: a damaged record becomes an Error naming the record and the store, never an
// exception.
template <class T>
Result<T> DecodeStored(const std::string& text, const std::string& what, const std::string& store) {
  try {
    return nlohmann::json::parse(text).get<T>();
  } catch (const std::exception& e) {
    return Error::Internal(fmt::format("state store {}: {} is damaged ({})", store, what, e.what()));
  }
}

// Removes the members of `j` that equal the same member of `defaults` (the JSON form of a
// default-constructed value), recursing into nested objects. from_json keeps the default for a
// missing key, so this loses nothing, and a typical result shrinks to a third.
void DropDefaults(nlohmann::json& j, const nlohmann::json& defaults);

// A phase result as both stores save it: its status (a column of its own) and its compact JSON,
// without default-valued members; converted to JSON once for both.
struct EncodedResult {
  std::string status;
  std::string json;
};
template <class R>
EncodedResult EncodeResult(const R& result) {
  static const nlohmann::json defaults = R{};
  nlohmann::json j = result;
  EncodedResult out{j.at("status").template get<std::string>(), {}};
  DropDefaults(j, defaults);
  out.json = DumpJson(j);
  return out;
}

}  // namespace fleetpatch::state
