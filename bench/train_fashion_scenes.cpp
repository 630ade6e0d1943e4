// Trains xception-mini from scratch on the STAND-IN fashion scenes (tests/train/
// fashion_scenes_standin.h) and prints test accuracy and wall time: the tool used to tune the
// offline default. Not a benchmark of anything else; it never asserts.
//   train_fashion_scenes [key=value ...]  e.g. size=96 width=4 middle=2 epochs=6 train=12000
// Defaults are the tuned offline default: xception-mini width_divisor 8, middle_blocks 1,
// output stride 16, 96 px (6x6 act4 maps), 14000 train / 4000 test scenes, 5 epochs, batch 32,
// SGD nesterov lr 0.1, 0.5 warm-up epochs then cosine, wd 5e-4, label smoothing 0.1, 1 thread
// (on 2 cores shared with compilers, 2 intra-op threads were 4-10x slower than 1).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "../tests/train/fashion_scenes_standin.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  std::map<std::string, std::string> kv = {
      {"size", "96"},   {"width", "8"},     {"middle", "1"},     {"stride", "16"},  {"epochs", "5"},
      {"train", "14000"}, {"test", "4000"}, {"bs", "32"},        {"lr", "0.1"},     {"wd", "5e-4"},
      {"warmup", "0.5"}, {"threads", "1"},  {"items", "4"},      {"ls", "0.1"},     {"opt", "sgd"},
      {"seed", "0"},    {"out", ""},        {"progress", "1"}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    if (eq == std::string::npos || !kv.count(a.substr(0, eq))) {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
    kv[a.substr(0, eq)] = a.substr(eq + 1);
  }
  auto I = [&](const char* k) { return std::stoll(kv[k]); };
  auto D = [&](const char* k) { return std::stod(kv[k]); };
  using namespace entcam;
  const auto t0 = std::chrono::steady_clock::now();
  auto train_pool = standin::read_fashion_mnist(true, 60000);
  auto test_pool = standin::read_fashion_mnist(false, 10000);
  auto tr = standin::make_scenes(train_pool, I("train"), I("size"), 1, I("items"));
  auto te = standin::make_scenes(test_pool, I("test"), I("size"), 2, I("items"));
  const double gen = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  TrainData data = in_memory_data(tr.images, tr.labels, te.images, te.labels, 10);

  TrainConfig c;
  c.model.arch = "xception-mini";
  c.model.options = {{"entcam.width_divisor", kv["width"]}, {"entcam.middle_blocks", kv["middle"]},
                     {"entcam.output_stride", kv["stride"]}, {"entcam.input_size", kv["size"]}};
  c.optimizer = kv["opt"];
  c.lr = D("lr");
  c.weight_decay = D("wd");
  c.warmup_epochs = D("warmup");
  c.label_smoothing = D("ls");
  c.epochs = I("epochs");
  c.batch_size = I("bs");
  c.seed = static_cast<uint64_t>(I("seed"));
  c.device = "cpu";
  c.threads = static_cast<int>(I("threads"));
  c.progress = I("progress") != 0;
  c.out_dir = kv["out"];
  const auto t1 = std::chrono::steady_clock::now();
  TrainResult r = train(c, data);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf("settings:");
  for (const auto& [k, v] : kv) std::printf(" %s=%s", k.c_str(), v.c_str());
  std::printf("\nscene generation %.1f s; training+evaluation %.1f s (%.2f min); final test accuracy %.4f; best %.4f (epoch %lld)\n",
              gen, secs, secs / 60, r.last_eval.accuracy, r.best_accuracy, static_cast<long long>(r.best_epoch));
  for (const auto& h : r.history)
    std::printf("  epoch %lld: train loss %.4f acc %.4f test acc %.4f lr %.4f %.1f s %.0f img/s\n",
                static_cast<long long>(h.epoch), h.train_loss, h.train_accuracy, h.test_accuracy, h.lr, h.seconds,
                h.images_per_second);
  std::printf("per-class accuracy:");
  for (double a : r.last_eval.per_class_accuracy) std::printf(" %.3f", a);
  std::printf("\n");
  return 0;
}
