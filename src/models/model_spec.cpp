#include "models/model_spec.h"

#include <torch/script.h>

#include <filesystem>

#include "core/error.h"
#include "core/safetensors.h"
#include "models/weights.h"

namespace entcam {
namespace {

class XceptionClassifier : public Classifier {
 public:
  XceptionClassifier(Xception model, std::string description)
      : model_(std::move(model)), description_(std::move(description)) {
    model_->eval();
  }
  torch::Tensor forward(const torch::Tensor& x) override { return model_->forward(x); }
  torch::Tensor features(const torch::Tensor& x, const std::string& layer) override {
    return model_->forward_to(x, layer);
  }
  torch::Tensor head(const torch::Tensor& a, const std::string& layer) override {
    return model_->forward_from(a, layer);
  }
  std::vector<std::string> layers() const override { return model_->layer_names(); }
  std::string default_layer() const override { return "act4"; }
  int64_t num_classes() const override { return model_->config().num_classes; }
  InputSpec input_spec() const override {
    InputSpec spec;
    spec.size = model_->config().input_size;
    return spec;
  }
  void to(const torch::Device& device) override { model_->to(device); }
  torch::Device device() const override { return model_->parameters().front().device(); }
  std::string description() const override { return description_; }

 private:
  Xception model_;
  std::string description_;
};

// A TorchScript module with `features(x)` and `head(a)` methods (SPEC §1).
class TorchScriptClassifier : public Classifier {
 public:
  TorchScriptClassifier(torch::jit::Module module, std::string path)
      : module_(std::move(module)), path_(std::move(path)) {
    for (const char* method : {"features", "head"})
      if (!module_.find_method(method))
        throw file_error(path_, std::string("TorchScript module has no method '") + method +
                                    "' (expected features(x) -> [B,K,h,w] and head(a) -> [B,C])");
    module_.eval();
  }
  torch::Tensor forward(const torch::Tensor& x) override { return head(features(x, "features"), "features"); }
  torch::Tensor features(const torch::Tensor& x, const std::string& layer) override {
    check_layer(layer);
    return module_.get_method("features")({x}).toTensor();
  }
  torch::Tensor head(const torch::Tensor& a, const std::string& layer) override {
    check_layer(layer);
    return module_.get_method("head")({a}).toTensor();
  }
  std::vector<std::string> layers() const override { return {"features"}; }
  std::string default_layer() const override { return "features"; }
  int64_t num_classes() const override {
    if (num_classes_ < 0) {
      torch::NoGradGuard g;
      InputSpec s = input_spec();
      auto logits = const_cast<TorchScriptClassifier*>(this)->forward(
          torch::zeros({1, 3, s.size, s.size}, torch::TensorOptions().device(device())));
      num_classes_ = logits.size(1);
    }
    return num_classes_;
  }
  InputSpec input_spec() const override { return InputSpec{}; }
  void to(const torch::Device& device) override { module_.to(device); }
  torch::Device device() const override {
    for (const auto& p : module_.parameters()) return p.device();
    return torch::kCPU;
  }
  std::string description() const override { return "torchscript:" + path_; }

 private:
  mutable torch::jit::Module module_;
  std::string path_;
  mutable int64_t num_classes_ = -1;
};

}  // namespace

std::unique_ptr<Classifier> xception_classifier(Xception model, std::string description) {
  return std::make_unique<XceptionClassifier>(std::move(model), std::move(description));
}

Xception load_xception(const std::string& path, const std::string& arch) {
  SafeTensorsFile file = SafeTensorsFile::load(path);
  const auto& meta = file.metadata();
  std::string file_arch = meta.count("entcam.arch") ? meta.at("entcam.arch") : "";
  std::string use = arch.empty() ? file_arch : arch;
  if (use.empty())
    throw file_error(path, "the file's metadata does not name an architecture (entcam.arch); "
                           "give one: --model xception:" + path);
  if (use != "xception" && use != "xception-mini")
    throw file_error(path, "unknown architecture '" + use + "' (expected xception or xception-mini)");
  XceptionConfig config = XceptionConfig::from_metadata(meta, path);
  if (use == "xception" && file_arch.empty()) config = XceptionConfig{};  // timm weights carry no metadata
  if (!file.contains("fc.weight")) throw file_error(path, "no tensor 'fc.weight': cannot tell the number of classes");
  const auto& fc = file.info("fc.weight");
  if (fc.shape.size() != 2) throw file_error(path, "fc.weight is not a matrix");
  config.num_classes = fc.shape[0];
  Xception model(config);
  load_state(*model, file);
  return model;
}

std::unique_ptr<Classifier> load_classifier(const std::string& spec) {
  std::string arch, path = spec;
  const auto colon = spec.find(':');
  if (colon != std::string::npos) {
    arch = spec.substr(0, colon);
    path = spec.substr(colon + 1);
  }
  if (!arch.empty() && arch != "xception" && arch != "xception-mini" && arch != "torchscript")
    throw InputError("--model '" + spec + "': unknown kind '" + arch +
                     "' (expected xception:FILE, xception-mini:FILE, torchscript:FILE or FILE.safetensors)");
  if (!std::filesystem::exists(path)) throw file_error(path, "model file does not exist");
  if (arch == "torchscript") {
    torch::jit::Module module;
    try {
      module = torch::jit::load(path);
    } catch (const c10::Error& e) {
      throw file_error(path, "not a loadable TorchScript module: " + std::string(e.what_without_backtrace()));
    }
    return std::make_unique<TorchScriptClassifier>(std::move(module), path);
  }
  return xception_classifier(load_xception(path, arch), spec);
}

}  // namespace entcam
