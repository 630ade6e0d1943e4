#pragma once
// The training loop: data interface, evaluation, and `train()` with per-epoch checkpoints,
// resume, a progress bar and a JSON log.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "models/registry.h"
#include "train/train_config.h"

namespace entcam {

// One batch: images [B,3,H,W] float32, already normalised as the model expects; labels [B] int64.
struct TrainBatch {
  torch::Tensor images;
  torch::Tensor labels;
};
using TrainBatchSink = std::function<void(const TrainBatch&)>;

// What the trainer needs from a data set. The real loader (src/data) plugs in here.
// Contract: `train_epoch(seed, epoch, batch_size, sink)` hands every training batch of that
// epoch to `sink` in order, and the batches (order, augmentation) are a pure function of
// (seed, epoch, batch_size) — that is what makes resume bitwise equal to an uninterrupted run.
// `test_set(batch_size, sink)` hands the held-out set, always the same, un-augmented.
struct TrainData {
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // optional; size num_classes when given
  int64_t train_size = 0;
  int64_t test_size = 0;
  std::function<void(uint64_t seed, int64_t epoch, int64_t batch_size, const TrainBatchSink&)> train_epoch;
  std::function<void(int64_t batch_size, const TrainBatchSink&)> test_set;
};

// In-memory data: shuffles by (seed, epoch) with its own generator and, when `hflip`,
// flips half of the images horizontally (also decided by (seed, epoch, index)).
TrainData in_memory_data(torch::Tensor train_images, torch::Tensor train_labels, torch::Tensor test_images,
                         torch::Tensor test_labels, int64_t num_classes, bool hflip = true);

struct EvalResult {
  int64_t count = 0;
  double loss = 0.0;      // mean cross-entropy (no label smoothing)
  double accuracy = 0.0;  // top-1, a fraction
  std::vector<double> per_class_accuracy;          // NaN for a class with no test images
  std::vector<std::vector<int64_t>> confusion;     // confusion[true][predicted]
};

// Top-1, per-class accuracy and the confusion matrix of `model` (eval mode) on `data.test_set`.
EvalResult evaluate(Classifier& model, const TrainData& data, int64_t batch_size, const torch::Device& device);

struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  double train_loss = 0.0, train_accuracy = 0.0, test_loss = 0.0, test_accuracy = 0.0;
  double lr = 0.0;       // at the epoch's last step
  double seconds = 0.0;  // training + evaluation wall time of this epoch
  double images_per_second = 0.0;
};

struct TrainResult {
  std::shared_ptr<Classifier> model;  // the weights after the last epoch run (on the training device)
  std::vector<EpochRecord> history;  // every epoch so far, resumed ones included
  EvalResult last_eval;              // of the final weights ("last" checkpoint)
  double best_accuracy = 0.0;
  int64_t best_epoch = 0;
  int64_t epochs_done = 0;  // completed epochs of the run (== config.epochs when finished)
  bool finished = false;
  std::filesystem::path last_checkpoint, best_checkpoint, log_file;
};

// Learning rate at `step` (0-based, counted over the whole run) with `steps_per_epoch`.
double learning_rate(const TrainConfig& config, int64_t step, int64_t steps_per_epoch);

// Trains as configured. Writes to config.out_dir (when set):
//   last.safetensors        weights + metadata (entcam.arch..., entcam.epoch, entcam.seed,
//                           entcam.config_hash, entcam.metrics) — loadable with --model FILE
//   last.train.safetensors  optimiser state + the epoch/schedule/loss-scale state to resume
//   best.safetensors        weights of the epoch with the best test accuracy so far
//   train_log.json          {"epochs": [{epoch, train_loss, train_accuracy, test_loss,
//                           test_accuracy, lr, seconds, images_per_second}, ...]}
// All written atomically at the end of every epoch.
TrainResult train(const TrainConfig& config, const TrainData& data);

}  // namespace entcam
