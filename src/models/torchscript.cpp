#include "models/torchscript.h"

#include <torch/script.h>

#include <optional>
#include <set>

#include "core/error.h"
#include "models/reinit.h"

namespace entcam {
namespace {

// A TorchScript method's result must be one tensor of the rank docs/spec.md §1 gives.
torch::Tensor checked_output(const c10::IValue& v, int64_t rank, const std::string& method, const std::string& path) {
  const char* expected = rank == 4 ? "[B,K,h,w]" : "[B,C]";
  if (!v.isTensor())
    throw file_error(path, "TorchScript " + method + "() returned a " + v.tagKind() + "; expected one tensor " + expected);
  torch::Tensor t = v.toTensor();
  if (t.dim() != rank) {
    std::string dims;
    for (int64_t d : t.sizes()) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
    throw file_error(path, "TorchScript " + method + "() returned a tensor of shape [" + dims + "]; expected " + expected);
  }
  return t;
}

class TorchScriptClassifier : public Classifier {
 public:
  TorchScriptClassifier(torch::jit::Module module, std::string path, InputSpec input)
      : module_(std::move(module)), path_(std::move(path)), input_(input) {
    for (const char* method : {"features", "head"})
      if (!module_.find_method(method))
        throw file_error(path_, std::string("TorchScript module has no method '") + method +
                                    "' (expected features(x) -> [B,K,h,w] and head(a) -> [B,C])");
    module_.eval();
  }
  torch::Tensor forward(const torch::Tensor& x) override { return head(features(x, "features"), "features"); }
  torch::Tensor predict(const torch::Tensor& x) override {
    torch::NoGradGuard no_grad;
    if (!inference_tried_) inference_ = optimised_copy(), inference_tried_ = true;
    if (!inference_) return forward(x);
    // The optimised copy reorders inputs for oneDNN itself; it is fastest from NCHW.
    torch::Tensor a = checked_output(inference_->get_method("features")({x.contiguous()}), 4, "features", path_);
    return checked_output(inference_->get_method("head")({a}), 2, "head", path_);
  }
  torch::Tensor features(const torch::Tensor& x, const std::string& layer) override {
    check_layer(layer);
    return checked_output(module_.get_method("features")({x}), 4, "features", path_);
  }
  torch::Tensor head(const torch::Tensor& a, const std::string& layer) override {
    check_layer(layer);
    return checked_output(module_.get_method("head")({a}), 2, "head", path_);
  }
  std::vector<std::string> layers() const override { return {"features"}; }
  std::string default_layer() const override { return "features"; }
  int64_t num_classes() const override {
    if (num_classes_ < 0) {
      torch::NoGradGuard g;
      auto logits = const_cast<TorchScriptClassifier*>(this)->forward(
          torch::zeros({1, 3, input_.size, input_.size}, torch::TensorOptions().device(device())));
      num_classes_ = logits.size(1);
    }
    return num_classes_;
  }
  InputSpec input_spec() const override { return input_; }
  void to(const torch::Device& device) override {
    module_.to(device);
    forget_optimised_copy();
  }
  torch::Device device() const override {
    for (const auto& p : module_.parameters()) return p.device();
    return torch::kCPU;
  }

  std::unique_ptr<Classifier> clone() const override {
    auto copy = std::make_unique<TorchScriptClassifier>(module_.deepcopy(), path_, input_);
    copy->set_description(description());
    return copy;
  }

  // "classifier" = the parameters head(a) uses (found by differentiating head's output
  // with respect to every parameter), "features" = all others. PyTorch's default
  // initialisers, by module kind: Conv*d / Linear reset_parameters(), BatchNorm weight 1,
  // bias 0 and fresh running statistics; a parameter of any other module: Kaiming-uniform
  // (a = sqrt(5)) when it has 2 or more dimensions, else 0.
  int64_t randomize_layer(const std::string& layer, uint64_t seed) override {
    if (layer != "classifier") check_layer(layer);
    forget_optimised_copy();
    const std::set<const void*> head = head_parameters();
    auto in_layer = [&](const torch::Tensor& t) {
      return t.defined() && (head.count(t.unsafeGetTensorImpl()) > 0) == (layer == "classifier");
    };
    at::Generator gen = seeded_generator(seed);
    std::set<const void*> done;
    for (const auto& sub : module_.named_modules()) {
      const std::string kind = sub.value.type()->name() ? sub.value.type()->name()->qualifiedName() : "";
      const bool conv_or_linear = kind.find(".Conv") != std::string::npos || kind.find(".Linear") != std::string::npos;
      const bool batchnorm = kind.find(".BatchNorm") != std::string::npos;
      if (!conv_or_linear && !batchnorm) continue;
      auto get = [&](const char* attr) {
        return sub.value.hasattr(attr) && sub.value.attr(attr).isTensor() ? sub.value.attr(attr).toTensor() : torch::Tensor();
      };
      torch::Tensor w = get("weight"), b = get("bias");
      if (!in_layer(w)) continue;
      if (batchnorm) {
        torch::Tensor mean = get("running_mean"), var = get("running_var");
        init_batchnorm(w, b, mean, var);
      } else {
        init_torch_default(w, b, gen);
      }
      done.insert(w.unsafeGetTensorImpl());
      if (b.defined()) done.insert(b.unsafeGetTensorImpl());
    }
    torch::NoGradGuard no_grad;
    for (auto p : module_.parameters()) {
      if (!in_layer(p) || done.count(p.unsafeGetTensorImpl())) continue;
      if (p.dim() >= 2) {
        torch::Tensor no_bias;
        init_torch_default(p, no_bias, gen);
      } else {
        p.zero_();
      }
      done.insert(p.unsafeGetTensorImpl());
    }
    return int64_t(done.size());
  }

 private:
  // torch.jit.freeze + optimize_for_inference of a copy (python's names): weights become
  // constants, batch norms fold into the convolutions before them, and oneDNN runs them
  // fused, 1.4x faster for ResNet-18 on 2 CPU cores. nullopt when the module cannot be frozen
  // (predict() then runs the module itself).
  std::optional<torch::jit::Module> optimised_copy() const {
    try {
      torch::jit::Module copy = module_.deepcopy();
      copy.eval();
      const std::vector<std::string> methods{"features", "head"};
      torch::jit::Module frozen = torch::jit::freeze(copy, methods);
      return torch::jit::optimize_for_inference(frozen, methods);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  void forget_optimised_copy() {
    inference_.reset();
    inference_tried_ = false;
  }

  std::set<const void*> head_parameters() const {
    InputSpec s = input_spec();
    torch::Tensor a;
    {
      torch::NoGradGuard g;
      a = module_.get_method("features")({torch::zeros({1, 3, s.size, s.size}, torch::TensorOptions().device(device()))})
              .toTensor();
    }
    std::vector<torch::Tensor> params;
    std::vector<bool> had_grad;
    for (auto p : module_.parameters()) {
      params.push_back(p);
      had_grad.push_back(p.requires_grad());
      p.requires_grad_(true);
    }
    std::set<const void*> out;
    {
      torch::AutoGradMode on(true);
      torch::Tensor y = module_.get_method("head")({a}).toTensor().sum();
      auto grads = torch::autograd::grad({y}, params, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                         /*create_graph=*/false, /*allow_unused=*/true);
      for (size_t i = 0; i < params.size(); ++i)
        if (grads[i].defined()) out.insert(params[i].unsafeGetTensorImpl());
    }
    for (size_t i = 0; i < params.size(); ++i) params[i].requires_grad_(had_grad[i]);
    return out;
  }
  mutable torch::jit::Module module_;
  std::string path_;
  InputSpec input_;
  mutable int64_t num_classes_ = -1;
  std::optional<torch::jit::Module> inference_;  // optimised_copy(), made on the first predict()
  bool inference_tried_ = false;
};

// scripts/export_torchscript.py stores the model's input transform as module attributes
// (entcam_input_size, entcam_crop_pct, entcam_mean, entcam_std); a module without them gets
// the registry's defaults.
InputSpec exported_input(const torch::jit::Module& module, InputSpec spec, const std::string& path) {
  try {
    if (module.hasattr("entcam_input_size")) spec.size = module.attr("entcam_input_size").toInt();
    if (module.hasattr("entcam_crop_pct")) spec.crop_pct = module.attr("entcam_crop_pct").toDouble();
    for (auto [name, target] : {std::pair{"entcam_mean", &spec.mean}, std::pair{"entcam_std", &spec.std}}) {
      if (!module.hasattr(name)) continue;
      const std::vector<double> v = module.attr(name).toDoubleVector();
      if (v.size() != 3)
        throw file_error(path, std::string(name) + " has " + std::to_string(v.size()) + " values; expected 3 (R, G, B)");
      for (size_t c = 0; c < 3; ++c) (*target)[c] = float(v[c]);
    }
  } catch (const c10::Error&) {
    throw file_error(path, "entcam_* input attributes of the wrong type; expected int size, float crop_pct, "
                           "lists of 3 floats for mean and std");
  }
  if (spec.size <= 0 || spec.crop_pct <= 0 || spec.crop_pct > 1)
    throw file_error(path, "entcam_input_size/entcam_crop_pct out of range; expected size > 0 and 0 < crop_pct <= 1");
  return spec;
}

}  // namespace

std::unique_ptr<Classifier> load_torchscript(const ModelEntry& entry, const std::string& path,
                                             const std::string& description) {
  torch::jit::Module module;
  try {
    module = torch::jit::load(path);
  } catch (const c10::Error& e) {
    throw file_error(path, "not a loadable TorchScript module: " + std::string(e.what_without_backtrace()));
  }
  const InputSpec input = exported_input(module, entry.input, path);
  auto model = std::make_unique<TorchScriptClassifier>(std::move(module), path, input);
  model->set_description(description);
  return model;
}

}  // namespace entcam
