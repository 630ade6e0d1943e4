#pragma once
// How images become the network's input (timm's pretrained_cfg fields). The one
// description that the loader, explain/predict, the faithfulness metrics and the figures
// all read; each model architecture gives its own (models/registry.h).
#include <array>
#include <cstdint>

namespace entcam {

struct InputSpec {
  int64_t size = 299;        // square input side, pixels
  double crop_pct = 0.8975;  // eval: resize the shorter side to floor(size / crop_pct), centre-crop size
  // x_net = (rgb / 255 - mean) / std per channel (R, G, B). Xception: 0.5 everywhere.
  std::array<float, 3> mean{0.5f, 0.5f, 0.5f};
  std::array<float, 3> std{0.5f, 0.5f, 0.5f};
};

}  // namespace entcam
