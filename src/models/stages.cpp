#include "models/stages.h"

#include "core/error.h"

namespace entcam {

std::vector<std::string> stage_names(const Stages& stages) {
  std::vector<std::string> names;
  for (const auto& s : stages) names.push_back(s.first);
  return names;
}

size_t stage_index(const Stages& stages, const std::string& layer, const std::string& network) {
  for (size_t i = 0; i < stages.size(); ++i)
    if (stages[i].first == layer) return i;
  throw InputError(network + " has no layer '" + layer + "'");
}

torch::Tensor run_stages(const Stages& stages, torch::Tensor x, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) x = stages[i].second(x);
  return x;
}

void init_conv_bn(torch::nn::Module& module) {
  namespace nn = torch::nn;
  for (auto& m : module.modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto bn = batch_norm_tensors(*m)) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    }
  }
}

}  // namespace entcam
