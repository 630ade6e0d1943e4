#pragma once
// The CAM methods of docs/spec.md §2. Each is a small pure function of the target layer's
// activations A [B,K,h,w], the gradients G = dy^c/dA, and a context; it returns the map
// [B,h,w] before the final ReLU, which the engine applies (with the clean-up of
// non-finite values) to every method alike.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "cam/entropy.h"

namespace entcam {

class Classifier;

struct CamContext {
  EntropyOptions entropy;
  // Only the perturbation methods (score_cam, ablation_cam) use these:
  Classifier* model = nullptr;
  torch::Tensor input;    // [B,3,H,W] as fed to the network
  torch::Tensor classes;  // [B] target class per image
  std::string layer;
  int64_t batch_size = 32;                  // masked inputs / ablated activations per forward pass
  std::string score_cam_variant = "wang";   // "wang" (Wang et al. 2020) or "pytorch-grad-cam"
};

struct CamInputs {
  const torch::Tensor& A;
  const torch::Tensor& G;
  const CamContext& ctx;
};

using CamFunction = torch::Tensor (*)(const CamInputs&);

struct CamMethod {
  const char* id;
  CamFunction map;
  bool one_pass;        // false: runs extra forward passes (score_cam, ablation_cam)
  bool uses_gradients;  // reads G (setting_warnings: a constant G matters only to these)
};

// Every method, in the order reports list them.
const std::vector<CamMethod>& cam_methods();
// Throws InputError naming the id and the valid ids.
const CamMethod& find_cam_method(const std::string& id);
// "all" or "m1,m2" -> methods (validated, duplicates removed, table order kept).
std::vector<const CamMethod*> parse_method_list(const std::string& list);

// Shared building blocks (exposed for tests).
torch::Tensor weighted_sum(const torch::Tensor& weights, const torch::Tensor& A);  // sum_k w_k A^k
torch::Tensor first_principal_projection(const torch::Tensor& M);  // [B,K,h,w] -> [B,h,w], sign-corrected
torch::Tensor channel_entropy(const torch::Tensor& maps, const EntropyOptions& options);  // [B,K,h,w] -> [B,K]

// Perturbation methods (perturbation.cpp).
torch::Tensor score_cam(const CamInputs& in);
torch::Tensor ablation_cam(const CamInputs& in);

}  // namespace entcam
