#pragma once
// ROAD: RemOve And Debias (Rong, Leemann et al., ICML 2022; tleemann/road_evaluation, as in
// jacobgil/pytorch-grad-cam metrics/road.py). Pixels are removed in order of relevance and
// filled by noisy linear imputation, so the removal leaks no shape of the mask to the model;
// the class probability on the imputed image measures how much the removed pixels mattered.
#include <torch/torch.h>

#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

#include "core/rng.h"
#include "metrics/faithfulness.h"

namespace entcam {

struct RoadOptions {
  std::vector<double> percentiles{10, 20, 30, 40, 50, 60, 70, 80, 90};  // % of pixels removed, each in (0, 100)
  double noise = 0.01;  // standard deviation of the Gaussian noise added to imputed values
};

struct RoadResult {
  double morf = 0, lerf = 0, gap = 0;        // mean probabilities; gap = lerf - morf
  std::vector<double> morf_curve, lerf_curve;  // probability per percentile
};

// Noisy linear imputation (road_evaluation road/imputations.py NoisyLinearImputer): every
// removed pixel equals the weighted mean of its in-image 8 neighbours (1/6 for the 4 direct,
// 1/12 for the 4 diagonal ones, weights renormalised at the border), all removed pixels of a
// channel solved jointly as one sparse symmetric positive-definite system (Eigen's
// SimplicialLDLT), then plus noise * N(0,1) drawn from `rng` (Box-Muller; channel-major,
// removed pixels in row-major order). `image` [C,H,W]; `removed` H*W flags (row-major).
// At least one pixel must remain. Returns a new float32 [C,H,W] tensor.
torch::Tensor noisy_linear_impute(const torch::Tensor& image, const std::vector<uint8_t>& removed, double noise,
                                  SplitMix64& rng);

// Flags of the floor(HW * p / 100) pixels to remove: the most relevant (MoRF) or the least
// relevant (LeRF) by saliency_order (decreasing, ties in row-major order; road_evaluation
// breaks ties with 1e-4 random noise instead).
std::vector<uint8_t> road_removal_mask(const cv::Mat& map, double percentile, bool most_relevant_first);

// ROAD for one image: for each percentile, MoRF and LeRF imputed copies of `image` (network
// input [3,H,W]), scored by the class-`cls` probability, in one batched list of forward
// passes. `map` is the prepared CV_32F map at the image's size. The noise of the imputations
// comes from SplitMix64(noise_seed).
RoadResult road(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls,
                const RoadOptions& opt, uint64_t noise_seed);

}  // namespace entcam
