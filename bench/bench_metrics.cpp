// Metric cost per image at 299x299: the localisation metrics (target: far below the CAM
// time) and deletion/insertion with their batched forward passes through a small dummy CNN.
// Prints timings only; never asserts on them.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "metrics/faithfulness.h"
#include "metrics/localization.h"

using namespace entcam;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A map like an upsampled CAM: 10x10 random blobs resized to 299x299 and normalised.
static cv::Mat cam_like(cv::RNG& rng) {
  cv::Mat small(10, 10, CV_32FC1);
  rng.fill(small, cv::RNG::UNIFORM, 0.0, 1.0);
  cv::GaussianBlur(small, small, {3, 3}, 1.0);
  return prepare_map(small, 299, 299, "bench");
}

int main() {
  const int n = 20;
  cv::RNG rng(7);
  std::vector<cv::Mat> maps;
  for (int i = 0; i < n; ++i) maps.push_back(cam_like(rng));
  const std::vector<Box> boxes = {{60, 40, 200, 220}, {210, 150, 290, 280}};
  LocalizationOptions opt;

  auto t0 = Clock::now();
  double sink = 0;
  for (const auto& m : maps) sink += localize_image(m, boxes, opt).iou;
  const double loc_ms = ms_since(t0) / n;
  t0 = Clock::now();
  for (const auto& m : maps) sink += pointing_hit(map_argmax(m), boxes, 15, 299, 299);
  const double pg_ms = ms_since(t0) / n;
  t0 = Clock::now();
  for (const auto& m : maps)
    sink += box_accuracy_curve(quantize_map(m), boxes, threshold_grid(0.01), {0.3, 0.5, 0.7}, true).correct[0][0];
  const double v2_ms = ms_since(t0) / n;
  std::printf("localisation, 299x299, single thread, mean of %d maps:\n", n);
  std::printf("  all localisation metrics (incl. 2 x 100 thresholds): %8.2f ms/image\n", loc_ms);
  std::printf("  pointing game only:                                  %8.3f ms/image\n", pg_ms);
  std::printf("  max_box_acc_v2 curve only:                           %8.2f ms/image\n", v2_ms);

  // Dummy classifier: conv 3->16 stride 4, ReLU, conv 16->32 stride 4, global pool, linear 10, softmax.
  torch::manual_seed(0);
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 16, 5).stride(4)), torch::nn::ReLU(),
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 5).stride(4)), torch::nn::ReLU(),
                            torch::nn::AdaptiveAvgPool2d(1), torch::nn::Flatten(), torch::nn::Linear(32, 10));
  net->eval();
  ProbabilityModel clf;
  clf.batch_size = 32;
  clf.probabilities = [&](const torch::Tensor& x) { return torch::softmax(net->forward(x), 1); };
  const auto image = torch::rand({3, 299, 299}) * 2 - 1;
  const int nf = 3;
  faithfulness(clf, image, maps[0], 3);  // warm-up
  t0 = Clock::now();
  for (int i = 0; i < nf; ++i) sink += faithfulness(clf, image, maps[size_t(i)], 3).deletion_auc;
  const double f_ms = ms_since(t0) / nf;
  t0 = Clock::now();
  for (int i = 0; i < 5; ++i) sink += clf.probabilities(image.unsqueeze(0).repeat({32, 1, 1, 1})).sum().item<float>();
  const double fwd_ms = ms_since(t0) / 5;
  std::printf("faithfulness, 299x299, dummy CNN, %d torch threads:\n", torch::get_num_threads());
  std::printf("  deletion + insertion + average drop (131 inputs, batches of 32): %8.1f ms/image\n", f_ms);
  std::printf("  forward passes alone, estimated (batch of 32: %.1f ms):          %8.1f ms/image\n", fwd_ms, 5 * fwd_ms * 131.0 / 160.0);
  std::printf("(checksum %g)\n", sink);
  return 0;
}
