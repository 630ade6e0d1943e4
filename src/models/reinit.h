#pragma once
// Seeded re-initialisation of parameters, for the model-randomisation sanity check
// (Adebayo et al. 2018): the same initialisers a freshly built model uses, drawn from a
// generator of our own so that a randomised copy is reproducible and the global torch RNG
// is left alone.
#include <torch/torch.h>

#include <cstdint>

namespace entcam {

// A CPU generator seeded with `seed`.
at::Generator seeded_generator(uint64_t seed);

// Kaiming-normal with fan_out and the ReLU gain: N(0, 2 / (size(0) * receptive field)).
// timm's Xception initialises its convolutions so.
void init_kaiming_normal_fan_out(torch::Tensor& weight, at::Generator& gen);
// PyTorch's reset_parameters() for Conv*d and Linear: weight ~ kaiming_uniform(a = sqrt(5)),
// i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias (when defined) ~ the same bound.
void init_torch_default(torch::Tensor& weight, torch::Tensor& bias, at::Generator& gen);
// BatchNorm's reset_parameters(): weight 1, bias 0, running mean 0, running variance 1
// (any of them may be undefined).
void init_batchnorm(torch::Tensor& weight, torch::Tensor& bias, torch::Tensor& running_mean,
                    torch::Tensor& running_var);

}  // namespace entcam
