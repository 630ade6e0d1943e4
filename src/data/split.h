#pragma once
// Reproducible stratified train/test splits. The RNG and the shuffle are our own so the
// split is the same with every standard library (std::shuffle and the std distributions
// are implementation-defined).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/rng.h"
#include "data/dataset.h"

namespace entcam {

struct Split {
  std::vector<size_t> train, test;  // indices into Dataset::samples
};

// Per class: shuffle its samples, the first round(n * train_fraction) go to train (at least
// one to each side when the class has two or more samples).
Split stratified_split(const Dataset& ds, double train_fraction, uint64_t seed);

// split.json = {"dataset", "seed", "train_fraction", "classes": [...],
//   "train": [{"id", "class"[, "source"]}...], "test": [...]}; "source" (each image's source
//   dataset of a pool) when `sample_sources` (one per sample) is given. When `path` exists and matches the
// dataset (same ids and classes), it is reused; otherwise a fresh split is computed and
// written atomically. A split.json that is malformed throws InputError naming it.
Split load_or_make_split(const Dataset& ds, const std::filesystem::path& path, double train_fraction, uint64_t seed,
                         const std::vector<std::string>& sample_sources = {});

}  // namespace entcam
