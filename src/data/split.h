#pragma once
// Reproducible stratified train/test splits. The RNG and the shuffle are our own so the
// split is the same with every standard library (std::shuffle and the std distributions
// are implementation-defined).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace entcam {

// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, fully specified output.
struct SplitMix64 {
  uint64_t state;
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
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

// A seed derived from several values (e.g. seed, epoch, sample index), order-sensitive.
uint64_t mix_seed(uint64_t a, uint64_t b, uint64_t c = 0);

// Fisher-Yates with SplitMix64.
template <class T>
void seeded_shuffle(std::vector<T>& v, SplitMix64& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[size_t(rng.below(i))]);
}

struct Split {
  std::vector<size_t> train, test;  // indices into Dataset::samples
};

// Per class: shuffle its samples, the first round(n * train_fraction) go to train (at least
// one to each side when the class has two or more samples).
Split stratified_split(const Dataset& ds, double train_fraction, uint64_t seed);

// split.json = {"dataset", "seed", "train_fraction", "classes": [...],
//   "train": [{"id", "class"}...], "test": [...]}. When `path` exists and matches the
// dataset (same ids and classes), it is reused; otherwise a fresh split is computed and
// written atomically. A split.json that is malformed throws InputError naming it.
Split load_or_make_split(const Dataset& ds, const std::filesystem::path& path, double train_fraction, uint64_t seed);

}  // namespace entcam
