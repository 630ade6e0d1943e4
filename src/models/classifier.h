#pragma once
// A classifier split at a named layer: the CAM engine runs it up to the target layer,
// takes activations and gradients there, and runs only the rest for the logits.
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/input_spec.h"

namespace entcam {

class Classifier {
 public:
  virtual ~Classifier() = default;
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  // Logits of x for the thousands of gradient-free passes of perturbation methods (Score-CAM's
  // masked inputs). A model may run an inference-optimised copy of itself here (TorchScript:
  // frozen, batch norms folded into convolutions): the same function up to float rounding.
  virtual torch::Tensor predict(const torch::Tensor& x) { return forward(x); }
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
  // What the user named, e.g. "xception:weights.safetensors" (for messages).
  virtual std::string description() const { return description_; }
  void set_description(std::string text) { description_ = std::move(text); }

  // The torch module holding the weights (to train, save or randomise them); nullptr for
  // models that are not LibTorch modules (TorchScript), which cannot be trained.
  virtual torch::nn::Module* module() { return nullptr; }
  // Safetensors metadata that rebuilds this model from its weights: entcam.arch and the
  // architecture's shape keys (models/registry.h).
  virtual std::map<std::string, std::string> metadata() const { return {}; }

  // For the model-randomisation sanity check (metrics/sanity.h), which alters a COPY:
  // a deep copy with its own parameters and buffers, and the re-initialisation of every
  // parameter of `layer` (one of layers(), or "classifier": everything after the last
  // layer) with the model's own initialiser, drawing from `seed`; it returns the number of
  // tensors re-initialised (0: the layer holds no parameters). The defaults work on
  // module() (copy: create_model from metadata(), then every parameter and buffer; layer:
  // the child module of that name) with the initialiser timm's Xception and torchvision's
  // ResNet share: Kaiming-normal (fan_out, ReLU) convolutions, BatchNorm 1 / 0 with fresh
  // running statistics, PyTorch's Linear default; models without module() throw InputError.
  virtual std::unique_ptr<Classifier> clone() const;
  virtual int64_t randomize_layer(const std::string& layer, uint64_t seed);

  // Throws InputError listing the valid layers when `layer` is unknown.
  void check_layer(const std::string& layer) const;

 protected:
  std::string description_;
};

}  // namespace entcam
