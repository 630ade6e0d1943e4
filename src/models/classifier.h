#pragma once
// A classifier split at a named layer: the CAM engine runs it up to the target layer,
// takes activations and gradients there, and runs only the rest for the logits.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace entcam {

// How images are turned into the network's input (timm's pretrained_cfg fields).
struct InputSpec {
  int64_t size = 299;           // square input, pixels
  double crop_pct = 0.8975;     // eval: resize shorter side to size / crop_pct, centre-crop size
  std::vector<double> mean{0.5, 0.5, 0.5};
  std::vector<double> std{0.5, 0.5, 0.5};
  std::string interpolation = "bicubic";
};

class Classifier {
 public:
  virtual ~Classifier() = default;
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  // Output of `layer` (inclusive) for input x.
  virtual torch::Tensor features(const torch::Tensor& x, const std::string& layer) = 0;
  // Logits from the output `a` of `layer`: everything after it.
  virtual torch::Tensor head(const torch::Tensor& a, const std::string& layer) = 0;
  virtual std::vector<std::string> layers() const = 0;
  virtual std::string default_layer() const = 0;
  virtual int64_t num_classes() const = 0;
  virtual InputSpec input_spec() const = 0;
  virtual void to(const torch::Device& device) = 0;
  virtual torch::Device device() const = 0;
  virtual std::string description() const = 0;  // e.g. "xception:weights.safetensors"

  // Throws InputError listing the valid layers when `layer` is unknown.
  void check_layer(const std::string& layer) const;
};

}  // namespace entcam
