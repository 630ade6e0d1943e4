// Benchmark (not a test): the cost per image of the sanity checks (MPRT cascade + random
// logit) and of ROAD, relative to one forward+backward pass to the target layer, on a
// random-weight xception-mini (the quickstart's shape by default), CPU. Prints ratios;
// asserts nothing.
//
//   build/bench/bench_sanity [--images 4] [--size 96] [--width 8] [--middle 1] [--layer conv4]
//                            [--methods grad_cam,eigen_cam,feature_entropy_cam] [--threads N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "cam/engine.h"
#include "metrics/localization.h"
#include "metrics/road.h"
#include "metrics/sanity.h"
#include "models/registry.h"
#include "models/xception.h"

using namespace entcam;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
  int64_t images = 4, size = 96, width = 8, middle = 1;
  std::string layer = "conv4", method_list = "grad_cam,eigen_cam,feature_entropy_cam";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--images")) images = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--size")) size = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--width")) width = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--middle")) middle = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--layer")) layer = argv[i + 1];
    else if (!std::strcmp(argv[i], "--methods")) method_list = argv[i + 1];
    else if (!std::strcmp(argv[i], "--threads")) torch::set_num_threads(std::stoi(argv[i + 1]));
  }
  torch::manual_seed(0);
  XceptionConfig config;
  config.num_classes = 5;
  config.width_divisor = width;
  config.middle_blocks = middle;
  config.output_stride = 16;
  config.input_size = size;
  auto model = xception_classifier(Xception(config), "xception-mini (random weights)");
  const auto methods = parse_method_list(method_list);
  auto x = torch::randn({images, 3, size, size});
  std::vector<uint64_t> keys;
  for (int64_t i = 0; i < images; ++i) keys.push_back(uint64_t(i));

  capture_layer(*model, x, layer);  // warm-up
  double pass = 1e30;
  for (int r = 0; r < 3; ++r) {
    auto t0 = Clock::now();
    capture_layer(*model, x, layer);
    pass = std::min(pass, seconds_since(t0));
  }
  const double pass_per_image = pass / double(images);
  const auto classes = capture_layer(*model, x, layer).classes;

  SanityOptions opt;
  opt.images_per_pass = images;
  auto timed = [&](bool mprt, bool random_logit) {
    SanityOptions o = opt;
    o.mprt = mprt;
    o.random_logit = random_logit;
    auto t0 = Clock::now();
    const auto r = sanity_checks(*model, x, classes, keys, layer, methods, o);
    return std::make_pair(seconds_since(t0) / double(images), r.layers.size());
  };
  const auto [mprt_s, steps] = timed(true, false);
  const auto [logit_s, unused] = timed(false, true);
  (void)unused;

  ProbabilityModel prob;
  prob.probabilities = [&](const torch::Tensor& b) { return torch::softmax(model->forward(b), 1); };
  const CamOptions cam_options;
  const auto maps = run_methods(capture_layer(*model, x.narrow(0, 0, 1), layer), methods, cam_options, model.get());
  const auto& m0 = maps.begin()->second.maps;
  const cv::Mat prepared = prepare_map(m0[0].contiguous().data_ptr<float>(), int(m0.size(1)), int(m0.size(2)),
                                       int(size), int(size), "bench");
  auto t0 = Clock::now();
  road(prob, x[0], prepared, classes[0].item<int64_t>(), RoadOptions{}, 0);
  const double road_s = seconds_since(t0);

  std::printf("xception-mini %lldx%lld (width /%lld, %lld middle blocks), layer %s, %zu methods, %lld images, %d threads\n",
              (long long)size, (long long)size, (long long)width, (long long)middle, layer.c_str(), methods.size(),
              (long long)images, torch::get_num_threads());
  std::printf("one forward+backward to the layer: %.4f s per image\n", pass_per_image);
  std::printf("MPRT (%zu cascade steps, %zu methods): %.4f s per image = %.1f x one forward+backward\n", steps,
              methods.size(), mprt_s, mprt_s / pass_per_image);
  std::printf("random logit (%zu methods):            %.4f s per image = %.1f x one forward+backward\n",
              methods.size(), logit_s, logit_s / pass_per_image);
  std::printf("ROAD (9 percentiles x 2 orders, one map): %.4f s per image and method = %.1f x one forward+backward\n",
              road_s, road_s / pass_per_image);
  return 0;
}
