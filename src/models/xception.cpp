#include "models/xception.h"

#include "core/error.h"
#include "models/stages.h"
#include "models/weights.h"

namespace entcam {
namespace nn = torch::nn;

int64_t XceptionConfig::channels(int64_t full) const { return std::max<int64_t>(1, full / width_divisor); }

void XceptionConfig::validate() const {
  if (num_classes < 1 || num_classes > 1000000)
    throw InputError("xception: num_classes must be in 1..1000000, got " + std::to_string(num_classes));
  if (width_divisor < 1 || width_divisor > 64)
    throw InputError("xception: width_divisor must be in 1..64, got " + std::to_string(width_divisor));
  if (middle_blocks < 0 || middle_blocks > 32)
    throw InputError("xception: middle_blocks must be in 0..32, got " + std::to_string(middle_blocks));
  if (output_stride != 16 && output_stride != 32)
    throw InputError("xception: output_stride must be 16 or 32, got " + std::to_string(output_stride));
  if (input_size < 32 || input_size > 4096)
    throw InputError("xception: input_size must be in 32..4096, got " + std::to_string(input_size));
}

std::map<std::string, std::string> XceptionConfig::to_metadata() const {
  return {{"entcam.arch", is_standard() ? "xception" : "xception-mini"},
          {"entcam.num_classes", std::to_string(num_classes)},
          {"entcam.width_divisor", std::to_string(width_divisor)},
          {"entcam.middle_blocks", std::to_string(middle_blocks)},
          {"entcam.output_stride", std::to_string(output_stride)},
          {"entcam.input_size", std::to_string(input_size)}};
}

XceptionConfig XceptionConfig::from_metadata(const std::map<std::string, std::string>& meta, const std::string& file) {
  XceptionConfig c;
  auto read = [&](const char* key, int64_t& out) { read_metadata_int(meta, key, file, out); };
  read("num_classes", c.num_classes);
  read("width_divisor", c.width_divisor);
  read("middle_blocks", c.middle_blocks);
  read("output_stride", c.output_stride);
  read("input_size", c.input_size);
  try {
    c.validate();
  } catch (const InputError& e) {
    throw file_error(file, std::string("bad metadata: ") + e.what());
  }
  return c;
}

SeparableConv2dImpl::SeparableConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  conv1 = register_module(
      "conv1", nn::Conv2d(nn::Conv2dOptions(in, in, kernel).stride(stride).padding(padding).groups(in).bias(false)));
  pointwise = register_module("pointwise", nn::Conv2d(nn::Conv2dOptions(in, out, 1).bias(false)));
}

torch::Tensor SeparableConv2dImpl::forward(const torch::Tensor& x) { return pointwise(conv1(x)); }

BlockImpl::BlockImpl(int64_t in, int64_t out, int64_t reps, int64_t stride, bool start_with_relu, bool grow_first) {
  if (out != in || stride != 1) {
    skip = register_module("skip", nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)));
    skipbn = register_module("skipbn", FoldableBatchNorm2d(skip, out));
  }
  rep = nn::Sequential();
  for (int64_t i = 0; i < reps; ++i) {
    int64_t inc, outc;
    if (grow_first) {
      inc = i == 0 ? in : out;
      outc = out;
    } else {
      inc = in;
      outc = i < reps - 1 ? in : out;
    }
    if (i > 0 || start_with_relu) rep->push_back(nn::ReLU());
    SeparableConv2d conv(inc, outc, 3, 1, 1);
    rep->push_back(conv);
    rep->push_back(FoldableBatchNorm2d(conv->pointwise, outc));
  }
  if (stride != 1) rep->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(stride).padding(1)));
  register_module("rep", rep);
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = rep->forward(x);
  return skip ? y + skipbn(skip(x)) : y + x;
}

XceptionImpl::XceptionImpl(const XceptionConfig& config) : config_(config) {
  config_.validate();
  const auto& c = config_;
  auto add = [this](const std::string& name, auto module) { add_stage(*this, stages_, name, module); };
  nn::Conv2d conv1(nn::Conv2dOptions(3, c.channels(32), 3).stride(2).bias(false));
  add("conv1", conv1);
  add("bn1", FoldableBatchNorm2d(conv1, c.channels(32)));
  add("act1", nn::ReLU());
  nn::Conv2d conv2(nn::Conv2dOptions(c.channels(32), c.channels(64), 3).bias(false));
  add("conv2", conv2);
  add("bn2", FoldableBatchNorm2d(conv2, c.channels(64)));
  add("act2", nn::ReLU());
  int block = 0;
  auto add_block = [&](int64_t in, int64_t out, int64_t reps, int64_t stride, bool start_with_relu, bool grow_first) {
    add("block" + std::to_string(++block), Block(in, out, reps, stride, start_with_relu, grow_first));
  };
  // Entry flow, middle flow, exit flow (Chollet 2017, Fig. 5).
  add_block(c.channels(64), c.channels(128), 2, 2, false, true);
  add_block(c.channels(128), c.channels(256), 2, 2, true, true);
  add_block(c.channels(256), c.channels(728), 2, 2, true, true);
  for (int64_t i = 0; i < c.middle_blocks; ++i) add_block(c.channels(728), c.channels(728), 3, 1, true, true);
  add_block(c.channels(728), c.channels(1024), 2, c.output_stride == 16 ? 1 : 2, true, false);
  SeparableConv2d conv3(c.channels(1024), c.channels(1536), 3, 1, 1);
  add("conv3", conv3);
  add("bn3", FoldableBatchNorm2d(conv3->pointwise, c.channels(1536)));
  add("act3", nn::ReLU());
  SeparableConv2d conv4(c.channels(1536), c.channels(2048), 3, 1, 1);
  add("conv4", conv4);
  add("bn4", FoldableBatchNorm2d(conv4->pointwise, c.channels(2048)));
  add("act4", nn::ReLU());
  fc = register_module("fc", nn::Linear(c.channels(2048), c.num_classes));

  init_conv_bn(*this);  // timm's initialisation
}

std::vector<std::string> XceptionImpl::layer_names() const { return stage_names(stages_); }

size_t XceptionImpl::stage_index(const std::string& layer) const {
  return entcam::stage_index(stages_, layer, "xception");
}

torch::Tensor XceptionImpl::run_stages(torch::Tensor x, size_t begin, size_t end) {
  return entcam::run_stages(stages_, std::move(x), begin, end);
}

torch::Tensor XceptionImpl::head(const torch::Tensor& features) {
  return fc(torch::adaptive_avg_pool2d(features, {1, 1}).flatten(1));
}

torch::Tensor XceptionImpl::forward(const torch::Tensor& x) { return head(run_stages(x, 0, stages_.size())); }

torch::Tensor XceptionImpl::forward_to(const torch::Tensor& x, const std::string& layer) {
  return run_stages(x, 0, stage_index(layer) + 1);
}

torch::Tensor XceptionImpl::forward_from(const torch::Tensor& a, const std::string& layer) {
  return head(run_stages(a, stage_index(layer) + 1, stages_.size()));
}

std::unique_ptr<Classifier> xception_classifier(Xception model, std::string description) {
  InputSpec input;  // timm legacy_xception: mean = std = 0.5, crop_pct 0.8975
  input.size = model->config().input_size;
  return std::make_unique<StagedClassifier<Xception>>(std::move(model), std::move(description), "act4", input);
}

std::unique_ptr<Classifier> create_xception(const ModelShape& shape, const std::string& origin) {
  XceptionConfig config = XceptionConfig::from_metadata(shape.options, origin);
  config.num_classes = shape.num_classes;
  try {
    config.validate();
  } catch (const InputError& e) {
    throw file_error(origin, e.what());
  }
  return xception_classifier(Xception(config), shape.arch + ":" + origin);
}

}  // namespace entcam
