// Faithfulness metrics.
// - Deletion / insertion: Petsiuk, Das & Saenko, "RISE: Randomized Input Sampling for
//   Explanation of Black-box Models", BMVC 2018 (their evaluation.py CausalMetric): pixels in
//   order of decreasing saliency are set to the baseline (deletion) or copied from the image
//   into a blurred copy (insertion), a fixed number per step; the class probability after
//   each step forms a curve whose area (trapezoid rule on [0,1]) is the score.
// - Average drop / increase in confidence: Chattopadhyay et al., "Grad-CAM++", WACV 2018, §6.
#include "metrics/faithfulness.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace entcam {

double trapezoid_auc(const std::vector<double>& c) {
  if (c.size() < 2) return c.empty() ? 0.0 : c[0];
  double sum = 0;
  for (double v : c) sum += v;
  return (sum - c.front() / 2 - c.back() / 2) / double(c.size() - 1);
}

std::vector<int64_t> saliency_order(const cv::Mat& map) {
  CV_Assert(map.type() == CV_32FC1 && map.isContinuous());
  const auto* v = map.ptr<float>(0);
  std::vector<int64_t> order(size_t(map.total()));
  std::iota(order.begin(), order.end(), int64_t(0));
  std::stable_sort(order.begin(), order.end(), [v](int64_t a, int64_t b) { return v[a] > v[b]; });
  return order;
}

std::vector<int64_t> step_pixel_counts(int64_t hw, int steps) {
  if (steps <= 0) throw InputError("faithfulness steps: expected a positive integer, got " + std::to_string(steps));
  const int64_t per_step = (hw + steps - 1) / steps;
  const int64_t n_steps = (hw + per_step - 1) / per_step;
  std::vector<int64_t> counts(size_t(n_steps + 1));
  for (int64_t i = 0; i <= n_steps; ++i) counts[size_t(i)] = std::min(i * per_step, hw);
  return counts;
}

torch::Tensor rise_blur_kernel(int klen, double sigma) {
  if (klen <= 0 || sigma <= 0) throw InputError("blur: expected a positive kernel size and sigma");
  // scipy.ndimage.gaussian_filter1d: radius int(4 * sigma + 0.5), normalised Gaussian taps,
  // boundary mode 'reflect' (d c b a | a b c d | d c b a). The 2-D filter is separable and
  // the impulse is an outer product, so the kernel is k1 (x) k1.
  const int radius = int(4.0 * sigma + 0.5);
  std::vector<double> w(size_t(2 * radius + 1));
  double wsum = 0;
  for (int t = -radius; t <= radius; ++t) wsum += w[size_t(t + radius)] = std::exp(-0.5 * t * t / (sigma * sigma));
  for (double& x : w) x /= wsum;
  auto reflect = [klen](int j) {
    const int period = 2 * klen;
    j %= period;
    if (j < 0) j += period;
    return j < klen ? j : period - 1 - j;
  };
  const int centre = klen / 2;
  std::vector<double> k1(size_t(klen), 0.0);
  for (int i = 0; i < klen; ++i)
    for (int t = -radius; t <= radius; ++t)
      if (reflect(i + t) == centre) k1[size_t(i)] += w[size_t(t + radius)];
  auto k = torch::empty({klen, klen}, torch::kFloat32);
  auto acc = k.accessor<float, 2>();
  for (int i = 0; i < klen; ++i)
    for (int j = 0; j < klen; ++j) acc[i][j] = float(k1[size_t(i)] * k1[size_t(j)]);
  return k;
}

torch::Tensor rise_blur(const torch::Tensor& image, int klen, double sigma) {
  torch::NoGradGuard no_grad;
  const int64_t c = image.size(0);
  auto k = rise_blur_kernel(klen, sigma).to(image.device()).to(image.dtype());
  auto weight = k.unsqueeze(0).unsqueeze(0).repeat({c, 1, 1, 1});  // depthwise: channel c <- channel c
  namespace F = torch::nn::functional;
  return F::conv2d(image.unsqueeze(0), weight, F::Conv2dFuncOptions().padding(klen / 2).groups(c)).squeeze(0);
}

std::vector<double> class_probabilities(const ProbabilityModel& model, int64_t n, int64_t cls,
                                        const std::function<torch::Tensor(int64_t)>& make) {
  torch::NoGradGuard no_grad;
  std::vector<double> out;
  out.reserve(size_t(n));
  const int64_t bs = std::max<int64_t>(1, model.batch_size);
  for (int64_t start = 0; start < n; start += bs) {
    const int64_t end = std::min(n, start + bs);
    std::vector<torch::Tensor> items;
    for (int64_t i = start; i < end; ++i) items.push_back(make(i));
    torch::Tensor p = model.probabilities(torch::stack(items)).to(torch::kCPU).to(torch::kFloat64);
    if (p.dim() != 2 || p.size(0) != end - start || cls < 0 || cls >= p.size(1))
      throw InputError("faithfulness: the model must return probabilities [B,C] with class " + std::to_string(cls) +
                       " in range");
    auto acc = p.accessor<double, 2>();
    for (int64_t i = 0; i < end - start; ++i) out.push_back(acc[i][cls]);
  }
  return out;
}

namespace {

void check_inputs(const torch::Tensor& image, const cv::Mat& map, const ProbabilityModel& model) {
  if (image.dim() != 3 || image.size(0) != 3)
    throw InputError("faithfulness: expected an image tensor [3,H,W], got " + std::to_string(image.dim()) + "-D");
  if (map.type() != CV_32FC1 || map.rows != image.size(1) || map.cols != image.size(2))
    throw InputError("faithfulness: the map must be float32 at the image's size (" + std::to_string(image.size(1)) +
                     "x" + std::to_string(image.size(2)) + ")");
  if (!model.probabilities) throw InputError("faithfulness: no model given");
}

struct Plan {
  bool deletion = false, insertion = false, masked = false;
};

FaithfulnessResult run(const ProbabilityModel& model, const torch::Tensor& image_in, const cv::Mat& map_in, int64_t cls,
                       const FaithfulnessOptions& opt, Plan plan) {
  check_inputs(image_in, map_in, model);
  const cv::Mat map = map_in.isContinuous() ? map_in : map_in.clone();
  const torch::Tensor image = image_in.to(torch::kFloat32).contiguous();
  const int64_t H = image.size(1), W = image.size(2), HW = H * W;

  // rank[p] = position of pixel p in the order of decreasing saliency; the pixels changed
  // before step i are exactly those with rank < counts[i].
  const std::vector<int64_t> order = saliency_order(map);
  std::vector<int64_t> rank_v(static_cast<size_t>(HW));
  for (int64_t j = 0; j < HW; ++j) rank_v[size_t(order[size_t(j)])] = j;
  const torch::Tensor rank = torch::from_blob(rank_v.data(), {1, H, W}, torch::kInt64).clone().to(image.device());
  const std::vector<int64_t> counts = step_pixel_counts(HW, opt.steps);
  const int64_t n_points = int64_t(counts.size());

  const torch::Tensor baseline = torch::full_like(image, opt.baseline);
  const torch::Tensor blurred = plan.insertion ? rise_blur(image, opt.blur_kernel, opt.blur_sigma) : torch::Tensor();
  torch::Tensor masked;
  if (plan.masked) {
    // Image * map in [0,1] image space, then normalised again for the network.
    auto mean = torch::tensor(std::vector<float>(model.mean.begin(), model.mean.end())).view({3, 1, 1}).to(image.device());
    auto sd = torch::tensor(std::vector<float>(model.std.begin(), model.std.end())).view({3, 1, 1}).to(image.device());
    auto m = torch::from_blob(const_cast<float*>(map.ptr<float>(0)), {1, H, W}, torch::kFloat32).clone().to(image.device());
    masked = ((image * sd + mean) * m - mean) / sd;
  }

  // One list of inputs for all metrics: [deletion points][insertion points][image * map].
  // Deletion's first point is the untouched image, which also gives Y.
  const int64_t n_del = (plan.deletion || plan.masked) ? (plan.deletion ? n_points : 1) : 0;
  const int64_t n_ins = plan.insertion ? n_points : 0;
  const int64_t n_mask = plan.masked ? 1 : 0;
  auto make = [&](int64_t i) -> torch::Tensor {
    if (i < n_del) return torch::where(rank < counts[size_t(i)], baseline, image);
    i -= n_del;
    if (i < n_ins) return torch::where(rank < counts[size_t(i)], image, blurred);
    return masked;
  };
  const std::vector<double> p = class_probabilities(model, n_del + n_ins + n_mask, cls, make);

  FaithfulnessResult r;
  if (plan.deletion) {
    r.deletion_curve.assign(p.begin(), p.begin() + n_del);
    r.deletion_auc = trapezoid_auc(r.deletion_curve);
  }
  if (plan.insertion) {
    r.insertion_curve.assign(p.begin() + n_del, p.begin() + n_del + n_ins);
    r.insertion_auc = trapezoid_auc(r.insertion_curve);
  }
  if (plan.masked) {
    r.y = p[0];
    r.o = p.back();
    // Y = 0 leaves the drop undefined; no drop is possible from zero, so count it as 0.
    r.average_drop = r.y > 0 ? std::max(0.0, r.y - r.o) / r.y * 100.0 : 0.0;
    r.increase_in_confidence = r.o > r.y ? 100.0 : 0.0;
  }
  return r;
}

}  // namespace

FaithfulnessResult faithfulness(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls,
                                const FaithfulnessOptions& opt) {
  return run(model, image, map, cls, opt, Plan{true, true, true});
}

double deletion_auc(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls,
                    const FaithfulnessOptions& opt) {
  return run(model, image, map, cls, opt, Plan{true, false, false}).deletion_auc;
}

double insertion_auc(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls,
                     const FaithfulnessOptions& opt) {
  return run(model, image, map, cls, opt, Plan{false, true, false}).insertion_auc;
}

double average_drop(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls) {
  return run(model, image, map, cls, {}, Plan{false, false, true}).average_drop;
}

double increase_in_confidence(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls) {
  return run(model, image, map, cls, {}, Plan{false, false, true}).increase_in_confidence;
}

}  // namespace entcam
