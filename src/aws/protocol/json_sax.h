// JsonSaxEvents: nlohmann's SAX interface narrowed to what fleetpatch's one-pass readers act on
// (json_reader.cc, ssm_pages.cc): every scalar arrives as one JSON value (Scalar), containers as
// Open(is_object) and Close(), member names as Key; a syntax error stops the parse. A reader
// derives from JsonSaxEvents<Reader> and defines those four. Thread-safety: as the reader's.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace fleetpatch::aws::protocol {

template <typename Reader>
class JsonSaxEvents {
 public:
  using Json = nlohmann::json;

  bool null() { return self().Scalar(Json(nullptr)); }
  bool boolean(bool v) { return self().Scalar(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return self().Scalar(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return self().Scalar(Json(v)); }
  bool number_float(Json::number_float_t v, const std::string& /*text*/) { return self().Scalar(Json(v)); }
  // The lexer's buffer is refilled before the next token: the string can be moved out.
  bool string(std::string& v) { return self().Scalar(Json(std::move(v))); }
  bool binary(Json::binary_t& /*v*/) { return false; }  // only binary formats (CBOR, ...) have these
  bool start_object(std::size_t /*size*/) { return self().Open(true); }
  bool start_array(std::size_t /*size*/) { return self().Open(false); }
  bool end_object() { return self().Close(); }
  bool end_array() { return self().Close(); }
  bool key(std::string& k) { return self().Key(k); }
  bool parse_error(std::size_t /*at*/, const std::string& /*token*/, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  Reader& self() { return static_cast<Reader&>(*this); }
};

}  // namespace fleetpatch::aws::protocol
