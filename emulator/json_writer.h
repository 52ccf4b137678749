// JsonWriter: writes a JSON document into a string byte for byte as nlohmann::json::dump() writes
// the same document (no spaces, object keys in byte order, nlohmann's number formats and string
// escapes), without building the document first. The emulator's largest answers (pages of 50
// records of about 20 members, DescribeInstanceInformation and DescribeInstancePatchStates) use it:
// a DOM of such a page costs about 3,000 allocations to build, dump and free, on the machine that
// also runs the client being measured.
// Keys must be given in byte order within each object (the order nlohmann's std::map keeps), and
// must outlive their object (string literals do): a key out of order throws std::logic_error, so
// the writer cannot produce a document that differs from the DOM's dump.
// Thread-safety: a value type; one writer per answer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fleetpatch::emulator {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view v);
  JsonWriter& Int(int64_t v);
  JsonWriter& Double(double v);  // non-finite values as null, as nlohmann writes them
  JsonWriter& Bool(bool v);

  // Key(key) followed by the value.
  JsonWriter& Member(std::string_view key, std::string_view v) { return Key(key).String(v); }
  JsonWriter& Member(std::string_view key, const char* v) { return Key(key).String(v); }
  JsonWriter& Member(std::string_view key, int v) { return Key(key).Int(v); }
  JsonWriter& Member(std::string_view key, double v) { return Key(key).Double(v); }
  JsonWriter& Member(std::string_view key, bool v) { return Key(key).Bool(v); }

  // The document written so far (complete once every container is closed).
  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  struct Level {
    bool object;
    bool empty = true;
    std::string_view last_key;
  };
  void BeforeValue();
  void Quote(std::string_view v);  // a JSON string literal, escaped as nlohmann escapes it

  std::string out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace fleetpatch::emulator
