// Training throughput (images/s) on CPU, batch 16: Xception at 299 px and xception-mini at
// 96 px (the offline default). One step = forward, cross-entropy, backward, SGD(nesterov)
// step, as in train(). Prints numbers only; never asserts on time.
//   bench_train [threads] [steps_xception] [steps_mini]
#include <chrono>
#include <cstdio>
#include <string>

#include "models/xception.h"
#include "train/trainer.h"

namespace {

double images_per_second(const entcam::XceptionConfig& cfg, int64_t batch, int steps) {
  torch::manual_seed(0);
  entcam::Xception model(cfg);
  model->train();
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9).nesterov(true).weight_decay(5e-4));
  auto x = torch::randn({batch, 3, cfg.input_size, cfg.input_size});
  auto y = torch::randint(0, cfg.num_classes, {batch}, torch::kInt64);
  auto step = [&] {
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
  };
  step();  // warm-up: first-touch allocations, oneDNN primitive creation
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(batch * steps) / s;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::stoi(argv[1]) : 2;
  const int steps_x = argc > 2 ? std::stoi(argv[2]) : 3;
  const int steps_m = argc > 3 ? std::stoi(argv[3]) : 20;
  torch::set_num_threads(threads);
  entcam::XceptionConfig full;  // Xception, 299 px, 1000 classes
  entcam::XceptionConfig mini;  // the offline default (configs/experiments quickstart)
  mini.num_classes = 10;
  mini.width_divisor = 8;
  mini.middle_blocks = 1;
  mini.output_stride = 16;
  mini.input_size = 96;
  std::printf("CPU training throughput, batch 16, %d threads\n", threads);
  std::printf("xception      299 px: %8.2f images/s (%d steps)\n", images_per_second(full, 16, steps_x), steps_x);
  std::printf("xception-mini  96 px: %8.2f images/s (%d steps; width_divisor 8, middle_blocks 1, output_stride 16)\n",
              images_per_second(mini, 16, steps_m), steps_m);
  if (torch::cuda::is_available()) std::printf("(CUDA is available; this benchmark measures CPU only)\n");
  return 0;
}
