#pragma once
// The inputs of `explain` and `predict`: image files (eval transform of the model) or a
// .npy batch fed as is.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "models/classifier.h"

namespace entcam::cli {

struct Inputs {
  torch::Tensor batch;              // [N,3,H,W] as fed to the network
  std::vector<std::string> stems;   // output name per item
  std::vector<cv::Mat> images;      // RGB crops that were fed (only for --image)
};

// Exactly one of `images` / `tensor` is non-empty (InputError otherwise).
Inputs load_inputs(const std::vector<std::string>& images, const std::string& tensor, const InputSpec& spec);

// The options explain and predict share: --model, --image..., --tensor, --device.
struct ModelInputArgs {
  std::string model, tensor, device = "auto";
  std::vector<std::string> images;
};
void add_model_input_options(CLI::App* sub, ModelInputArgs& args);

// "auto" -> cuda when available, else cpu; "cpu"; "cuda" / "cuda:N".
torch::Device parse_device(const std::string& text);

}  // namespace entcam::cli
