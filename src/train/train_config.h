#pragma once
// Everything a training run is configured by, as a plain struct (the runner fills it from
// the experiment YAML). `config_hash()` covers every field that changes the numbers, so a
// resume with a different configuration is refused instead of silently mixing two runs.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "models/registry.h"

namespace entcam {

struct TrainConfig {
  // Model: built from `model` through the model registry (its num_classes is set from the
  // data); `init_weights`, when
  // set, is a safetensors file (e.g. ImageNet weights) loaded first; `fc.` is re-initialised
  // when its shape differs (a different number of classes), and that is logged.
  ModelShape model;
  std::filesystem::path init_weights;

  // Optimiser: "sgd" (momentum, optional Nesterov) or "adamw".
  std::string optimizer = "sgd";
  double lr = 0.05;
  double momentum = 0.9;
  bool nesterov = true;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // AdamW
  double weight_decay = 5e-4;  // applied to conv/linear weights only, not to BatchNorm or biases

  // Schedule, evaluated per step: linear warm-up from 0 over `warmup_epochs`, then
  // "cosine" (down to min_lr at the end), "step" (x step_gamma every step_epochs) or "constant".
  std::string schedule = "cosine";
  double warmup_epochs = 1.0;
  double min_lr = 0.0;
  int64_t step_epochs = 10;
  double step_gamma = 0.1;

  double label_smoothing = 0.0;
  int64_t epochs = 10;
  int64_t batch_size = 32;
  // Parameters (and BatchNorm statistics) whose name starts with one of these prefixes stay
  // fixed during the first `freeze_epochs` epochs. Prefixes are matched as strings: "block1."
  // is block1 only, "block1" is block1 and block10-block12.
  std::vector<std::string> freeze_prefixes;
  int64_t freeze_epochs = 0;
  uint64_t seed = 0;

  // Device: "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".
  std::string device = "auto";
  int threads = 0;  // CPU intra-op threads; 0 = leave LibTorch's setting alone
  // CUDA only (ignored with a note on CPU).
  bool cudnn_benchmark = false;
  bool channels_last = false;
  std::string precision = "fp32";  // "fp32" | "bf16" | "fp16" (fp16 with dynamic loss scaling)

  // Output: checkpoints and the JSON log go here. `resume` continues from last.* when present.
  std::filesystem::path out_dir;
  bool resume = false;
  // Run at most this many epochs in this call (0 = all). Models an interruption in tests and
  // lets a caller split a run across time budgets; a later `resume` finishes it.
  int64_t max_epochs_this_call = 0;
  bool progress = true;

  // Throws InputError naming the field when a value is out of range or unknown.
  void validate() const;
  // Hex SHA-256 of every field that changes the trained weights (not device options, paths,
  // progress or max_epochs_this_call).
  std::string config_hash() const;
};

}  // namespace entcam
