#include "emulator/json_writer.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace fleetpatch::emulator {

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty()) return;
  if (stack_.back().object) throw std::logic_error("JsonWriter: a value in an object needs a key");
  if (!stack_.back().empty) out_ += ',';
  stack_.back().empty = false;
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_ += '{';
  stack_.push_back(Level{true});
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  if (stack_.empty() || !stack_.back().object || after_key_)
    throw std::logic_error("JsonWriter: no object to end");
  stack_.pop_back();
  out_ += '}';
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_ += '[';
  stack_.push_back(Level{false});
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  if (stack_.empty() || stack_.back().object) throw std::logic_error("JsonWriter: no array to end");
  stack_.pop_back();
  out_ += ']';
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  if (stack_.empty() || !stack_.back().object || after_key_)
    throw std::logic_error("JsonWriter: a key outside an object");
  Level& level = stack_.back();
  if (!level.empty && !(level.last_key < key))
    throw std::logic_error("JsonWriter: key " + std::string(key) + " out of byte order");
  if (!level.empty) out_ += ',';
  level.empty = false;
  level.last_key = key;
  Quote(key);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view v) {
  BeforeValue();
  Quote(v);
  return *this;
}

void JsonWriter::Quote(std::string_view v) {
  bool plain = true;  // nothing to escape: the common case (ids, names, versions), copied at once
  for (unsigned char c : v) {
    if (c >= 0x80) {  // UTF-8: validated (or refused, by throwing) exactly as nlohmann does it
      out_ += nlohmann::json(std::string(v)).dump();
      return;
    }
    if (c < 0x20 || c == '"' || c == '\\') plain = false;
  }
  out_ += '"';
  if (plain) {
    out_.append(v);
    out_ += '"';
    return;
  }
  for (unsigned char c : v) {
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\b':
        out_ += "\\b";
        break;
      case '\f':
        out_ += "\\f";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default:
        if (c < 0x20) {  // as nlohmann: \u00XX in lower-case hex
          static const char kHex[] = "0123456789abcdef";
          out_ += "\\u00";
          out_ += kHex[c >> 4];
          out_ += kHex[c & 0xf];
        } else {
          out_ += static_cast<char>(c);
        }
    }
  }
  out_ += '"';
}

JsonWriter& JsonWriter::Int(int64_t v) {
  BeforeValue();
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::Double(double v) {
  BeforeValue();
  out_ += nlohmann::json(v).dump();  // nlohmann's shortest round-trip format, "null" when not finite
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  BeforeValue();
  out_ += v ? "true" : "false";
  return *this;
}

}  // namespace fleetpatch::emulator
