#include "data/loader.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace entcam {
namespace fs = std::filesystem;

std::vector<GeomOp> plan_transform(int W, int H, const TransformOptions& o, SplitMix64* rng) {
  std::vector<GeomOp> ops;
  const int size = int(o.input.size);
  if (!o.train) {
    // timm legacy_xception eval: Resize(floor(size / crop_pct)) on the shorter side (the
    // longer side truncated, as torchvision does), bicubic; CenterCrop(size) with Python's
    // round-half-to-even offsets.
    const int s = int(std::floor(double(size) / o.input.crop_pct));
    int nw, nh;
    if (W <= H) nw = s, nh = int(double(s) * H / W);
    else nh = s, nw = int(double(s) * W / H);
    ops.push_back({GeomOp::kResize, 0, 0, nw, nh, cv::INTER_CUBIC});
    const int top = int(std::nearbyint((nh - size) / 2.0)), left = int(std::nearbyint((nw - size) / 2.0));
    ops.push_back({GeomOp::kCrop, left, top, size, size, 0});
    return ops;
  }
  if (!rng) throw std::logic_error("plan_transform: training transform needs an RNG");
  // torchvision RandomResizedCrop.get_params
  const double area = double(W) * H;
  int cw = 0, ch = 0, cx = 0, cy = 0;
  bool found = false;
  for (int attempt = 0; attempt < 10 && !found; ++attempt) {
    const double target = area * rng->uniform(o.scale_min, o.scale_max);
    const double aspect = std::exp(rng->uniform(std::log(o.ratio_min), std::log(o.ratio_max)));
    const int w = int(std::lround(std::sqrt(target * aspect))), h = int(std::lround(std::sqrt(target / aspect)));
    if (w > 0 && h > 0 && w <= W && h <= H) {
      cy = rng->integer(0, H - h), cx = rng->integer(0, W - w), cw = w, ch = h;
      found = true;
    }
  }
  if (!found) {  // centre crop at the closest allowed aspect ratio
    const double in_ratio = double(W) / H;
    if (in_ratio < o.ratio_min) cw = W, ch = int(std::lround(W / o.ratio_min));
    else if (in_ratio > o.ratio_max) ch = H, cw = int(std::lround(H * o.ratio_max));
    else cw = W, ch = H;
    cy = (H - ch) / 2, cx = (W - cw) / 2;
  }
  ops.push_back({GeomOp::kCrop, cx, cy, cw, ch, 0});
  ops.push_back({GeomOp::kResize, 0, 0, size, size, cv::INTER_LINEAR});
  if (rng->uniform() < o.flip_p) ops.push_back({GeomOp::kFlip, 0, 0, size, size, 0});
  return ops;
}

std::vector<Box> transform_boxes(const std::vector<Box>& boxes, int W, int H, const std::vector<GeomOp>& ops) {
  std::vector<Box> cur = boxes;
  int w = W, h = H;
  for (const GeomOp& op : ops) {
    std::vector<Box> next;
    for (Box b : cur) {
      if (op.kind == GeomOp::kCrop) {
        b.xmin -= op.x, b.xmax -= op.x, b.ymin -= op.y, b.ymax -= op.y;
        if (!clip_box(b, op.w, op.h)) continue;
      } else if (op.kind == GeomOp::kResize) {
        const double sx = double(op.w) / w, sy = double(op.h) / h;
        // small epsilon: an exact pixel edge must not spill into the next pixel
        b.xmin = int(std::floor(b.xmin * sx + 1e-9));
        b.ymin = int(std::floor(b.ymin * sy + 1e-9));
        b.xmax = int(std::ceil((b.xmax + 1) * sx - 1e-9)) - 1;
        b.ymax = int(std::ceil((b.ymax + 1) * sy - 1e-9)) - 1;
        if (!clip_box(b, op.w, op.h)) continue;
      } else {
        const int x0 = w - 1 - b.xmax, x1 = w - 1 - b.xmin;
        b.xmin = x0, b.xmax = x1;
      }
      next.push_back(b);
    }
    cur.swap(next);
    if (op.kind != GeomOp::kFlip) w = op.w, h = op.h;
  }
  return cur;
}

cv::Mat apply_geometry(const cv::Mat& rgb, const std::vector<GeomOp>& ops) {
  cv::Mat cur = rgb;
  for (const GeomOp& op : ops) {
    cv::Mat next;
    if (op.kind == GeomOp::kCrop) next = cur(cv::Rect(op.x, op.y, op.w, op.h));
    else if (op.kind == GeomOp::kResize) {
      if (cur.cols == op.w && cur.rows == op.h) next = cur;
      else cv::resize(cur, next, cv::Size(op.w, op.h), 0, 0, op.interpolation);
    } else cv::flip(cur, next, 1);
    cur = next;
  }
  return cur.isContinuous() ? cur : cur.clone();
}

// Writes normalised CHW floats for an RGB uint8 image into `out` (3 * H * W floats).
static void normalise_into(const cv::Mat& rgb, const TransformOptions& o, float* out) {
  const int H = rgb.rows, W = rgb.cols;
  const auto& mean = o.input.mean;
  const auto& sd = o.input.std;
  const float ar = 1.0f / (255.0f * sd[0]), br = -mean[0] / sd[0];
  const float ag = 1.0f / (255.0f * sd[1]), bg = -mean[1] / sd[1];
  const float ab = 1.0f / (255.0f * sd[2]), bb = -mean[2] / sd[2];
  float* r = out;
  float* g = out + size_t(H) * W;
  float* bl = out + 2 * size_t(H) * W;
  for (int y = 0; y < H; ++y) {
    const uint8_t* row = rgb.ptr<uint8_t>(y);
    const size_t base = size_t(y) * W;
    for (int x = 0; x < W; ++x) {
      r[base + x] = row[3 * x] * ar + br;
      g[base + x] = row[3 * x + 1] * ag + bg;
      bl[base + x] = row[3 * x + 2] * ab + bb;
    }
  }
}

torch::Tensor to_tensor(const cv::Mat& rgb, const TransformOptions& o) {
  torch::Tensor t = torch::empty({3, rgb.rows, rgb.cols}, torch::kFloat32);
  normalise_into(rgb, o, t.data_ptr<float>());
  return t;
}

LoaderOptions eval_loader_options(const InputSpec& input, int batch_size, uint64_t seed) {
  LoaderOptions o;
  o.transform.input = input;
  o.batch_size = batch_size;
  o.seed = seed;
  o.prefetch = false;
  return o;
}

struct Loader::Arena {
  tbb::task_arena arena;
  explicit Arena(int threads) : arena(threads > 0 ? threads : tbb::task_arena::automatic) {}
};

Loader::Loader(const Dataset& dataset, std::vector<size_t> indices, LoaderOptions options)
    : ds_(dataset), indices_(std::move(indices)), o_(std::move(options)), arena_(std::make_unique<Arena>(o_.threads)) {
  if (o_.batch_size <= 0) throw InputError("loader batch size " + std::to_string(o_.batch_size) + ": expected > 0");
  for (size_t i : indices_)
    if (i >= ds_.samples.size()) throw std::out_of_range("Loader: sample index out of range");
  start_epoch(0);
}

Loader::~Loader() {
  if (has_pending_) pending_.wait();
}

size_t Loader::batches_per_epoch() const {
  const size_t n = indices_.size(), b = size_t(o_.batch_size);
  return o_.drop_last ? n / b : (n + b - 1) / b;
}

void Loader::start_epoch(int epoch) {
  if (has_pending_) pending_.wait(), has_pending_ = false;
  epoch_ = epoch;
  cursor_ = 0;
  order_ = indices_;
  if (o_.shuffle) {
    SplitMix64 rng(mix_seed(o_.seed, 0x5EED5EEDULL, uint64_t(epoch)));
    seeded_shuffle(order_, rng);
  }
}

std::vector<size_t> Loader::take_next() {
  const size_t b = size_t(o_.batch_size);
  if (cursor_ >= order_.size() || (o_.drop_last && cursor_ + b > order_.size())) return {};
  const size_t end = std::min(order_.size(), cursor_ + b);
  std::vector<size_t> items(order_.begin() + long(cursor_), order_.begin() + long(end));
  cursor_ = end;
  return items;
}

Batch Loader::load(const std::vector<size_t>& items, int epoch) {
  const size_t n = items.size();
  const int S = int(o_.transform.input.size);
  // workers write straight into the batch tensor (no stacking copy afterwards)
  torch::Tensor images = torch::empty({int64_t(n), 3, S, S}, torch::kFloat32);
  float* const base = images.data_ptr<float>();
  std::vector<std::vector<Box>> boxes(n);
  std::vector<char> ok(n, 0);
  std::vector<std::string> warnings(n);
  arena_->arena.execute([&] {
    tbb::parallel_for(size_t(0), n, [&](size_t k) {
      const Sample& s = ds_.samples[items[k]];
      cv::Mat rgb;
      try {
        rgb = read_rgb(s.path);
      } catch (const std::exception& e) {
        warnings[k] = std::string(e.what()) + "; skipped";  // the message names the file
        return;
      }
      SplitMix64 rng(mix_seed(o_.seed, uint64_t(epoch), uint64_t(items[k])));
      const auto ops = plan_transform(rgb.cols, rgb.rows, o_.transform, &rng);
      const cv::Mat out = apply_geometry(rgb, ops);
      if (out.rows != S || out.cols != S) throw std::logic_error("loader: transform produced the wrong size");
      normalise_into(out, o_.transform, base + k * 3 * size_t(S) * size_t(S));
      // boxes were parsed for the file's size; a file that changed since is rescaled first
      std::vector<Box> bx = s.boxes;
      if (s.width > 0 && (s.width != rgb.cols || s.height != rgb.rows))
        bx = transform_boxes(bx, s.width, s.height, {{GeomOp::kResize, 0, 0, rgb.cols, rgb.rows, 0}});
      boxes[k] = transform_boxes(bx, rgb.cols, rgb.rows, ops);
      ok[k] = 1;
    });
  });
  Batch batch;
  std::vector<int64_t> labels, kept;
  for (size_t k = 0; k < n; ++k) {
    if (!ok[k]) {
      ++skipped_;
      std::fprintf(stderr, "entcam: warning: %s\n", warnings[k].c_str());
      continue;
    }
    kept.push_back(int64_t(k));
    labels.push_back(ds_.samples[items[k]].label);
    batch.boxes.push_back(std::move(boxes[k]));
    batch.indices.push_back(items[k]);
  }
  batch.images = kept.size() == n ? images : images.index_select(0, torch::tensor(kept, torch::kInt64));
  batch.labels = torch::tensor(labels, torch::kInt64);
  return batch;
}

std::optional<Batch> Loader::next() {
  for (;;) {
    Batch b;
    if (has_pending_) {
      b = pending_.get();
      has_pending_ = false;
    } else {
      const auto items = take_next();
      if (items.empty()) return std::nullopt;  // end of the epoch
      b = load(items, epoch_);
    }
    if (o_.prefetch) {
      auto items = take_next();
      if (!items.empty()) {
        const int epoch = epoch_;
        pending_ = std::async(std::launch::async, [this, items = std::move(items), epoch] { return load(items, epoch); });
        has_pending_ = true;
      }
    }
    if (!b.indices.empty()) return b;
    // every image of this batch was unreadable: go on with the next batch
  }
}

}  // namespace entcam
