#pragma once
// Helpers for suites that use LibTorch: fixtures as tensors, normalised comparisons.
#include <torch/torch.h>

#include <string>

#include "core/npy.h"
#include "support/test_support.h"

namespace entcam::test {

inline std::string fixture(const std::string& name) { return (source_dir() / "tests" / "fixtures" / name).string(); }

inline torch::Tensor load_npy_tensor(const std::string& path) {
  NpyArray a = read_npy(path);
  return torch::from_blob(a.data.data(), a.shape, torch::kFloat32).clone();
}

// Max |a - b| after min-max normalising each [h,w] map (docs/spec.md §2's comparison).
inline double normalized_max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  auto norm = [](torch::Tensor m) {
    auto flat = m.reshape({m.size(0), -1}).to(torch::kFloat64);
    auto lo = std::get<0>(flat.min(1, true)), hi = std::get<0>(flat.max(1, true));
    auto r = hi - lo;
    return torch::where(r > 0, (flat - lo) / torch::where(r > 0, r, torch::ones_like(r)), torch::zeros_like(flat));
  };
  return (norm(a) - norm(b)).abs().max().item<double>();
}

}  // namespace entcam::test
