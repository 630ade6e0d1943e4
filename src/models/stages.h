#pragma once
// A network written as a list of named stages (its CAM target layers), run whole or split at
// any stage; the Classifier over such a network; and the Kaiming/BN initialisation timm's
// Xception and torchvision's ResNet share.
#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "models/batch_norm_fold.h"
#include "models/classifier.h"

namespace entcam {

using Stage = std::pair<std::string, std::function<torch::Tensor(const torch::Tensor&)>>;
using Stages = std::vector<Stage>;

// Registers `module` on `owner` under `name` and appends it as a stage.
template <typename ModuleHolder>
void add_stage(torch::nn::Module& owner, Stages& stages, const std::string& name, ModuleHolder module) {
  owner.register_module(name, module);
  stages.emplace_back(name, [module](const torch::Tensor& x) mutable { return module->forward(x); });
}

std::vector<std::string> stage_names(const Stages& stages);
// Position of `layer`; InputError "<network> has no layer '<layer>'" when absent.
size_t stage_index(const Stages& stages, const std::string& layer, const std::string& network);
// Runs stages [begin, end) on x.
torch::Tensor run_stages(const Stages& stages, torch::Tensor x, size_t begin, size_t end);

// Kaiming-normal (fan_out, relu) convolutions, BatchNorm weight 1 / bias 0 (timm and
// torchvision both initialise this way); Linear layers keep their default init.
void init_conv_bn(torch::nn::Module& module);

// A staged LibTorch network `Net` (a module holder with forward, forward_to(x, layer),
// forward_from(a, layer), layer_names() and config().num_classes / config().to_metadata())
// as a Classifier, in eval mode. Its module() makes it trainable and saveable.
template <typename Net>
class StagedClassifier : public Classifier {
 public:
  StagedClassifier(Net net, std::string description, std::string default_layer, InputSpec input)
      : net_(std::move(net)), default_layer_(std::move(default_layer)), input_(input) {
    set_description(std::move(description));
    net_->eval();
  }
  torch::Tensor forward(const torch::Tensor& x) override { return net_->forward(x); }
  // The network with its FoldableBatchNorm2d folded, channels-last on the CPU.
  torch::Tensor predict(const torch::Tensor& x) override { return inference_.predict(*this, x); }
  // An unknown layer throws InputError from the network's stage list.
  torch::Tensor features(const torch::Tensor& x, const std::string& layer) override { return net_->forward_to(x, layer); }
  torch::Tensor head(const torch::Tensor& a, const std::string& layer) override { return net_->forward_from(a, layer); }
  std::vector<std::string> layers() const override { return net_->layer_names(); }
  std::string default_layer() const override { return default_layer_; }
  int64_t num_classes() const override { return net_->config().num_classes; }
  InputSpec input_spec() const override { return input_; }
  void to(const torch::Device& device) override { net_->to(device); }
  torch::Device device() const override { return net_->parameters().front().device(); }
  torch::nn::Module* module() override { return net_.get(); }
  std::map<std::string, std::string> metadata() const override { return net_->config().to_metadata(); }

 private:
  Net net_;
  InferenceCopy inference_;
  std::string default_layer_;
  InputSpec input_;
};

}  // namespace entcam
