#pragma once
// ResNet-50 exactly as torchvision's `resnet50` (pytorch/vision, torchvision/models/resnet.py):
// same module tree, parameter and buffer names (`conv1.weight`, `bn1.running_mean`,
// `layer1.0.downsample.0.weight`, `layer4.2.bn3.weight`, `fc.weight`, ...) and forward
// (ResNet v1.5: the stride of a bottleneck sits on its 3x3 conv2).
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/batch_norm_fold.h"
#include "models/classifier.h"
#include "models/registry.h"
#include "models/stages.h"

namespace entcam {

struct ResNet50Config {
  int64_t num_classes = 1000;
  int64_t input_size = 224;

  // Shape parameters as safetensors metadata (entcam.arch = resnet50), and back
  // (InputError naming `file` when malformed; absent keys keep their defaults).
  std::map<std::string, std::string> to_metadata() const;
  static ResNet50Config from_metadata(const std::map<std::string, std::string>& meta, const std::string& file);
  void validate() const;
};

// torchvision's Bottleneck: 1x1 -> 3x3 (stride) -> 1x1 (x4 channels), each followed by
// BatchNorm; `downsample` (1x1 conv with the stride + BatchNorm) on the identity path when
// the shape changes.
struct BottleneckImpl : torch::nn::Module {
  static constexpr int64_t expansion = 4;
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  FoldableBatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

class ResNet50Impl : public torch::nn::Module {
 public:
  explicit ResNet50Impl(const ResNet50Config& config = {});
  torch::Tensor forward(const torch::Tensor& x);
  // Runs the stages up to and including `layer`; `forward_from` runs the rest and the head.
  torch::Tensor forward_to(const torch::Tensor& x, const std::string& layer);
  torch::Tensor forward_from(const torch::Tensor& a, const std::string& layer);
  // Target-layer names in forward order: conv1 bn1 relu maxpool layer1 layer2 layer3 layer4.
  std::vector<std::string> layer_names() const;
  const ResNet50Config& config() const { return config_; }
  static constexpr int64_t num_features = 2048;

 private:
  torch::Tensor head(const torch::Tensor& features);

  ResNet50Config config_;
  Stages stages_;
  torch::nn::AdaptiveAvgPool2d avgpool{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet50);

// torchvision's eval input: ImageNet mean / std, `size` px, crop 0.875.
InputSpec resnet50_input_spec(int64_t size = 224);

// The `resnet50` row of the model registry (`resnet50:FILE.safetensors`, `model.arch:
// resnet50`): a ResNet50 Classifier (eval mode) of `shape.num_classes` classes with
// torchvision's initialisation; `shape.options` may set entcam.input_size.
std::unique_ptr<Classifier> create_resnet50(const ModelShape& shape, const std::string& origin);

}  // namespace entcam
