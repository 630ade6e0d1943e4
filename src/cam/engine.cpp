#include "cam/engine.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace entcam {

LayerCapture capture_layer(Classifier& model, const torch::Tensor& input, const std::string& layer,
                           const torch::Tensor& classes) {
  model.check_layer(layer);
  LayerCapture cap;
  cap.layer = layer;
  cap.input = input;
  {
    torch::NoGradGuard no_grad;  // nothing before the target layer needs a graph
    // On the CPU, oneDNN runs channels-last convolutions without reordering them (Xception
    // 299: 1.5x faster, bench_train); the same values up to float rounding.
    const bool channels_last = input.dim() == 4 && input.device().is_cpu();
    cap.A = model.features(channels_last ? input.contiguous(torch::MemoryFormat::ChannelsLast) : input, layer);
  }
  torch::Tensor A = cap.A.detach().requires_grad_(true);
  torch::Tensor logits;
  {
    torch::AutoGradMode grad_on(true);
    logits = model.head(A, layer);
    const int64_t C = logits.size(1);
    if (classes.defined()) {
      auto cls = classes.to(torch::kLong).to(logits.device());
      if (cls.numel() != logits.size(0))
        throw InputError("got " + std::to_string(cls.numel()) + " classes for " + std::to_string(logits.size(0)) + " images");
      if (cls.numel() > 0 && (cls.min().item<int64_t>() < 0 || cls.max().item<int64_t>() >= C))
        throw InputError("--class must be in 0.." + std::to_string(C - 1) + " for this model");
      cap.classes = cls;
    } else {
      cap.classes = logits.argmax(1);
    }
    auto y = logits.gather(1, cap.classes.unsqueeze(1)).squeeze(1);
    // The images of a batch are independent, so d(sum_b y_b)/dA gives each image its own dy^c/dA.
    cap.G = torch::autograd::grad({y.sum()}, {A})[0].detach();
    cap.scores = y.detach();
  }
  cap.A = A.detach();
  cap.logits = logits.detach();
  return cap;
}

std::vector<bool> clean_maps(torch::Tensor& maps) {
  torch::NoGradGuard no_grad;
  const auto B = maps.size(0);
  auto flat = maps.reshape({B, -1});
  auto non_finite = (~torch::isfinite(flat)).any(1);
  maps = torch::where(torch::isfinite(maps), maps, torch::zeros_like(maps)).clamp_min(0);
  auto all_zero = maps.reshape({B, -1}).eq(0).all(1);
  auto flags = (non_finite | all_zero).cpu();
  std::vector<bool> out(B);
  for (int64_t b = 0; b < B; ++b) out[b] = flags[b].item<bool>();
  return out;
}

std::map<std::string, MethodMaps> run_methods(const LayerCapture& cap, const std::vector<const CamMethod*>& methods,
                                              const CamOptions& options, Classifier* model) {
  torch::NoGradGuard no_grad;
  CamContext ctx;
  ctx.entropy = options.entropy;
  ctx.model = model;
  ctx.input = cap.input;
  ctx.classes = cap.classes;
  ctx.layer = cap.layer;
  ctx.batch_size = options.batch_size;
  ctx.score_cam_variant = options.score_cam_variant;
  CamInputs inputs{cap.A, cap.G, ctx};
  std::map<std::string, MethodMaps> out;
  for (const CamMethod* m : methods) {
    const auto start = std::chrono::steady_clock::now();
    if (!m->one_pass && model == nullptr)
      throw std::logic_error(std::string(m->id) + " needs the model");
    torch::Tensor maps = m->map(inputs);
    MethodMaps mm;
    mm.degenerate = clean_maps(maps);
    mm.maps = maps.to(torch::kCPU, torch::kFloat32).contiguous();
    mm.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out[m->id] = std::move(mm);
  }
  return out;
}

// Warnings about settings whose maps carry no spatial information (docs/spec.md §2 note).
std::vector<std::string> setting_warnings(const LayerCapture& cap, const std::vector<const CamMethod*>& methods) {
  std::vector<std::string> out;
  // Score-CAM, Ablation-CAM, Eigen-CAM and Feature-Entropy-CAM never read G: a constant G
  // says nothing about their maps.
  if (std::none_of(methods.begin(), methods.end(), [](const CamMethod* m) { return m->uses_gradients; })) return out;
  auto flat = cap.G.flatten(2);
  const bool constant_g = (std::get<0>(flat.max(2)) - std::get<0>(flat.min(2))).abs().max().item<float>() == 0.0f;
  if (constant_g && cap.G.size(2) * cap.G.size(3) > 1) {
    std::string msg = "gradients are constant over space at layer '" + cap.layer +
                      "' (global-average-pool head): grad_cam equals hires_cam up to scale";
    for (const auto* m : methods)
      if (std::string(m->id) == "grad_entropy_cam")
        msg += ", and grad_entropy_cam's weights H(G^k) carry no spatial information (all zero with the histogram "
               "and unique estimators)";
    out.push_back(msg + "; choose an earlier layer (e.g. conv4) for gradient-based spatial detail");
  }
  return out;
}

}  // namespace entcam
