// Chunks: a list cut into consecutive pieces of at most n, the one way every batched AWS call
// (50 instance ids, 100 statuses, 200 snapshot ids ...) and every batch of work is cut.
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <vector>

namespace fleetpatch {

// `v` in chunks of at most `n` (n >= 1), in order; none for an empty `v`. Copied, or moved out of
// a `v` that is consumed (its buffer freed, so a large listing is not held twice).
template <class T>
std::vector<std::vector<T>> Chunks(const std::vector<T>& v, size_t n) {
  std::vector<std::vector<T>> out;
  for (size_t i = 0; i < v.size(); i += n) {
    out.emplace_back(v.begin() + static_cast<std::ptrdiff_t>(i),
                     v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), i + n)));
  }
  return out;
}
template <class T>
std::vector<std::vector<T>> Chunks(std::vector<T>&& v, size_t n) {
  std::vector<std::vector<T>> out;
  for (size_t i = 0; i < v.size(); i += n) {
    out.emplace_back(
        std::make_move_iterator(v.begin() + static_cast<std::ptrdiff_t>(i)),
        std::make_move_iterator(v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), i + n))));
  }
  std::vector<T>().swap(v);
  return out;
}

}  // namespace fleetpatch
