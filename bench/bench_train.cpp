// Training throughput (images/s) on CPU: Xception at 299 px (batch 16) and the quickstart's
// xception-mini at 96 px (batch 32), each with contiguous (NCHW) and channels-last tensors,
// plus the no-grad evaluation forward. One step = forward, cross-entropy, backward,
// SGD(nesterov) step, as in train(). Prints numbers and ratios only; never asserts on time.
//   bench_train [threads] [steps_xception] [steps_mini]
#include <chrono>
#include <cstdio>
#include <string>

#include "models/xception.h"
#include "train/trainer.h"

namespace {

struct Throughput {
  double train = 0, eval = 0;  // images per second
};

Throughput images_per_second(const entcam::XceptionConfig& cfg, int64_t batch, int steps, bool channels_last) {
  torch::manual_seed(0);
  entcam::Xception model(cfg);
  const auto format = channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  {
    torch::NoGradGuard ng;
    for (auto& p : model->parameters())
      if (p.dim() == 4) p.set_data(p.data().contiguous(format));
  }
  model->train();
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9).nesterov(true).weight_decay(5e-4));
  auto x = torch::randn({batch, 3, cfg.input_size, cfg.input_size}).contiguous(format);
  auto y = torch::randint(0, cfg.num_classes, {batch}, torch::kInt64);
  auto step = [&] {
    for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
  };
  auto timed = [&](auto&& fn) {
    fn();  // warm-up: first-touch allocations, oneDNN primitive creation
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) fn();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return static_cast<double>(batch * steps) / s;
  };
  Throughput t;
  t.train = timed(step);
  model->eval();
  torch::NoGradGuard ng;
  t.eval = timed([&] { (void)model->forward(x); });
  return t;
}

void report(const char* name, const entcam::XceptionConfig& cfg, int64_t batch, int steps) {
  const Throughput nchw = images_per_second(cfg, batch, steps, false);
  const Throughput cl = images_per_second(cfg, batch, steps, true);
  std::printf("%s batch %lld: train %8.2f img/s NCHW, %8.2f channels-last (x%.2f); eval %8.2f NCHW, %8.2f channels-last (x%.2f)\n",
              name, static_cast<long long>(batch), nchw.train, cl.train, cl.train / nchw.train, nchw.eval, cl.eval,
              cl.eval / nchw.eval);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::stoi(argv[1]) : 2;
  const int steps_x = argc > 2 ? std::stoi(argv[2]) : 3;
  const int steps_m = argc > 3 ? std::stoi(argv[3]) : 20;
  torch::set_num_threads(threads);
  entcam::XceptionConfig full;  // Xception, 299 px, 1000 classes
  entcam::XceptionConfig mini;  // experiments/quickstart.yaml's model
  mini.num_classes = 10;
  mini.width_divisor = 4;
  mini.middle_blocks = 2;
  mini.output_stride = 16;
  mini.input_size = 96;
  std::printf("CPU throughput, %d threads (steps: xception %d, xception-mini %d)\n", threads, steps_x, steps_m);
  report("xception      299 px", full, 16, steps_x);
  report("xception-mini  96 px", mini, 32, steps_m);
  if (torch::cuda::is_available()) std::printf("(CUDA is available; this benchmark measures CPU only)\n");
  return 0;
}
