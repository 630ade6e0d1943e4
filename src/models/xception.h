#pragma once
// Xception exactly as timm's `legacy_xception` (huggingface/pytorch-image-models,
// timm/models/xception.py): same module tree, parameter and buffer names, forward.
// `xception-mini` is the same architecture with every channel count divided by a width
// divisor, a configurable middle flow and an optional output stride of 16.
#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "models/batch_norm_fold.h"
#include "models/registry.h"

namespace entcam {

struct XceptionConfig {
  int64_t num_classes = 1000;
  int64_t width_divisor = 1;  // 1 = Xception; e.g. 4 for xception-mini
  int64_t middle_blocks = 8;  // blocks of the middle flow (timm: block4..block11)
  int64_t output_stride = 32; // 32 as Xception, or 16: the exit block keeps its resolution
  int64_t input_size = 299;

  bool is_standard() const { return width_divisor == 1 && middle_blocks == 8 && output_stride == 32; }
  int64_t channels(int64_t full) const;  // full-width channel count divided by the width divisor
  // Shape parameters as safetensors metadata, and back (InputError naming `file` when malformed).
  std::map<std::string, std::string> to_metadata() const;
  static XceptionConfig from_metadata(const std::map<std::string, std::string>& meta, const std::string& file);
  void validate() const;
};

struct SeparableConv2dImpl : torch::nn::Module {
  SeparableConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv1{nullptr};      // depthwise
  torch::nn::Conv2d pointwise{nullptr};  // 1x1
};
TORCH_MODULE(SeparableConv2d);

// timm's Block: `rep` holds [ReLU, SeparableConv2d, BatchNorm2d] x reps (the leading ReLU
// dropped when start_with_relu is false) and a MaxPool2d(3, stride, 1) when stride != 1,
// so that parameter names such as `block1.rep.0.conv1.weight` match timm's.
struct BlockImpl : torch::nn::Module {
  BlockImpl(int64_t in, int64_t out, int64_t reps, int64_t stride, bool start_with_relu, bool grow_first);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Sequential rep{nullptr};
  torch::nn::Conv2d skip{nullptr};
  FoldableBatchNorm2d skipbn{nullptr};
};
TORCH_MODULE(Block);

class XceptionImpl : public torch::nn::Module {
 public:
  explicit XceptionImpl(const XceptionConfig& config);
  torch::Tensor forward(const torch::Tensor& x);
  // Runs the stages up to and including `layer`; `forward_from` runs the rest and the head.
  torch::Tensor forward_to(const torch::Tensor& x, const std::string& layer);
  torch::Tensor forward_from(const torch::Tensor& a, const std::string& layer);
  // Target-layer names in forward order: conv1 bn1 act1 conv2 bn2 act2 block1..blockN conv3 bn3 act3 conv4 bn4 act4.
  std::vector<std::string> layer_names() const;
  const XceptionConfig& config() const { return config_; }
  int64_t num_features() const { return config_.channels(2048); }

 private:
  size_t stage_index(const std::string& layer) const;
  torch::Tensor run_stages(torch::Tensor x, size_t begin, size_t end);
  torch::Tensor head(const torch::Tensor& features);

  XceptionConfig config_;
  std::vector<std::pair<std::string, std::function<torch::Tensor(const torch::Tensor&)>>> stages_;
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Xception);

// Wraps an Xception module (eval mode) as a Classifier.
std::unique_ptr<Classifier> xception_classifier(Xception model, std::string description);
// The `xception` and `xception-mini` rows of the model registry: an Xception of the shape
// in `shape.options` (XceptionConfig::from_metadata; none = timm's Xception).
std::unique_ptr<Classifier> create_xception(const ModelShape& shape, const std::string& origin);

}  // namespace entcam
