#pragma once
// Runs CAM methods over a batch: one forward pass to the target layer, one backward pass
// from the class scores to it, then every selected method on the same A and G.
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "cam/methods.h"
#include "models/classifier.h"

namespace entcam {

// What the target layer saw for one batch.
struct LayerCapture {
  std::string layer;
  torch::Tensor input;    // [B,3,H,W]
  torch::Tensor A;        // activations [B,K,h,w]
  torch::Tensor G;        // dy^c/dA [B,K,h,w]
  torch::Tensor logits;   // [B,C]
  torch::Tensor classes;  // [B] the explained class per image
  torch::Tensor scores;   // [B] y^c, the logit of that class
};

// `classes`: [B] explicit classes, or undefined to explain the top-scoring class.
// Throws InputError when a class is outside 0..C-1.
LayerCapture capture_layer(Classifier& model, const torch::Tensor& input, const std::string& layer,
                           const torch::Tensor& classes = {});

struct MethodMaps {
  torch::Tensor maps;             // [B,h,w] float32 on CPU, after the final ReLU and clean-up
  std::vector<bool> degenerate;   // all zero or non-finite before clean-up
  double seconds = 0.0;           // wall time for the batch
};

struct CamOptions {
  EntropyOptions entropy;
  int64_t batch_size = 32;
  std::string score_cam_variant = "wang";
};

// Runs each method on the capture. `model` is needed only by score_cam and ablation_cam.
std::map<std::string, MethodMaps> run_methods(const LayerCapture& capture,
                                              const std::vector<const CamMethod*>& methods,
                                              const CamOptions& options, Classifier* model);

// The engine's clean-up, shared by all methods: non-finite values become 0, then ReLU.
// Returns the flags (per image) of maps that were all zero or non-finite.
std::vector<bool> clean_maps(torch::Tensor& maps);

// Warnings about settings whose maps carry no spatial information (docs/spec.md §2 note: after a
// global-average-pool head, G is constant over space at the last layer).
std::vector<std::string> setting_warnings(const LayerCapture& capture, const std::vector<const CamMethod*>& methods);

}  // namespace entcam
