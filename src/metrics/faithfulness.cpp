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
#include <functional>
#include <map>
#include <numeric>
#include <tuple>

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

// The inputs of the maps' metrics, each distinct input once. Deletion from 0 pixels and
// insertion of all of them are the image itself, deletion of all pixels is the baseline and
// insertion of none the blurred image, for every map; two maps that order the pixels alike
// share every curve input, and two equal maps share image * map as well.
class InputList {
 public:
  enum Kind { kImage, kBaseline, kBlurred, kDeleted, kInserted, kMasked };
  struct Input {
    Kind kind;
    int64_t source;  // kDeleted/kInserted: the order's index; kMasked: the map's index
    int64_t count;   // kDeleted/kInserted: pixels changed
  };
  int64_t add(Kind kind, int64_t source = -1, int64_t count = 0) {
    const auto key = std::make_tuple(int(kind), source, count);
    auto [it, inserted] = slot_.emplace(key, int64_t(inputs_.size()));
    if (inserted) inputs_.push_back({kind, source, count});
    return it->second;
  }
  const std::vector<Input>& inputs() const { return inputs_; }

 private:
  std::map<std::tuple<int, int64_t, int64_t>, int64_t> slot_;
  std::vector<Input> inputs_;
};

// Index of the first of `items` equal to items[i] (itself when none earlier is).
template <class T, class Equal>
std::vector<int64_t> first_equal(const std::vector<T>& items, Equal equal) {
  std::vector<int64_t> first(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    first[i] = int64_t(i);
    for (size_t j = 0; j < i; ++j)
      if (first[j] == int64_t(j) && equal(items[j], items[i])) {
        first[i] = int64_t(j);
        break;
      }
  }
  return first;
}

std::vector<FaithfulnessResult> run(const ProbabilityModel& model, const torch::Tensor& image_in,
                                    const std::vector<cv::Mat>& maps_in, int64_t cls, const FaithfulnessOptions& opt,
                                    Plan plan) {
  std::vector<cv::Mat> maps;
  for (const cv::Mat& m : maps_in) {
    check_inputs(image_in, m, model);
    maps.push_back(m.isContinuous() ? m : m.clone());
  }
  const torch::Tensor image = image_in.to(torch::kFloat32).contiguous();
  const int64_t H = image.size(1), W = image.size(2), HW = H * W;
  const std::vector<int64_t> counts = step_pixel_counts(HW, opt.steps);

  // rank[p] = position of pixel p in the order of decreasing saliency; the pixels changed
  // before step i are exactly those with rank < counts[i].
  std::vector<std::vector<int64_t>> orders;
  for (const cv::Mat& m : maps) orders.push_back(saliency_order(m));
  const std::vector<int64_t> same_order = first_equal(orders, std::equal_to<>());
  const std::vector<int64_t> same_map =
      first_equal(maps, [](const cv::Mat& a, const cv::Mat& b) { return cv::norm(a, b, cv::NORM_INF) == 0; });
  std::vector<torch::Tensor> rank(orders.size());  // made for the orders that need one
  auto rank_of = [&](int64_t order) -> const torch::Tensor& {
    torch::Tensor& r = rank[size_t(order)];
    if (!r.defined()) {
      std::vector<int64_t> v(static_cast<size_t>(HW));
      for (int64_t j = 0; j < HW; ++j) v[size_t(orders[size_t(order)][size_t(j)])] = j;
      r = torch::from_blob(v.data(), {1, H, W}, torch::kInt64).clone().to(image.device());
    }
    return r;
  };

  InputList list;
  using K = InputList::Kind;
  auto deleted = [&](int64_t order, int64_t c) {
    return c == 0 ? list.add(K::kImage) : c == HW ? list.add(K::kBaseline) : list.add(K::kDeleted, order, c);
  };
  auto inserted = [&](int64_t order, int64_t c) {
    return c == 0 ? list.add(K::kBlurred) : c == HW ? list.add(K::kImage) : list.add(K::kInserted, order, c);
  };
  struct Slots {
    std::vector<int64_t> deletion, insertion;
    int64_t masked = -1;
  };
  const int64_t image_slot = list.add(K::kImage);  // Y of average drop, and where the curves meet the image
  std::vector<Slots> slots(maps.size());
  for (size_t i = 0; i < maps.size(); ++i) {
    for (int64_t c : counts) {
      if (plan.deletion) slots[i].deletion.push_back(deleted(same_order[i], c));
      if (plan.insertion) slots[i].insertion.push_back(inserted(same_order[i], c));
    }
    if (plan.masked) slots[i].masked = list.add(K::kMasked, same_map[i]);
  }

  const torch::Tensor baseline = torch::full_like(image, opt.baseline);
  const torch::Tensor blurred = plan.insertion ? rise_blur(image, opt.blur_kernel, opt.blur_sigma) : torch::Tensor();
  torch::Tensor mean, sd;  // image * map is taken in [0,1] image space, then normalised again
  if (plan.masked) {
    mean = torch::tensor(std::vector<float>(model.mean.begin(), model.mean.end())).view({3, 1, 1}).to(image.device());
    sd = torch::tensor(std::vector<float>(model.std.begin(), model.std.end())).view({3, 1, 1}).to(image.device());
  }
  auto make = [&](int64_t i) -> torch::Tensor {
    const InputList::Input& in = list.inputs()[size_t(i)];
    switch (in.kind) {
      case K::kImage: return image;
      case K::kBaseline: return baseline;
      case K::kBlurred: return blurred;
      case K::kDeleted: return torch::where(rank_of(in.source) < in.count, baseline, image);
      case K::kInserted: return torch::where(rank_of(in.source) < in.count, image, blurred);
      case K::kMasked: {
        const cv::Mat& m = maps[size_t(in.source)];
        auto mt = torch::from_blob(const_cast<float*>(m.ptr<float>(0)), {1, H, W}, torch::kFloat32).to(image.device());
        return ((image * sd + mean) * mt - mean) / sd;
      }
    }
    throw std::logic_error("faithfulness: unknown input kind");
  };
  const std::vector<double> p = class_probabilities(model, int64_t(list.inputs().size()), cls, make);

  std::vector<FaithfulnessResult> results(maps.size());
  auto curve = [&p](const std::vector<int64_t>& at) {
    std::vector<double> c;
    for (int64_t i : at) c.push_back(p[size_t(i)]);
    return c;
  };
  for (size_t i = 0; i < maps.size(); ++i) {
    FaithfulnessResult& r = results[i];
    if (plan.deletion) {
      r.deletion_curve = curve(slots[i].deletion);
      r.deletion_auc = trapezoid_auc(r.deletion_curve);
    }
    if (plan.insertion) {
      r.insertion_curve = curve(slots[i].insertion);
      r.insertion_auc = trapezoid_auc(r.insertion_curve);
    }
    if (plan.masked) {
      r.y = p[size_t(image_slot)];
      r.o = p[size_t(slots[i].masked)];
      // Y = 0 leaves the drop undefined; no drop is possible from zero, so count it as 0.
      r.average_drop = r.y > 0 ? std::max(0.0, r.y - r.o) / r.y * 100.0 : 0.0;
      r.increase_in_confidence = r.o > r.y ? 100.0 : 0.0;
    }
  }
  return results;
}

FaithfulnessResult run(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls,
                       const FaithfulnessOptions& opt, Plan plan) {
  return run(model, image, std::vector<cv::Mat>{map}, cls, opt, plan)[0];
}

}  // namespace

FaithfulnessResult faithfulness(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls,
                                const FaithfulnessOptions& opt) {
  return run(model, image, map, cls, opt, Plan{true, true, true});
}

std::vector<FaithfulnessResult> faithfulness(const ProbabilityModel& model, const torch::Tensor& image,
                                             const std::vector<cv::Mat>& maps, int64_t cls,
                                             const FaithfulnessOptions& opt) {
  return run(model, image, maps, cls, opt, Plan{true, true, true});
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
