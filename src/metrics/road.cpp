// ROAD (Rong et al. 2022), with road_evaluation's noisy linear imputer.
#include "metrics/road.h"

#include <Eigen/Sparse>
#include <Eigen/SparseCholesky>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace entcam {
namespace {

// road_evaluation's neighbors_weights: (row offset, column offset, weight).
struct Neighbour {
  int dr, dc;
  double w;
};
constexpr Neighbour kNeighbours[] = {{1, 1, 1.0 / 12}, {0, 1, 1.0 / 6},  {-1, 1, 1.0 / 12}, {1, -1, 1.0 / 12},
                                     {0, -1, 1.0 / 6}, {-1, -1, 1.0 / 12}, {1, 0, 1.0 / 6},  {-1, 0, 1.0 / 6}};

// One standard normal value (Box-Muller on two uniforms in (0,1]).
double standard_normal(SplitMix64& rng) {
  const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.141592653589793 * u2);
}

}  // namespace

torch::Tensor noisy_linear_impute(const torch::Tensor& image_in, const std::vector<uint8_t>& removed, double noise,
                                  SplitMix64& rng) {
  if (image_in.dim() != 3) throw InputError("road: expected an image tensor [C,H,W]");
  const int64_t C = image_in.size(0), H = image_in.size(1), W = image_in.size(2), HW = H * W;
  if (int64_t(removed.size()) != HW) throw InputError("road: the removal mask must have H*W entries");
  torch::Tensor out = image_in.detach().to(torch::kCPU, torch::kFloat32).contiguous().clone();
  // Variable index of each removed pixel (row-major), -1 for kept pixels.
  std::vector<int64_t> var(size_t(HW), -1);
  int64_t n = 0;
  for (int64_t p = 0; p < HW; ++p)
    if (removed[size_t(p)]) var[size_t(p)] = n++;
  if (n == 0) return out;
  if (n == HW) throw InputError("road: every pixel removed; at least one must remain for the imputation");

  // Row i of the system: sum_w x_i - sum_{removed nb j} w x_j = sum_{kept nb j} w v_j, where
  // sum_w is the weight of the in-image neighbours (road_evaluation's -A, -b: symmetric
  // positive definite whenever a pixel remains).
  const auto img = out.accessor<float, 3>();
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(size_t(n) * 9);
  Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(n, C);
  for (int64_t p = 0; p < HW; ++p) {
    const int64_t i = var[size_t(p)];
    if (i < 0) continue;
    const int64_t r = p / W, c = p % W;
    double diag = 0;
    for (const Neighbour& nb : kNeighbours) {
      const int64_t rr = r + nb.dr, cc = c + nb.dc;
      if (rr < 0 || cc < 0 || rr >= H || cc >= W) continue;
      diag += nb.w;
      const int64_t q = rr * W + cc, j = var[size_t(q)];
      if (j >= 0) {
        triplets.emplace_back(i, j, -nb.w);
      } else {
        for (int64_t ch = 0; ch < C; ++ch) rhs(i, ch) += nb.w * double(img[ch][rr][cc]);
      }
    }
    triplets.emplace_back(i, i, diag);
  }
  Eigen::SparseMatrix<double> M(n, n);
  M.setFromTriplets(triplets.begin(), triplets.end());
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> solver(M);
  if (solver.info() != Eigen::Success) throw std::runtime_error("road: the imputation system could not be factorised");
  const Eigen::MatrixXd x = solver.solve(rhs);
  if (solver.info() != Eigen::Success) throw std::runtime_error("road: the imputation system could not be solved");

  auto o = out.accessor<float, 3>();
  for (int64_t ch = 0; ch < C; ++ch)
    for (int64_t p = 0; p < HW; ++p) {
      const int64_t i = var[size_t(p)];
      if (i < 0) continue;
      const double eps = noise != 0 ? noise * standard_normal(rng) : 0.0;
      o[ch][p / W][p % W] = float(x(i, ch) + eps);
    }
  return out;
}

std::vector<uint8_t> road_removal_mask(const cv::Mat& map, double percentile, bool most_relevant_first) {
  if (!(percentile > 0 && percentile < 100))
    throw InputError("road: percentile " + std::to_string(percentile) + " is outside (0, 100)");
  const cv::Mat m = map.isContinuous() ? map : map.clone();
  const std::vector<int64_t> order = saliency_order(m);
  const int64_t HW = int64_t(order.size());
  // As road_evaluation: int(width * height * th_p), th_p = p / 100.
  const int64_t count = int64_t(std::floor(double(HW) * (percentile / 100.0)));
  std::vector<uint8_t> removed(size_t(HW), 0);
  for (int64_t k = 0; k < count; ++k) removed[size_t(order[size_t(most_relevant_first ? k : HW - 1 - k)])] = 1;
  return removed;
}

RoadResult road(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls,
                const RoadOptions& opt, uint64_t noise_seed) {
  if (image.dim() != 3 || map.rows != image.size(1) || map.cols != image.size(2) || map.type() != CV_32FC1)
    throw InputError("road: expected an image [3,H,W] and a float32 map of the same H x W");
  if (!model.probabilities) throw InputError("road: no model given");
  // The imputations (sparse solves, most of ROAD's time) run in parallel. Each draws its noise
  // from the point of the SplitMix64(noise_seed) stream where the sequential order (MoRF then
  // LeRF, percentiles ascending) would be: 2 draws per normal, one normal per channel and
  // removed pixel. So the result is the same for any thread count.
  struct Imputation {
    std::vector<uint8_t> removed;
    uint64_t first_draw = 0;
  };
  std::vector<Imputation> jobs;
  uint64_t draws = 0;
  for (bool morf : {true, false})
    for (double p : opt.percentiles) {
      Imputation job{road_removal_mask(map, p, morf), draws};
      if (opt.noise != 0)
        draws += 2 * uint64_t(image.size(0)) * uint64_t(std::count(job.removed.begin(), job.removed.end(), uint8_t(1)));
      jobs.push_back(std::move(job));
    }
  std::vector<torch::Tensor> inputs(jobs.size());
  tbb::parallel_for(size_t(0), jobs.size(), [&](size_t i) {
    SplitMix64 rng(noise_seed);
    rng.skip(jobs[i].first_draw);
    inputs[i] = noisy_linear_impute(image, jobs[i].removed, opt.noise, rng).to(image.device());
  });
  const std::vector<double> probs =
      class_probabilities(model, int64_t(inputs.size()), cls, [&](int64_t i) { return inputs[size_t(i)]; });
  RoadResult r;
  const size_t k = opt.percentiles.size();
  r.morf_curve.assign(probs.begin(), probs.begin() + long(k));
  r.lerf_curve.assign(probs.begin() + long(k), probs.end());
  for (size_t i = 0; i < k; ++i) {
    r.morf += r.morf_curve[i] / double(k);
    r.lerf += r.lerf_curve[i] / double(k);
  }
  r.gap = r.lerf - r.morf;
  return r;
}

}  // namespace entcam
