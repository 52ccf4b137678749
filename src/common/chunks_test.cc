#include "common/chunks.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace fleetpatch {
namespace {

TEST(Chunks, CutsInOrderWithAShorterLastChunk) {
  const std::vector<int> v = {1, 2, 3, 4, 5};
  EXPECT_EQ(Chunks(v, 2), (std::vector<std::vector<int>>{{1, 2}, {3, 4}, {5}}));
  EXPECT_EQ(Chunks(v, 5), (std::vector<std::vector<int>>{{1, 2, 3, 4, 5}}));
  EXPECT_EQ(Chunks(v, 50), (std::vector<std::vector<int>>{{1, 2, 3, 4, 5}}));
  EXPECT_TRUE(Chunks(std::vector<int>{}, 3).empty());
  EXPECT_EQ(v.size(), 5u) << "the copying form leaves its input alone";
}

TEST(Chunks, TheMovingFormMovesEachItemOnceAndFreesItsInput) {
  std::vector<std::unique_ptr<std::string>> v;
  for (const char* s : {"a", "b", "c"}) v.push_back(std::make_unique<std::string>(s));
  const std::string* b = v[1].get();
  auto chunks = Chunks(std::move(v), 2);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0][1].get(), b) << "moved, not copied";
  EXPECT_EQ(*chunks[1][0], "c");
  EXPECT_EQ(v.capacity(), 0u);  // NOLINT(bugprone-use-after-move): consumed, its buffer freed
}

}  // namespace
}  // namespace fleetpatch
