#include "models/batch_norm_fold.h"

#include "models/classifier.h"
#include "models/device.h"

namespace entcam {

FoldableBatchNorm2dImpl::FoldableBatchNorm2dImpl(torch::nn::Conv2d input, int64_t features)
    : input_(std::move(input)) {
  weight = register_parameter("weight", torch::ones({features}));
  bias = register_parameter("bias", torch::zeros({features}));
  running_mean = register_buffer("running_mean", torch::zeros({features}));
  running_var = register_buffer("running_var", torch::ones({features}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
}

torch::Tensor FoldableBatchNorm2dImpl::forward(const torch::Tensor& x) {
  if (folded_) return x;
  if (is_training()) num_batches_tracked += 1;  // as BatchNorm2d (unused with a fixed momentum)
  return torch::batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps,
                           at::globalContext().userEnabledCuDNN());
}

void FoldableBatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "entcam::FoldableBatchNorm2d(" << weight.size(0) << ", eps=" << eps << ", momentum=" << momentum
         << (folded_ ? ", folded" : "") << ")";
}

void FoldableBatchNorm2dImpl::fold() {
  if (folded_) return;
  TORCH_CHECK(!is_training(), "fold(): batch norm statistics are fixed only in eval mode");
  TORCH_CHECK(input_->options.out_channels() == weight.size(0), "fold(): convolution has ",
              input_->options.out_channels(), " output channels, batch norm ", weight.size(0));
  torch::NoGradGuard no_grad;
  // In double, so the folded weights are the exact products rounded once to float.
  auto scale = weight.to(torch::kFloat64) / (running_var.to(torch::kFloat64) + eps).sqrt();
  auto conv_bias = input_->bias.defined() ? input_->bias.to(torch::kFloat64) : torch::zeros_like(scale);
  auto folded_bias = bias.to(torch::kFloat64) + (conv_bias - running_mean.to(torch::kFloat64)) * scale;
  auto& w = input_->weight;
  std::vector<int64_t> per_output(size_t(w.dim()), 1);
  per_output[0] = -1;
  w.set_data((w.to(torch::kFloat64) * scale.view(per_output)).to(w.scalar_type()).contiguous(w.suggest_memory_format()));
  // Conv2d's forward passes its `bias` member to conv2d whether or not it was registered.
  input_->bias = folded_bias.to(w.scalar_type());
  folded_ = true;
}

std::optional<BatchNormTensors> batch_norm_tensors(torch::nn::Module& m) {
  if (auto* bn = m.as<FoldableBatchNorm2d>()) return BatchNormTensors{bn->weight, bn->bias, bn->running_mean, bn->running_var};
  if (auto* bn = m.as<torch::nn::BatchNorm2d>())
    return BatchNormTensors{bn->weight, bn->bias, bn->running_mean, bn->running_var};
  return std::nullopt;
}

void fold_batch_norms(torch::nn::Module& net) {
  for (const auto& m : net.modules(/*include_self=*/true))
    if (auto* bn = m->as<FoldableBatchNorm2dImpl>()) bn->fold();
}

std::vector<InferenceCopy::Version> InferenceCopy::versions(torch::nn::Module& net) {
  std::vector<Version> out;
  auto add = [&out](const torch::Tensor& t) {
    out.emplace_back(t.unsafeGetTensorImpl(), t.defined() ? t.data_ptr() : nullptr, t._version());
  };
  for (const auto& p : net.parameters()) add(p);
  for (const auto& b : net.buffers()) add(b);
  return out;
}

torch::Tensor InferenceCopy::predict(Classifier& model, const torch::Tensor& x) {
  torch::nn::Module* net = model.module();
  if (net == nullptr || net->is_training()) return model.forward(x);  // batch statistics: nothing to fold
  torch::NoGradGuard no_grad;
  auto now = versions(*net);
  const bool cpu = model.device().is_cpu();
  if (!copy_ || now != made_from_) {
    copy_ = model.clone();
    torch::nn::Module& copy = *copy_->module();
    fold_batch_norms(copy);
    if (cpu) make_weights_channels_last(copy);
    made_from_ = std::move(now);
  }
  return copy_->forward(cpu && x.dim() == 4 ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x);
}

}  // namespace entcam
