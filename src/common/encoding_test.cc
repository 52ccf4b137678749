#include "common/encoding.h"

#include <gtest/gtest.h>

namespace fleetpatch {
namespace {

TEST(Encoding, HexRoundTrip) {
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(HexDecode("0001ABff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
  EXPECT_EQ(HexDecode(""), "");
}

TEST(Encoding, Base64Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), plain);
  }
  EXPECT_EQ(Base64Decode("Zm9v\nYmFy"), "foobar");
  EXPECT_EQ(Base64Decode("Zg"), "f");  // padding optional
  EXPECT_FALSE(Base64Decode("Zm9v!"));
  EXPECT_FALSE(Base64Decode("Z"));
  EXPECT_FALSE(Base64Decode("Zg==Zg=="));
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(Base64Decode(Base64Encode(all)), all);
}

TEST(Encoding, UriEncodeUsesUnreservedSet) {
  EXPECT_EQ(UriEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UriEncode("a b+c/d=e&f%"), "a%20b%2Bc%2Fd%3De%26f%25");
  EXPECT_EQ(UriEncode("/a b/c", true), "/a%20b/c");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4"), "%E1%88%B4");
}

TEST(Encoding, UriDecode) {
  EXPECT_EQ(UriDecode("a%20b%2fc%E1%88%B4"), "a b/c\xe1\x88\xb4");
  EXPECT_EQ(UriDecode("a+b"), "a+b");
  EXPECT_EQ(FormDecode("a+b%2B"), "a b+");
  EXPECT_EQ(UriDecode("100%"), "100%");    // stray '%' kept
  EXPECT_EQ(UriDecode("%zz%4"), "%zz%4");  // invalid escapes kept
}

}  // namespace
}  // namespace fleetpatch
