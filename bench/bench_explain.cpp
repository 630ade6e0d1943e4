// Benchmark (not a test): `entcam explain` with all ten one-pass methods as a whole process
// (start-up, weight loading, one forward+backward, ten methods, writing the maps and
// explain.json) against one no-grad forward of the same batch in this process. Xception
// (seeded random weights, written once as xception:FILE.safetensors), 299 px, batch 8.
// Prints the ratio; asserts nothing.
//
//   build/bench/bench_explain [--entcam build/bin/entcam] [--batch 8] [--size 299] [--threads N] [--repeats 3]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "cam/methods.h"
#include "core/npy.h"
#include "models/registry.h"
#include "models/xception.h"
#include "models/weights.h"

using namespace entcam;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
  int64_t batch = 8, size = 299, repeats = 3;
  // entcam's own default (all hardware threads), not LibTorch's (physical cores as cpuinfo
  // counts them: 1 on some 2-vCPU machines).
  int threads = int(std::max(1u, std::thread::hardware_concurrency()));
  std::string entcam = (fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "bin" / "entcam").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch")) batch = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--size")) size = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--entcam")) entcam = argv[i + 1];
  }
  torch::set_num_threads(threads);
  const fs::path dir = fs::temp_directory_path() / ("entcam-bench-explain-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  torch::manual_seed(0);
  Xception net(XceptionConfig{});
  net->eval();
  save_state(*net, dir / "xception.safetensors", {});
  auto x = torch::randn({batch, 3, size, size});
  write_npy(dir / "x.npy", x.sizes().vec(), x.data_ptr<float>());

  std::string methods;
  for (const auto& m : cam_methods())
    if (m.one_pass) methods += std::string(methods.empty() ? "" : ",") + m.id;
  const std::string cmd = entcam + " --quiet --threads " + std::to_string(threads) + " explain --model xception:" +
                          (dir / "xception.safetensors").string() + " --tensor " + (dir / "x.npy").string() +
                          " --batch-size " + std::to_string(batch) + " --methods " + methods + " --out " +
                          (dir / "maps").string() + " > /dev/null";
  // Where the rest goes: the process start-up alone, and the same explain with one method.
  const std::string startup_cmd = entcam + " --version > /dev/null";
  std::string one_method_cmd = cmd;
  one_method_cmd.replace(one_method_cmd.find(methods), methods.size(), "grad_cam");

  auto model = load_classifier("xception:" + (dir / "xception.safetensors").string());
  // Two references: the forward of a contiguous (NCHW) batch, as a plain model(x) runs it, and
  // of a channels-last one (entcam's CPU layout, the fastest forward here).
  double forward = 1e30, forward_cl = 1e30, process = 1e30, startup = 1e30, one_method = 1e30;
  const torch::Tensor x_cl = x.contiguous(torch::MemoryFormat::ChannelsLast);
  {
    torch::NoGradGuard no_grad;
    model->forward(x);  // warm-up
    model->forward(x_cl);
  }
  for (int64_t r = 0; r < repeats; ++r) {
    {
      torch::NoGradGuard no_grad;
      auto t = Clock::now();
      model->forward(x);
      forward = std::min(forward, seconds_since(t));
      t = Clock::now();
      model->forward(x_cl);
      forward_cl = std::min(forward_cl, seconds_since(t));
    }
    auto t = Clock::now();
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "bench_explain: failed: %s\n", cmd.c_str());
      return 1;
    }
    process = std::min(process, seconds_since(t));
    t = Clock::now();
    if (std::system(startup_cmd.c_str()) == 0) startup = std::min(startup, seconds_since(t));
    t = Clock::now();
    if (std::system(one_method_cmd.c_str()) == 0) one_method = std::min(one_method, seconds_since(t));
  }
  fs::remove_all(dir);
  std::printf("xception %lldx%lld, batch %lld, %d threads (best of %lld)\n", (long long)size, (long long)size,
              (long long)batch, threads, (long long)repeats);
  std::printf("one no-grad forward (in process), NCHW:                %.3f s\n", forward);
  std::printf("one no-grad forward (in process), channels-last:       %.3f s\n", forward_cl);
  std::printf("entcam explain, ten one-pass methods (whole process):  %.3f s\n", process);
  std::printf("  of which: process start-up (entcam --version) %.3f s; explain with grad_cam alone %.3f s\n", startup,
              one_method);
  std::printf("ratio (whole process / NCHW forward): %.3f; (whole process / channels-last forward): %.3f\n",
              process / forward, process / forward_cl);
  return 0;
}
