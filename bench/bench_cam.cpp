// Benchmark (not a test): the cost of all one-pass CAM methods relative to the one
// forward+backward pass they share, on Xception at 299x299, batch 8, CPU; and Score-CAM's
// time per image with 32 masked inputs per pass. Prints ratios; asserts nothing.
//
//   build/bench/bench_cam [--batch 8] [--size 299] [--repeats 3] [--score-batches 2] [--layer act4] [--threads N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "cam/engine.h"
#include "models/registry.h"
#include "models/xception.h"

using namespace entcam;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
  int64_t batch = 8, size = 299, repeats = 3, score_batches = 2;
  std::string layer = "act4";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch")) batch = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--size")) size = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--score-batches")) score_batches = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--layer")) layer = argv[i + 1];
    else if (!std::strcmp(argv[i], "--threads")) torch::set_num_threads(std::stoi(argv[i + 1]));
  }
  torch::manual_seed(0);
  auto model = xception_classifier(Xception(XceptionConfig{}), "xception (random weights)");
  auto x = torch::randn({batch, 3, size, size});
  std::vector<const CamMethod*> one_pass;
  for (const auto& m : cam_methods())
    if (m.one_pass) one_pass.push_back(&m);
  CamOptions options;
  capture_layer(*model, x, layer);  // warm-up
  double best_pass = 1e30, best_all = 1e30;
  std::map<std::string, double> per_method;
  for (int64_t r = 0; r < repeats; ++r) {
    auto t0 = Clock::now();
    auto cap = capture_layer(*model, x, layer);
    best_pass = std::min(best_pass, seconds_since(t0));
    auto t1 = Clock::now();
    auto cap2 = capture_layer(*model, x, layer);
    auto maps = run_methods(cap2, one_pass, options, model.get());
    best_all = std::min(best_all, seconds_since(t1));
    for (const auto& [id, mm] : maps) per_method[id] = r == 0 ? mm.seconds : std::min(per_method[id], mm.seconds);
  }
  std::printf("xception %lldx%lld, batch %lld, layer %s, %d threads\n", (long long)size, (long long)size,
              (long long)batch, layer.c_str(), torch::get_num_threads());
  std::printf("forward+backward to the target layer: %.3f s\n", best_pass);
  std::printf("same pass + all %zu one-pass methods:  %.3f s\n", one_pass.size(), best_all);
  std::printf("ratio (all one-pass methods / one forward+backward): %.3f\n", best_all / best_pass);
  for (const auto& [id, s] : per_method) std::printf("  %-20s %.4f s (%.1f%% of the pass)\n", id.c_str(), s, 100 * s / best_pass);

  // Score-CAM: K masked inputs per image, 32 per forward pass. Time a few passes, extrapolate to K.
  auto cap = capture_layer(*model, x.narrow(0, 0, 1), layer);
  const int64_t K = cap.A.size(1), per_pass = 32;
  torch::NoGradGuard no_grad;
  auto masks = torch::rand({per_pass, 1, size, size});
  auto t0 = Clock::now();
  for (int64_t b = 0; b < score_batches; ++b) model->forward(x.narrow(0, 0, 1) * masks);
  const double per_batch = seconds_since(t0) / double(score_batches);
  std::printf("score_cam: %.3f s per pass of %lld masked inputs; %lld channels -> %.1f s per image (estimated from %lld passes)\n",
              per_batch, (long long)per_pass, (long long)K, per_batch * double((K + per_pass - 1) / per_pass),
              (long long)score_batches);
  return 0;
}
