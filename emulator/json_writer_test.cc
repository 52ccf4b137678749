#include "emulator/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace fleetpatch::emulator {
namespace {

using nlohmann::json;

// Every kind of value, with the strings and numbers whose rendering nlohmann decides.
TEST(JsonWriterTest, WritesWhatNlohmannDumpsForTheSameDocument) {
  const std::string odd = std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f", 15) + std::string(1, '\0') + "end";
  const std::string utf8 = "caf\xc3\xa9 \xf0\x9f\x98\x80";
  JsonWriter w;
  w.BeginObject()
      .Member("A", odd)
      .Member("B", utf8)
      .Member("C", 0.1)
      .Member("D", 1764900000.0)
      .Member("E", 1764900000.123)
      .Member("F", -1e300)
      .Member("G", std::numeric_limits<double>::quiet_NaN())
      .Member("H", -0.0)
      .Member("I", 0)
      .Member("J", -2147483647 - 1)
      .Member("K", true)
      .Member("L", false)
      .Member("M", "");
  w.Key("N").BeginArray().EndArray();
  w.Key("O").BeginObject().EndObject();
  w.Key("P").BeginArray().Int(1).String("x").BeginObject().Member("k", 2).EndObject().Bool(false).EndArray();
  w.Key("Q").Int(std::numeric_limits<int64_t>::min());
  w.EndObject();
  json expected = {{"A", odd},
                   {"B", utf8},
                   {"C", 0.1},
                   {"D", 1764900000.0},
                   {"E", 1764900000.123},
                   {"F", -1e300},
                   {"G", std::numeric_limits<double>::quiet_NaN()},
                   {"H", -0.0},
                   {"I", 0},
                   {"J", -2147483647 - 1},
                   {"K", true},
                   {"L", false},
                   {"M", ""},
                   {"N", json::array()},
                   {"O", json::object()},
                   {"P", {1, "x", {{"k", 2}}, false}},
                   {"Q", std::numeric_limits<int64_t>::min()}};
  EXPECT_EQ(w.str(), expected.dump());
}

TEST(JsonWriterTest, RefusesKeysOutOfByteOrderAndMisplacedValues) {
  JsonWriter w;
  w.BeginObject().Member("InstanceId", "i-1");
  EXPECT_THROW(w.Member("InstalledCount", 1), std::logic_error);  // "Instal" < "Instan"
  EXPECT_THROW(w.Member("InstanceId", "again"), std::logic_error);
  EXPECT_THROW(w.Int(1), std::logic_error);  // no key
  JsonWriter a;
  a.BeginArray();
  EXPECT_THROW(a.Key("k"), std::logic_error);
  EXPECT_THROW(a.EndObject(), std::logic_error);
  // Keys are ordered per object, not across them.
  JsonWriter nested;
  nested.BeginObject().Key("b").BeginObject().Member("z", 1).EndObject().Member("c", 2).EndObject();
  EXPECT_EQ(nested.str(), R"({"b":{"z":1},"c":2})");
}

TEST(JsonWriterTest, InvalidUtf8IsRefusedAsNlohmannRefusesIt) {
  JsonWriter w;
  w.BeginArray();
  EXPECT_THROW(w.String("bad \xff byte"), json::type_error);
}

}  // namespace
}  // namespace fleetpatch::emulator
