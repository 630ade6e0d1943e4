#pragma once
// Batch norms folded into the convolutions before them, for the inference passes of
// perturbation methods and metrics (Score-CAM, insertion/deletion, ROAD): in eval mode
//   BN(conv(x)) = s * (W*x - mu) + beta,  s = gamma / sqrt(var + eps)
//               = (s W) * x + (beta - s mu),
// one convolution with a bias instead of a convolution and a batch norm. The same function
// up to float rounding. (BN is 15-18% of xception-mini's eval forward in LibTorch's profiler,
// yet folding alone gained only 1-6% on a 2-core CPU: the biased convolutions take a little
// longer. Most of predict()'s gain is the channels-last layout of the copy.)
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <tuple>
#include <vector>

namespace entcam {

class Classifier;

// torch::nn::BatchNorm2d's eval and training behaviour (the same torch::batch_norm call,
// momentum 0.1, eps 1e-5) and its parameter and buffer names, plus the convolution whose
// output it normalises, so that fold() can merge the two. (A subclass of BatchNorm2dImpl
// would not link: LibTorch does not export its base's printer.)
class FoldableBatchNorm2dImpl : public torch::nn::Module {
 public:
  FoldableBatchNorm2dImpl(torch::nn::Conv2d input, int64_t features);
  torch::Tensor forward(const torch::Tensor& x);
  // Merges the running statistics and affine parameters into the input convolution's weight
  // and bias, then passes its input through unchanged. Irreversible: for copies only.
  void fold();
  bool folded() const { return folded_; }
  void pretty_print(std::ostream& stream) const override;

  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  static constexpr double momentum = 0.1, eps = 1e-5;

 private:
  torch::nn::Conv2d input_;
  bool folded_ = false;
};
TORCH_MODULE(FoldableBatchNorm2d);

// The affine parameters and running statistics of a batch norm (FoldableBatchNorm2d or
// torch::nn::BatchNorm2d), as handles that share the module's tensors; nullopt for any
// other module. For code that initialises batch norms of either kind.
struct BatchNormTensors {
  torch::Tensor weight, bias, running_mean, running_var;
};
std::optional<BatchNormTensors> batch_norm_tensors(torch::nn::Module& m);

// Folds every FoldableBatchNorm2d below `net`.
void fold_batch_norms(torch::nn::Module& net);

// The inference copy behind Classifier::predict for LibTorch modules: a clone() of the model
// with its batch norms folded and, on the CPU, channels-last weights and inputs (oneDNN runs
// those without reordering: 1.6-2.7x for xception-mini, bench_score_cam). Made on first use
// and made again whenever a parameter or buffer of the model has changed since (an optimiser
// step, randomize_layer, loading weights, to()), so it never serves stale weights.
class InferenceCopy {
 public:
  torch::Tensor predict(Classifier& model, const torch::Tensor& x);

 private:
  using Version = std::tuple<const void*, const void*, uint32_t>;  // tensor, storage, version
  static std::vector<Version> versions(torch::nn::Module& net);
  std::shared_ptr<Classifier> copy_;
  std::vector<Version> made_from_;
};

}  // namespace entcam
