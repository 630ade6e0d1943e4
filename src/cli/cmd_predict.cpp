// entcam predict: logits, probabilities and top-k classes (docs/spec.md §1).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/inputs.h"
#include "models/device.h"
#include "core/error.h"
#include "models/registry.h"

namespace entcam::cli {
namespace {

struct PredictArgs : ModelInputArgs {
  int64_t topk = 5, batch_size = 16;
  bool json = false;
};

int run_predict(const PredictArgs& a) {
  auto model = load_classifier(a.model);
  const torch::Device device = parse_device(a.device, "--device");
  model->to(device);
  Inputs in = load_inputs(a.images, a.tensor, model->input_spec());
  check_input_size(*model, in.batch, a.tensor);
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t b = 0; b < in.batch.size(0); b += a.batch_size)
    parts.push_back(model->forward(in.batch.slice(0, b, b + a.batch_size).to(device)).to(torch::kCPU, torch::kFloat32));
  auto logits = torch::cat(parts);
  check_finite_logits(logits, in.stems, a.model);
  auto probs = logits.softmax(1);
  const int64_t k = std::min<int64_t>(a.topk, logits.size(1));
  auto [top_p, top_i] = probs.topk(k, 1);
  nlohmann::json out = {{"logits", nlohmann::json::array()}, {"probabilities", nlohmann::json::array()},
                        {"top", nlohmann::json::array()}};
  for (int64_t i = 0; i < logits.size(0); ++i) {
    auto l = logits[i].contiguous(), p = probs[i].contiguous();
    out["logits"].push_back(std::vector<float>(l.data_ptr<float>(), l.data_ptr<float>() + l.numel()));
    out["probabilities"].push_back(std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel()));
    nlohmann::json top = nlohmann::json::array();
    for (int64_t j = 0; j < k; ++j)
      top.push_back({{"class", top_i[i][j].item<int64_t>()}, {"probability", top_p[i][j].item<float>()}});
    out["top"].push_back(top);
  }
  if (a.json) {
    std::printf("%s\n", out.dump().c_str());
    return kExitOk;
  }
  for (int64_t i = 0; i < logits.size(0); ++i) {
    std::printf("%s:", in.stems[i].c_str());
    for (const auto& t : out["top"][i])
      std::printf("  class %lld (%.4f)", static_cast<long long>(t["class"].get<int64_t>()), t["probability"].get<double>());
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace

Command add_predict(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* sub = app.add_subcommand("predict", "Class scores of a model for images or a tensor batch");
  add_model_input_options(sub, *args);
  sub->add_option("--topk", args->topk, "How many top classes to list")->capture_default_str()->check(CLI::Range(1, 1000000));
  sub->add_option("--batch-size", args->batch_size, "Images per forward pass")->capture_default_str()->check(CLI::Range(1, 4096));
  sub->add_flag("--json", args->json, "Print {logits, probabilities, top} as JSON");
  return {sub, [args] { return run_predict(*args); }};
}

}  // namespace entcam::cli
