#pragma once
// Checkpoint files of a training run (see train() in trainer.h for the layout).
//
// The weights file is a plain entcam model file (safetensors, float32, metadata naming the
// architecture), so `--model last.safetensors` works. The optimiser state lives beside it in
// `<stem>.train.safetensors`: tensor `optim.<g>.<i>.<name>` is buffer <name> (momentum_buffer,
// exp_avg, exp_avg_sq, max_exp_avg_sq) of parameter i of parameter group g; integer state
// (AdamW step counts, epoch, global step) and the loss scale are metadata strings. RNG state
// needs no file: every source of randomness is re-seeded from (seed, epoch) at the start of
// each epoch, and both are in the metadata.
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>


namespace entcam {

struct TrainState {
  int64_t epoch = 0;        // completed epochs
  int64_t global_step = 0;  // optimiser steps taken
  uint64_t seed = 0;
  std::string config_hash;
  std::string optimizer;  // "sgd" | "adamw"
  double loss_scale = 0;  // fp16 only; 0 otherwise
  int64_t good_steps = 0; // fp16 steps since the scale last changed
  double best_accuracy = -1;
  int64_t best_epoch = 0;
};

// The optimiser-state file beside a weights file: last.safetensors -> last.train.safetensors.
std::filesystem::path train_state_path(const std::filesystem::path& weights);

void save_train_state(const torch::optim::Optimizer& optimizer, const TrainState& state,
                      const std::filesystem::path& path);
// Restores into `optimizer` (built over the same parameters); InputError naming the file when
// it is unreadable, corrupt or does not fit the optimiser.
TrainState load_train_state(torch::optim::Optimizer& optimizer, const std::string& optimizer_name,
                            const std::filesystem::path& path);

// Loads model weights from an entcam checkpoint, strictly; InputError naming the file.
std::map<std::string, std::string> load_checkpoint_weights(torch::nn::Module& model, const std::filesystem::path& path);

}  // namespace entcam
