// Benchmark (not a test): where Score-CAM's time goes. Default model: the quickstart's
// xception-mini (width / 4, 2 middle blocks, output stride 16, 10 classes, seeded random
// weights) at 96 px, layer conv4; or any --model SPEC (e.g. torchscript:resnet18.pt --layer
// features --size 128). Prints, for the same masked inputs: the first forward passes (the
// TorchScript executor's warm-up), the cost of building the masks relative to the passes,
// throughput per batch size and memory layout, predict()'s inference copy (batch norms
// folded, channels-last), and score_cam itself. Asserts nothing.
//
//   build/bench/bench_score_cam [--model SPEC] [--layer L] [--size S] [--images N] [--threads T] [--variant wang|pytorch-grad-cam]
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
  std::string spec, layer = "conv4", variant = "wang";
  int64_t size = 96, images = 2, masked = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--model")) spec = argv[i + 1];
    else if (!std::strcmp(argv[i], "--layer")) layer = argv[i + 1];
    else if (!std::strcmp(argv[i], "--size")) size = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--images")) images = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--masked")) masked = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--variant")) variant = argv[i + 1];
    else if (!std::strcmp(argv[i], "--threads")) torch::set_num_threads(std::stoi(argv[i + 1]));
  }
  torch::manual_seed(0);
  std::unique_ptr<Classifier> model;
  if (spec.empty()) {
    XceptionConfig c;
    c.num_classes = 10, c.width_divisor = 4, c.middle_blocks = 2, c.output_stride = 16, c.input_size = size;
    model = xception_classifier(Xception(c), "xception-mini (random weights)");
  } else {
    model = load_classifier(spec);
  }
  torch::NoGradGuard no_grad;
  auto x = torch::randn({images, 3, size, size});
  auto A = model->features(x.narrow(0, 0, 1), layer);
  std::printf("%s, layer %s [%lld channels %lldx%lld], %lld px, %d threads\n", model->description().c_str(),
              layer.c_str(), (long long)A.size(1), (long long)A.size(2), (long long)A.size(3), (long long)size,
              torch::get_num_threads());

  // The first passes of a fresh model (TorchScript: profiling, then optimising the graph).
  auto batch = x.narrow(0, 0, 1) * torch::rand({32, 1, size, size});
  for (int r = 0; r < 4; ++r) {
    auto t = Clock::now();
    model->forward(batch);
    std::printf("  forward #%d of 32 masked inputs: %.3f s\n", r + 1, seconds_since(t));
  }

  // Masks alone (upsample, min-max, multiply) against the passes they feed.
  const int64_t K = A.size(1);
  auto t = Clock::now();
  for (int64_t s = 0; s < K; s += 32) {
    auto up = torch::nn::functional::interpolate(
        A.narrow(1, s, std::min<int64_t>(32, K - s)),
        torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{size, size}).mode(torch::kBilinear).align_corners(false));
    auto flat = up.flatten(2);
    auto lo = std::get<0>(flat.min(2)).unsqueeze(-1).unsqueeze(-1), hi = std::get<0>(flat.max(2)).unsqueeze(-1).unsqueeze(-1);
    auto m = x.narrow(0, 0, 1) * ((up - lo) / (hi - lo)).transpose(0, 1);
  }
  const double mask_seconds = seconds_since(t);

  // Throughput of the masked passes by batch size and memory layout (the same masked inputs).
  auto inputs = x.narrow(0, 0, 1) * torch::rand({masked, 1, size, size});
  double base = 0;
  for (bool channels_last : {false, true})
    for (int64_t bs : {8, 16, 32, 64, 128}) {
      auto t0 = Clock::now();
      for (int64_t s = 0; s < masked; s += bs) {
        auto b = inputs.narrow(0, s, std::min(bs, masked - s));
        model->forward(channels_last ? b.contiguous(at::MemoryFormat::ChannelsLast) : b);
      }
      const double per_image = seconds_since(t0) / double(masked);
      if (base == 0) base = per_image;
      std::printf("  batch %3lld %-14s %.2f ms per masked input (%.2fx batch 8 contiguous)\n", (long long)bs,
                  channels_last ? "channels-last" : "contiguous", 1e3 * per_image, base / per_image);
    }
  // predict(): the inference copy (batch norms folded, channels-last on the CPU) score_cam runs.
  for (int64_t bs : {32}) {
    for (int64_t s = 0; s < bs; s += bs) model->predict(inputs.narrow(0, s, bs));  // makes the copy
    auto t0 = Clock::now();
    for (int64_t s = 0; s < masked; s += bs) model->predict(inputs.narrow(0, s, std::min(bs, masked - s)));
    const double per_image = seconds_since(t0) / double(masked);
    std::printf("  batch %3lld predict()       %.2f ms per masked input (%.2fx batch 8 contiguous)\n", (long long)bs,
                1e3 * per_image, base / per_image);
  }
  std::printf("  building all %lld masks of one image: %.3f s (%.1f%% of its passes at batch 8)\n", (long long)K, mask_seconds,
              100 * mask_seconds / (base * double(K)));

  // score_cam as shipped.
  auto cap = capture_layer(*model, x, layer);
  CamOptions options;
  options.score_cam_variant = variant;
  t = Clock::now();
  auto maps = run_methods(cap, parse_method_list("score_cam"), options, model.get());
  const double sc = seconds_since(t);
  std::printf("score_cam (%s), %lld images: %.2f s = %.2f ms per channel and image (%.2fx the batch-8 contiguous passes)\n",
              variant.c_str(), (long long)images, sc, 1e3 * sc / double(images * K), base * double(images * K) / sc);
  return 0;
}
