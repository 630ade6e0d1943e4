#include "models/reinit.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace entcam {
namespace {

int64_t receptive_field(const torch::Tensor& w) {
  int64_t r = 1;
  for (int64_t d = 2; d < w.dim(); ++d) r *= w.size(d);
  return r;
}

// Draws on the CPU from `gen`, then copies into the parameter wherever it lives.
void fill_from(torch::Tensor& t, const torch::Tensor& values) {
  torch::NoGradGuard no_grad;
  t.copy_(values.to(t.device(), t.scalar_type()));
}

}  // namespace

at::Generator seeded_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

void init_kaiming_normal_fan_out(torch::Tensor& weight, at::Generator& gen) {
  const double fan_out = double(weight.size(0) * receptive_field(weight));
  const double std = std::sqrt(2.0) / std::sqrt(fan_out);
  fill_from(weight, torch::empty(weight.sizes(), torch::kFloat32).normal_(0.0, std, gen));
}

void init_torch_default(torch::Tensor& weight, torch::Tensor& bias, at::Generator& gen) {
  const double fan_in = double((weight.dim() > 1 ? weight.size(1) : 1) * receptive_field(weight));
  const double bound = 1.0 / std::sqrt(fan_in);
  fill_from(weight, torch::empty(weight.sizes(), torch::kFloat32).uniform_(-bound, bound, gen));
  if (bias.defined()) fill_from(bias, torch::empty(bias.sizes(), torch::kFloat32).uniform_(-bound, bound, gen));
}

void init_batchnorm(torch::Tensor& weight, torch::Tensor& bias, torch::Tensor& running_mean,
                    torch::Tensor& running_var) {
  torch::NoGradGuard no_grad;
  if (weight.defined()) weight.fill_(1.0);
  if (bias.defined()) bias.zero_();
  if (running_mean.defined()) running_mean.zero_();
  if (running_var.defined()) running_var.fill_(1.0);
}

}  // namespace entcam
