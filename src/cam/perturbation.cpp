// CAM methods that weigh channels by extra forward passes instead of gradients.
#include <algorithm>
#include <utility>
#include <vector>

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
//
// Exact savings over one masked pass per channel and image: a channel whose upsampled map
// is constant needs no pass of its own (Wang: weight 0; pytorch-grad-cam: its mask is 0, so
// one pass of a zero image serves every such channel of every image), and the masked inputs
// of all images share full batches. Masks are built per batch, so memory stays at one batch.
torch::Tensor score_cam(const CamInputs& in) {
  const CamContext& ctx = checked(in, "score_cam");
  torch::NoGradGuard no_grad;
  const bool pgc = ctx.score_cam_variant == "pytorch-grad-cam";
  const auto B = in.A.size(0), K = in.A.size(1);
  const auto H = ctx.input.size(2), W = ctx.input.size(3);
  const int64_t batch_size = std::max<int64_t>(1, ctx.batch_size);
  auto upsample = [&](const torch::Tensor& a) {  // [n,h,w] -> [n,H,W]
    return torch::nn::functional::interpolate(
               a.unsqueeze(0), torch::nn::functional::InterpolateFuncOptions()
                                   .size(std::vector<int64_t>{H, W}).mode(torch::kBilinear).align_corners(pgc))
        .squeeze(0);
  };
  // Pass 1: each upsampled map's range (in chunks of channels, to bound memory).
  auto lo = torch::empty({B, K}, in.A.options()), hi = torch::empty({B, K}, in.A.options());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < K; s += batch_size) {
      const int64_t e = std::min(K, s + batch_size);
      auto flat = upsample(in.A[b].slice(0, s, e)).reshape({e - s, -1});
      lo[b].slice(0, s, e).copy_(std::get<0>(flat.min(1)));
      hi[b].slice(0, s, e).copy_(std::get<0>(flat.max(1)));
    }
  const auto constant = hi.eq(lo);
  const auto constant_cpu = constant.cpu();
  const auto is_constant = constant_cpu.accessor<bool, 2>();
  const auto classes = ctx.classes.to(torch::kCPU, torch::kLong);
  std::vector<std::pair<int64_t, int64_t>> work;  // (image, channel) pairs that need a masked pass
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k)
      if (!is_constant[b][k]) work.emplace_back(b, k);
  // Pass 2: the masked inputs in batches of batch_size, images back to back.
  auto scores = torch::zeros({B, K}, in.A.options());
  const auto index = torch::TensorOptions().dtype(torch::kLong);
  for (size_t begin = 0; begin < work.size(); begin += size_t(batch_size)) {
    const size_t end = std::min(work.size(), begin + size_t(batch_size));
    std::vector<torch::Tensor> parts;
    std::vector<int64_t> rows_b, rows_k, rows_c;
    for (size_t i = begin; i < end;) {
      const int64_t b = work[i].first;
      std::vector<int64_t> channels;
      for (; i < end && work[i].first == b; ++i) channels.push_back(work[i].second);
      auto idx = torch::tensor(channels, index).to(in.A.device());
      auto l = lo[b].index_select(0, idx).view({-1, 1, 1}), h = hi[b].index_select(0, idx).view({-1, 1, 1});
      auto up = upsample(in.A[b].index_select(0, idx));
      auto masks = pgc ? (up - l) / (h - l + 1e-8) : (up - l) / (h - l);
      parts.push_back(ctx.input[b].unsqueeze(0) * masks.unsqueeze(1));
      rows_b.insert(rows_b.end(), channels.size(), b);
      rows_k.insert(rows_k.end(), channels.begin(), channels.end());
      rows_c.insert(rows_c.end(), channels.size(), classes[b].item<int64_t>());
    }
    // predict() puts the batch in the layout its model runs fastest (channels-last for LibTorch
    // modules on the CPU, NCHW for TorchScript's optimised copy).
    auto logits = ctx.model->predict(parts.size() == 1 ? parts[0] : torch::cat(parts));
    auto values = pgc ? logits : logits.softmax(1);
    auto picked = values.gather(1, torch::tensor(rows_c, index).to(values.device()).unsqueeze(1)).squeeze(1);
    scores.index_put_({torch::tensor(rows_b, index).to(scores.device()), torch::tensor(rows_k, index).to(scores.device())},
                      picked.to(scores.dtype()));
  }
  if (!pgc) return weighted_sum(scores, in.A);  // constant channels keep weight 0
  if (work.size() < size_t(B * K)) {
    auto zero_logits = ctx.model->predict(torch::zeros({1, ctx.input.size(1), H, W}, ctx.input.options()))[0];
    auto zero_scores = zero_logits.index_select(0, classes.to(zero_logits.device())).to(scores.dtype()).unsqueeze(1);
    scores = torch::where(constant, zero_scores.expand({B, K}), scores);
  }
  return weighted_sum(scores.softmax(1), in.A);
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
