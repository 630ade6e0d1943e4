// entcam explain: CAM maps for images or a tensor batch (docs/spec.md §1).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <nlohmann/json.hpp>

#include "cam/engine.h"
#include "cam/overlay.h"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "models/device.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/interrupt.h"
#include "core/npy.h"
#include "core/progress.h"
#include "models/registry.h"

namespace entcam::cli {
namespace {

// Runs the writes of one batch on a few threads: each file is written and flushed to disk
// (write_file_atomic), so waiting for the disk overlaps. Rethrows the first error.
void run_writes(std::vector<std::function<void()>>& writes) {
  std::exception_ptr error;
  std::mutex mutex;
  size_t next = 0;
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (error || next == writes.size()) return;
        i = next++;
      }
      try {
        writes[i]();
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads(std::min<size_t>(8, writes.size()));
  for (auto& t : threads) t = std::thread(worker);
  for (auto& t : threads) t.join();
  writes.clear();
  if (error) std::rethrow_exception(error);
}

struct ExplainArgs : ModelInputArgs {
  std::string methods = "all", cls = "pred", layer, entropy, out;
  std::string score_cam_variant = "wang";
  int64_t batch_size = 8, perturbation_batch = 32;
};

int run_explain(const ExplainArgs& a) {
  namespace fs = std::filesystem;
  auto methods = parse_method_list(a.methods);
  CamOptions options;
  options.entropy = EntropyOptions::parse(a.entropy);
  options.batch_size = a.perturbation_batch;
  if (a.score_cam_variant != "wang" && a.score_cam_variant != "pytorch-grad-cam")
    throw InputError("--score-cam-variant '" + a.score_cam_variant + "' is not wang or pytorch-grad-cam");
  options.score_cam_variant = a.score_cam_variant;
  std::filesystem::create_directories(a.out);  // a --out that cannot be a folder fails before any work
  auto model = load_classifier(a.model);
  const std::string layer = a.layer.empty() ? model->default_layer() : a.layer;
  model->check_layer(layer);
  const torch::Device device = parse_device(a.device, "--device");
  model->to(device);
  Inputs in = load_inputs(a.images, a.tensor, model->input_spec());
  check_input_size(*model, in.batch, a.tensor);
  torch::Tensor fixed_class;
  if (a.cls != "pred") {
    char* end = nullptr;
    const int64_t k = std::strtoll(a.cls.c_str(), &end, 10);
    if (a.cls.empty() || *end != '\0') throw InputError("--class '" + a.cls + "' is not an integer or 'pred'");
    fixed_class = torch::full({1}, k, torch::kLong);
  }

  nlohmann::json report = {{"model", a.model}, {"layer", layer}, {"entropy", options.entropy.to_string()},
                           {"device", device.str()}, {"items", nlohmann::json::array()}};
  std::vector<std::string> warnings;
  const int64_t N = in.batch.size(0);
  Progress progress("explain", N, "img");
  for (int64_t begin = 0; begin < N; begin += a.batch_size) {
    check_interrupt();
    const int64_t end = std::min(N, begin + a.batch_size);
    auto x = in.batch.slice(0, begin, end).to(device);
    torch::Tensor classes;
    if (fixed_class.defined()) classes = fixed_class.expand({end - begin}).contiguous();
    LayerCapture cap = capture_layer(*model, x, layer, classes);
    if (begin == 0) warnings = setting_warnings(cap, methods);
    auto maps = run_methods(cap, methods, options, model.get());
    auto cls_cpu = cap.classes.cpu(), score_cpu = cap.scores.cpu();
    std::vector<std::function<void()>> writes;
    for (int64_t i = begin; i < end; ++i) {
      const int64_t b = i - begin;
      const std::string& stem = in.stems[i];
      nlohmann::json item = {{"stem", stem}, {"class", cls_cpu[b].item<int64_t>()},
                             {"score", score_cpu[b].item<double>()}, {"methods", nlohmann::json::object()}};
      for (const auto* m : methods) {
        const MethodMaps& mm = maps.at(m->id);
        auto map = mm.maps[b].contiguous();
        const std::string file = stem + "/" + m->id + ".npy";
        writes.push_back([&, map, file] { write_npy(fs::path(a.out) / file, map.sizes().vec(), map.data_ptr<float>()); });
        if (!in.images.empty())
          writes.push_back([&, map, i, stem, id = std::string(m->id)] {
            write_rgb_png(fs::path(a.out) / stem / (id + ".png"), overlay_map(in.images[i], map));
          });
        item["methods"][m->id] = {{"file", file}, {"degenerate", bool(mm.degenerate[b])},
                                  {"seconds", mm.seconds / double(end - begin)}};
      }
      report["items"].push_back(item);
    }
    run_writes(writes);
    progress.set(end);
  }
  progress.finish();
  report["warnings"] = warnings;
  for (const auto& w : warnings) std::fprintf(stderr, "entcam explain: warning: %s\n", w.c_str());
  // a model path is any byte string; JSON must be UTF-8 (stems are checked by load_inputs)
  write_file_atomic(fs::path(a.out) / "explain.json",
                    report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  std::printf("wrote %lld item(s) x %zu method(s) to %s\n", static_cast<long long>(N), methods.size(), a.out.c_str());
  return kExitOk;
}

}  // namespace

Command add_explain(CLI::App& app) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* sub = app.add_subcommand("explain", "Write CAM maps (.npy, and .png overlays for images) for a model and inputs");
  add_model_input_options(sub, *args);
  sub->add_option("--methods", args->methods, "all, or a comma-separated list of method ids")->capture_default_str();
  sub->add_option("--class", args->cls, "Class to explain: an index, or pred (top-scoring)")->capture_default_str();
  sub->add_option("--layer", args->layer, "Target layer (default: the model's, act4 for Xception)");
  sub->add_option("--entropy", args->entropy, "Entropy options k=v,...: estimator, bins, transform, base");
  sub->add_option("--out", args->out, "Output folder")->required();
  sub->add_option("--batch-size", args->batch_size, "Images per forward/backward pass")->capture_default_str()->check(CLI::Range(1, 4096));
  sub->add_option("--perturbation-batch", args->perturbation_batch, "Masked inputs per pass for score_cam / ablation_cam")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  sub->add_option("--score-cam-variant", args->score_cam_variant, "wang | pytorch-grad-cam")->capture_default_str();
  return {sub, [args] { return run_explain(*args); }};
}

}  // namespace entcam::cli
