#include "models/classifier.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

#include "core/error.h"
#include "models/batch_norm_fold.h"
#include "models/registry.h"
#include "models/reinit.h"

namespace entcam {

void Classifier::check_layer(const std::string& layer) const {
  const auto names = layers();
  if (std::find(names.begin(), names.end(), layer) != names.end()) return;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw InputError("--layer '" + layer + "' is not a layer of " + description() + " (expected one of: " + list + ")");
}

std::unique_ptr<Classifier> Classifier::clone() const {
  auto* self = const_cast<Classifier*>(this);
  torch::nn::Module* source = self->module();
  if (!source)
    throw InputError(description() + ": this model kind cannot be copied for parameter randomisation (metrics.sanity)");
  const auto meta = metadata();
  const auto arch = meta.find("entcam.arch");
  if (arch == meta.end()) throw InputError(description() + ": no architecture in its metadata; cannot copy it");
  // Building the copy draws its (overwritten) initial weights from the global generator:
  // put that generator back so that a copy leaves no trace in later random draws.
  auto global = at::detail::getDefaultCPUGenerator();
  const auto state = global.get_state();
  std::unique_ptr<Classifier> copy = create_model(ModelShape{arch->second, num_classes(), meta}, description());
  global.set_state(state);
  copy->to(device());
  torch::NoGradGuard no_grad;
  auto dst_p = copy->module()->named_parameters(), dst_b = copy->module()->named_buffers();
  for (const auto& p : source->named_parameters()) dst_p[p.key()].copy_(p.value());
  for (const auto& b : source->named_buffers()) dst_b[b.key()].copy_(b.value());
  copy->set_description(description());
  return copy;
}

int64_t Classifier::randomize_layer(const std::string& layer, uint64_t seed) {
  torch::nn::Module* root = module();
  if (!root)
    throw InputError(description() + ": this model kind cannot re-initialise layer '" + layer +
                     "' for parameter randomisation (metrics.sanity)");
  if (layer != "classifier") check_layer(layer);
  // The layer's own child module; "classifier" = the children registered after the last layer.
  const std::vector<std::string> names = layers();
  std::vector<std::shared_ptr<torch::nn::Module>> targets;
  bool after_last = false;
  for (const auto& child : root->named_children()) {
    if (layer == "classifier" ? after_last : child.key() == layer) targets.push_back(child.value());
    if (!names.empty() && child.key() == names.back()) after_last = true;
  }
  at::Generator gen = seeded_generator(seed);
  int64_t count = 0;
  for (const auto& target : targets)
    for (const auto& m : target->modules(/*include_self=*/true)) {
      if (auto* conv = m->as<torch::nn::Conv2d>()) {
        init_kaiming_normal_fan_out(conv->weight, gen);
        count += 1;
        if (conv->bias.defined()) {
          torch::NoGradGuard no_grad;
          conv->bias.zero_();
          count += 1;
        }
      } else if (auto bn = batch_norm_tensors(*m)) {
        init_batchnorm(bn->weight, bn->bias, bn->running_mean, bn->running_var);
        count += 2;
      } else if (auto* fc = m->as<torch::nn::Linear>()) {
        init_torch_default(fc->weight, fc->bias, gen);
        count += fc->bias.defined() ? 2 : 1;
      }
    }
  return count;
}

}  // namespace entcam
