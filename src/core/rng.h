#pragma once
// The project's one random number generator. Ours, not <random>'s engines and
// distributions, so splits, augmentations and bootstrap resamples are identical with every
// standard library.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace entcam {

// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, fully specified output.
struct SplitMix64 {
  uint64_t state;
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  static constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ULL;
  uint64_t next() {
    uint64_t z = (state += kGamma);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Jumps over the next `count` outputs in O(1) (each next() adds kGamma to the state), so
  // parallel consumers of one stream can each start where a sequential one would.
  void skip(uint64_t count) { state += count * kGamma; }
  // Uniform in [0, n) without modulo bias (rejection sampling); n > 0.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int integer(int lo, int hi) { return lo + int(below(uint64_t(hi - lo + 1))); }  // inclusive
};

// Fisher-Yates with SplitMix64 (std::shuffle's algorithm is implementation-defined).
template <class T>
void seeded_shuffle(std::vector<T>& v, SplitMix64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[std::size_t(rng.below(i))]);
}

// Output number `index` (0-based) of SplitMix64 seeded with `seed`, in O(1): one seed per
// (run seed, epoch), so neighbouring epochs and seeds get unrelated streams.
inline uint64_t stream_seed(uint64_t seed, uint64_t index) {
  SplitMix64 r(seed + 0x9E3779B97F4A7C15ULL * index);
  return r.next();
}

// A seed from up to three values (a chain of SplitMix64 outputs): one per (seed, purpose,
// item) for splits, subsets and generated scenes.
inline uint64_t mix_seed(uint64_t a, uint64_t b, uint64_t c = 0) {
  SplitMix64 r(a);
  SplitMix64 r2(r.next() ^ b);
  SplitMix64 r3(r2.next() ^ c);
  return r3.next();
}

}  // namespace entcam
