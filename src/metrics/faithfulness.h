#pragma once
// Faithfulness metrics of docs/spec.md §3: they ask the model how much the class probability
// depends on the pixels a map points at. The model is any callable returning class
// probabilities, so this layer needs nothing from models/.
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <functional>
#include <opencv2/core.hpp>
#include <vector>

namespace entcam {

struct ProbabilityModel {
  // Class probabilities [B,C] for a batch [B,3,H,W] of network inputs (already normalised).
  std::function<torch::Tensor(const torch::Tensor& batch_nchw)> probabilities;
  // The input normalisation x_net = (x - mean) / std, undone to mask in [0,1] image space
  // (average drop). Xception: mean = std = 0.5.
  std::array<float, 3> mean{0.5f, 0.5f, 0.5f};
  std::array<float, 3> std{0.5f, 0.5f, 0.5f};
  int64_t batch_size = 32;  // inputs per forward pass
};

struct FaithfulnessOptions {
  int steps = 64;            // deletion/insertion: pixels change in steps of 1/steps of the image
  int blur_kernel = 11;      // insertion starts from the image blurred with RISE's kernel
  double blur_sigma = 5.0;
  float baseline = 0.0f;     // deletion: value of removed pixels in network-input space
};

struct FaithfulnessResult {
  double deletion_auc = 0, insertion_auc = 0;
  double average_drop = 0;            // percent, this image's max(0, Y - O) / Y * 100
  double increase_in_confidence = 0;  // percent: 100 when O > Y, else 0
  double y = 0, o = 0;                // class probability on the image and on image * map
  std::vector<double> deletion_curve, insertion_curve;  // steps + 1 probabilities each
};

// All four metrics of one image with their forward passes shared and batched
// (2 * (steps + 1) inputs: the untouched image, deletion's first point, insertion's last and
// the Y of average drop, is scored once). `image` is the network input [3,H,W]; `map` a prepared
// CV_32F map of the same H x W in [0,1]; `cls` the class the map explains.
FaithfulnessResult faithfulness(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls,
                                const FaithfulnessOptions& opt = {});
// The same for several maps of one image (one per CAM method), each distinct input scored
// once: every map's curves start or end at the image, the blurred image or the baseline;
// maps that order the pixels alike have the same curves; equal maps, the same image * map.
// Equal to one call per map up to the float rounding of a different batch composition.
std::vector<FaithfulnessResult> faithfulness(const ProbabilityModel& model, const torch::Tensor& image,
                                             const std::vector<cv::Mat>& maps, int64_t cls,
                                             const FaithfulnessOptions& opt = {});

// The single metrics, each from only the forward passes it needs.
double deletion_auc(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls,
                    const FaithfulnessOptions& opt = {});
double insertion_auc(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls,
                     const FaithfulnessOptions& opt = {});
double average_drop(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls);
double increase_in_confidence(const ProbabilityModel& model, const torch::Tensor& image, const cv::Mat& map, int64_t cls);

// Class-`cls` probabilities of the inputs make(0..n-1), `batch_size` at a time (no graph).
std::vector<double> class_probabilities(const ProbabilityModel& model, int64_t n, int64_t cls,
                                        const std::function<torch::Tensor(int64_t)>& make);

// Pieces, exposed for tests.
// Area under a curve sampled at steps+1 evenly spaced points of [0,1], trapezoid rule
// (RISE's auc(): (sum - first/2 - last/2) / (n - 1)).
double trapezoid_auc(const std::vector<double>& curve);
// Pixel indices (row-major) by decreasing saliency; equal values keep row-major order.
std::vector<int64_t> saliency_order(const cv::Mat& map);
// RISE's blur kernel gkern(klen, nsig): scipy.ndimage.gaussian_filter (truncate 4, mode
// 'reflect') of a centred unit impulse on a klen x klen grid. [klen, klen] float32.
torch::Tensor rise_blur_kernel(int klen, double sigma);
// The image [3,H,W] convolved per channel with that kernel, zero padding klen/2 (RISE's substrate).
torch::Tensor rise_blur(const torch::Tensor& image, int klen, double sigma);
// Pixels changed before step i: min(i * ceil(HW / steps), HW), for i = 0..n_steps where
// n_steps = ceil(HW / ceil(HW / steps)).
std::vector<int64_t> step_pixel_counts(int64_t hw, int steps);

}  // namespace entcam
