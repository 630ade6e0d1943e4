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

// --tensor inputs are fed as they are: refuses a batch whose height or width is too small
// for the model's layers (a one-image trial run when smaller than the model's input size).
void check_input_size(Classifier& model, const torch::Tensor& batch, const std::string& tensor);

// Refuses logits with NaN or infinity (weights or inputs out of range), naming the item.
void check_finite_logits(const torch::Tensor& logits, const std::vector<std::string>& stems, const std::string& model);

// The options explain and predict share: --model, --image..., --tensor, --device.
struct ModelInputArgs {
  std::string model, tensor, device = "auto";
  std::vector<std::string> images;
};
void add_model_input_options(CLI::App* sub, ModelInputArgs& args);

// "auto" -> cuda when available, else cpu; "cpu"; "cuda" / "cuda:N".

}  // namespace entcam::cli
