#include "models/resnet.h"

#include "core/error.h"
#include "models/stages.h"
#include "models/weights.h"

namespace entcam {
namespace nn = torch::nn;

void ResNet50Config::validate() const {
  if (num_classes < 1) throw InputError("resnet50: num_classes must be >= 1, got " + std::to_string(num_classes));
  if (input_size < 32) throw InputError("resnet50: input_size must be >= 32, got " + std::to_string(input_size));
}

std::map<std::string, std::string> ResNet50Config::to_metadata() const {
  return {{"entcam.arch", "resnet50"},
          {"entcam.num_classes", std::to_string(num_classes)},
          {"entcam.input_size", std::to_string(input_size)}};
}

ResNet50Config ResNet50Config::from_metadata(const std::map<std::string, std::string>& meta, const std::string& file) {
  ResNet50Config c;
  read_metadata_int(meta, "num_classes", file, c.num_classes);
  read_metadata_int(meta, "input_size", file, c.input_size);
  try {
    c.validate();
  } catch (const InputError& e) {
    throw file_error(file, std::string("bad metadata: ") + e.what());
  }
  return c;
}

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride) {
  const int64_t out = planes * expansion;
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(inplanes, planes, 1).bias(false)));
  bn1 = register_module("bn1", FoldableBatchNorm2d(conv1, planes));
  conv2 = register_module("conv2",
                          nn::Conv2d(nn::Conv2dOptions(planes, planes, 3).stride(stride).padding(1).bias(false)));
  bn2 = register_module("bn2", FoldableBatchNorm2d(conv2, planes));
  conv3 = register_module("conv3", nn::Conv2d(nn::Conv2dOptions(planes, out, 1).bias(false)));
  bn3 = register_module("bn3", FoldableBatchNorm2d(conv3, out));
  relu = register_module("relu", nn::ReLU());
  if (stride != 1 || inplanes != out) {
    nn::Conv2d conv(nn::Conv2dOptions(inplanes, out, 1).stride(stride).bias(false));
    downsample = register_module("downsample", nn::Sequential(conv, FoldableBatchNorm2d(conv, out)));
  }
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = relu(bn1(conv1(x)));
  y = relu(bn2(conv2(y)));
  y = bn3(conv3(y));
  return relu(y + (downsample ? downsample->forward(x) : x));
}

ResNet50Impl::ResNet50Impl(const ResNet50Config& config) : config_(config) {
  config_.validate();
  auto add = [this](const std::string& name, auto module) { add_stage(*this, stages_, name, module); };
  nn::Conv2d conv1(nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false));
  add("conv1", conv1);
  add("bn1", FoldableBatchNorm2d(conv1, 64));
  add("relu", nn::ReLU());
  add("maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
  // He et al. 2016, Table 1 (50-layer): 3, 4, 6, 3 bottlenecks of 64, 128, 256, 512 planes.
  int64_t inplanes = 64;
  const int64_t blocks[4] = {3, 4, 6, 3};
  for (int64_t stage = 0; stage < 4; ++stage) {
    const int64_t planes = int64_t(64) << stage;
    nn::Sequential layer;
    for (int64_t b = 0; b < blocks[stage]; ++b) {
      layer->push_back(Bottleneck(inplanes, planes, b == 0 && stage > 0 ? 2 : 1));
      inplanes = planes * BottleneckImpl::expansion;
    }
    add("layer" + std::to_string(stage + 1), layer);
  }
  avgpool = register_module("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1})));
  fc = register_module("fc", nn::Linear(num_features, config_.num_classes));

  init_conv_bn(*this);  // torchvision's initialisation (zero_init_residual=False)
}

std::vector<std::string> ResNet50Impl::layer_names() const { return stage_names(stages_); }

torch::Tensor ResNet50Impl::head(const torch::Tensor& features) { return fc(avgpool(features).flatten(1)); }

torch::Tensor ResNet50Impl::forward(const torch::Tensor& x) { return head(run_stages(stages_, x, 0, stages_.size())); }

torch::Tensor ResNet50Impl::forward_to(const torch::Tensor& x, const std::string& layer) {
  return run_stages(stages_, x, 0, stage_index(stages_, layer, "resnet50") + 1);
}

torch::Tensor ResNet50Impl::forward_from(const torch::Tensor& a, const std::string& layer) {
  return head(run_stages(stages_, a, stage_index(stages_, layer, "resnet50") + 1, stages_.size()));
}

InputSpec resnet50_input_spec(int64_t size) {
  InputSpec spec;
  spec.size = size;
  spec.crop_pct = 0.875;
  spec.mean = {0.485f, 0.456f, 0.406f};
  spec.std = {0.229f, 0.224f, 0.225f};
  return spec;
}

std::unique_ptr<Classifier> create_resnet50(const ModelShape& shape, const std::string& origin) {
  ResNet50Config config = ResNet50Config::from_metadata(shape.options, origin);
  config.num_classes = shape.num_classes;
  try {
    config.validate();
  } catch (const InputError& e) {
    throw file_error(origin, e.what());
  }
  return std::make_unique<StagedClassifier<ResNet50>>(ResNet50(config), shape.arch + ":" + origin, "layer4",
                                                      resnet50_input_spec(config.input_size));
}

}  // namespace entcam
