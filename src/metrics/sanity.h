#pragma once
// Sanity checks for saliency maps (docs/spec.md §3 "Sanity checks"): does a method's map depend on
// the model's parameters (MPRT, Adebayo et al. 2018; Quantus randomisation/mprt.py) and on
// the explained class (random logit, Sixt et al. 2020; Quantus randomisation/random_logit.py)?
// The model is never altered: MPRT randomises a copy.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cam/engine.h"
#include "models/classifier.h"

namespace entcam {

struct SanityOptions {
  CamOptions cam;               // how the maps are computed
  int64_t images_per_pass = 16; // images per forward/backward pass
  uint64_t seed = 42;           // layer re-initialisations and the random other class
  bool mprt = true;
  bool random_logit = true;
};

// MPRT's cascade, top-down: "classifier", then the model's layers() from the last to the first.
std::vector<std::string> mprt_cascade(const Classifier& model);

// The other class of the random-logit check: uniform over the C - 1 classes != cls, drawn by
// SplitMix64 from mix_seed(seed, image_key). Needs num_classes >= 2.
int64_t random_other_class(int64_t cls, int64_t num_classes, uint64_t seed, uint64_t image_key);

struct SanityMethodResult {
  // MPRT, per cascade step (SanityResult::layers) and image: similarity of the map after the
  // step with the original one.
  std::vector<std::vector<double>> spearman, ssim;
  std::vector<double> random_logit_ssim;  // per image
};

struct SanityResult {
  std::vector<std::string> layers;          // the cascade (empty when MPRT is off)
  std::vector<int64_t> other_classes;       // per image (empty when random logit is off)
  std::map<std::string, SanityMethodResult> methods;
};

// Both checks for images `input` [N,3,H,W] (network input) explaining `classes` [N] at
// `layer`. Maps are compared at the input's size, prepared as every map (docs/spec.md §3: resized,
// min-max normalised), then as Quantus: |a| / max|a|. `image_keys` (one per image, e.g. the
// dataset sample index) seed the random other class. A layer without parameters leaves the
// model as it was: its step repeats the previous values without recomputing the maps.
// `known_maps`: the methods' maps [N,h,w] for exactly these images and classes, as
// run_methods returned them (the explain stage has them already); computed when a method's
// are missing.
SanityResult sanity_checks(const Classifier& model, const torch::Tensor& input, const torch::Tensor& classes,
                           const std::vector<uint64_t>& image_keys, const std::string& layer,
                           const std::vector<const CamMethod*>& methods, const SanityOptions& opt,
                           const std::map<std::string, torch::Tensor>& known_maps = {});

}  // namespace entcam
