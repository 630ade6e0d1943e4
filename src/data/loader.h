#pragma once
// Image transforms (timm legacy_xception's eval transform; RandomResizedCrop + flip for
// training) and a parallel batch loader (TBB) that carries boxes through every geometric
// step. Randomness comes from SplitMix64 seeded per (seed, epoch, sample), so a batch is
// the same whatever the number of threads.
#include <torch/torch.h>

#include <future>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

#include "data/dataset.h"
#include "data/image_transform.h"  // read_rgb
#include "data/input_spec.h"
#include "data/split.h"

namespace entcam {

struct TransformOptions {
  InputSpec input;           // output side, eval crop and normalisation
  bool train = false;        // RandomResizedCrop + horizontal flip instead of the eval transform
  double scale_min = 0.08, scale_max = 1.0;        // RandomResizedCrop area fraction
  double ratio_min = 3.0 / 4.0, ratio_max = 4.0 / 3.0;
  double flip_p = 0.5;
};

// One geometric step; boxes and pixels go through the same list.
struct GeomOp {
  enum Kind { kCrop, kResize, kFlip } kind;
  int x = 0, y = 0, w = 0, h = 0;  // kCrop: the kept rectangle; kResize: target w x h; kFlip: image width w
  int interpolation = 0;           // kResize: cv::INTER_*
};

// The steps for an image of width x height. `rng` is used (and required) only for training.
std::vector<GeomOp> plan_transform(int width, int height, const TransformOptions& o, SplitMix64* rng);

// Boxes through the steps: crop shifts and clips, resize maps the covered pixel span
// [x0, x1+1) to [floor(x0*s), ceil((x1+1)*s)-1], flip mirrors. Boxes left empty are dropped.
std::vector<Box> transform_boxes(const std::vector<Box>& boxes, int width, int height, const std::vector<GeomOp>& ops);

// Pixels through the steps (RGB uint8 in, RGB uint8 out).
cv::Mat apply_geometry(const cv::Mat& rgb, const std::vector<GeomOp>& ops);

// RGB uint8 HxWx3 -> normalised float32 [3,H,W].
torch::Tensor to_tensor(const cv::Mat& rgb, const TransformOptions& o);

struct Batch {
  torch::Tensor images;                 // [B,3,size,size] float32
  torch::Tensor labels;                 // [B] int64
  std::vector<std::vector<Box>> boxes;  // per item, in the output image's coordinates
  std::vector<size_t> indices;          // into Dataset::samples
};

struct LoaderOptions;
// The evaluation loader of a model input: eval transform, fixed order, no prefetch.
LoaderOptions eval_loader_options(const InputSpec& input, int batch_size, uint64_t seed);

struct LoaderOptions {
  TransformOptions transform;
  int batch_size = 32;
  bool shuffle = false;   // reshuffle every epoch (seeded)
  bool drop_last = false;
  uint64_t seed = 0;
  int threads = 0;        // TBB workers for decoding; 0 = all cores
  bool prefetch = true;   // prepare the next batch while the caller works on this one
};

// Keeps a reference to `dataset`: it must outlive the loader.
class Loader {
 public:
  Loader(const Dataset& dataset, std::vector<size_t> indices, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Starts an epoch: the order is shuffled with (seed, epoch) when options.shuffle.
  void start_epoch(int epoch);
  // The next batch of this epoch, or nullopt at its end. Items whose image cannot be
  // decoded are left out with a warning (counted in skipped()).
  std::optional<Batch> next();

  size_t size() const { return indices_.size(); }
  size_t batches_per_epoch() const;
  int64_t skipped() const { return skipped_; }

  // Loads the given samples as one batch (no prefetch), for evaluation and tools.
  Batch load(const std::vector<size_t>& sample_indices, int epoch = 0);

 private:
  const Dataset& ds_;
  std::vector<size_t> indices_, order_;
  LoaderOptions o_;
  int epoch_ = 0;
  size_t cursor_ = 0;
  std::atomic<int64_t> skipped_{0};
  struct Arena;
  std::unique_ptr<Arena> arena_;
  std::future<Batch> pending_;
  bool has_pending_ = false;
  std::vector<size_t> take_next();
};

}  // namespace entcam
