// CAM methods that weigh channels by extra forward passes instead of gradients.
#include "cam/methods.h"
#include "core/error.h"
#include "models/classifier.h"

namespace entcam {
namespace {

const CamContext& checked(const CamInputs& in, const char* method) {
  if (in.ctx.model == nullptr || !in.ctx.input.defined() || !in.ctx.classes.defined())
    throw std::logic_error(std::string(method) + " needs the model, the input and the classes in its context");
  return in.ctx;
}

// Runs `make_batch(begin, end)` through `run` in chunks of `batch_size` and concatenates the
// class-c outputs.
template <class MakeBatch, class Run>
torch::Tensor chunked_scores(int64_t count, int64_t batch_size, MakeBatch make_batch, Run run) {
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < count; begin += batch_size) {
    const int64_t end = std::min(count, begin + batch_size);
    parts.push_back(run(make_batch(begin, end)));
  }
  return torch::cat(parts);
}

}  // namespace

// Wang et al. 2020 (Score-CAM): each channel, upsampled to the input and min-max
// normalised, masks the input; its weight is the class probability of the masked input.
// The pytorch-grad-cam variant uses align-corners upsampling, eps 1e-8 and a softmax of
// the channels' class logits instead.
torch::Tensor score_cam(const CamInputs& in) {
  const CamContext& ctx = checked(in, "score_cam");
  torch::NoGradGuard no_grad;
  const bool pgc = ctx.score_cam_variant == "pytorch-grad-cam";
  const auto B = in.A.size(0), K = in.A.size(1);
  const auto H = ctx.input.size(2), W = ctx.input.size(3);
  std::vector<torch::Tensor> weights;
  for (int64_t b = 0; b < B; ++b) {
    auto up = torch::nn::functional::interpolate(
                  in.A.narrow(0, b, 1),
                  torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{H, W})
                      .mode(torch::kBilinear).align_corners(pgc))
                  .squeeze(0);
    auto flat = up.reshape({K, -1});
    auto lo = std::get<0>(flat.min(1)).view({K, 1, 1}), hi = std::get<0>(flat.max(1)).view({K, 1, 1});
    auto constant = (hi - lo).eq(0).view({K});
    auto masks = pgc ? (up - lo) / (hi - lo + 1e-8)
                     : torch::where(constant.view({K, 1, 1}), torch::zeros_like(up), (up - lo) / (hi - lo));
    const int64_t c = ctx.classes[b].item<int64_t>();
    auto image = ctx.input.narrow(0, b, 1);
    auto scores = chunked_scores(
        K, ctx.batch_size,
        [&](int64_t s, int64_t e) { return image * masks.slice(0, s, e).unsqueeze(1); },
        [&](const torch::Tensor& batch) {
          auto logits = ctx.model->forward(batch);
          return pgc ? logits.select(1, c) : logits.softmax(1).select(1, c);
        });
    weights.push_back(pgc ? scores.softmax(0) : torch::where(constant, torch::zeros_like(scores), scores));
  }
  return weighted_sum(torch::stack(weights).to(in.A.dtype()), in.A);
}

// Desai & Ramaswamy 2020 (Ablation-CAM): w_k = (y^c - y^c_k) / y^c, where y^c_k is the class
// score with channel k of the target layer set to zero. Only the part of the network after
// the target layer is run.
torch::Tensor ablation_cam(const CamInputs& in) {
  const CamContext& ctx = checked(in, "ablation_cam");
  torch::NoGradGuard no_grad;
  const auto B = in.A.size(0), K = in.A.size(1);
  auto keep = 1 - torch::eye(K, in.A.options());  // row k zeroes channel k
  std::vector<torch::Tensor> weights;
  for (int64_t b = 0; b < B; ++b) {
    auto a = in.A.narrow(0, b, 1);
    const int64_t c = ctx.classes[b].item<int64_t>();
    auto y = ctx.model->head(a, ctx.layer).select(1, c);
    auto ablated = chunked_scores(
        K, ctx.batch_size,
        [&](int64_t s, int64_t e) { return a * keep.slice(0, s, e).unsqueeze(-1).unsqueeze(-1); },
        [&](const torch::Tensor& batch) { return ctx.model->head(batch, ctx.layer).select(1, c); });
    weights.push_back((y - ablated) / y);
  }
  return weighted_sum(torch::stack(weights).to(in.A.dtype()), in.A);
}

}  // namespace entcam
