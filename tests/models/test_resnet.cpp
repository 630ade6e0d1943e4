// ResNet-50 (`resnet50:FILE.safetensors`, docs/spec.md §1) against torchvision's resnet50.
// The weights are not committed (~100 MB): both this test and the generator
// tests/fixtures/make_resnet_fixture.py fill every tensor by the same closed formula
// (`formula_tensor`, `formula_input` there and here).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "core/npy.h"
#include "core/rng.h"
#include "core/safetensors.h"
#include "models/registry.h"
#include "models/resnet.h"
#include "models/weights.h"
#include "support/torch_support.h"

using namespace entcam;
using entcam::test::fixture;

namespace {

nlohmann::json reference() {
  std::ifstream in(fixture("resnet50_reference.json"));
  return nlohmann::json::parse(in);
}

// Parameters and buffers in torch's state_dict order: modules in pre-order, each module's own
// parameters, then its own buffers.
std::vector<std::pair<std::string, torch::Tensor>> state_dict(torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& m : module.named_modules()) {
    const std::string prefix = m.key().empty() ? "" : m.key() + ".";
    for (const auto& p : m.value()->named_parameters(/*recurse=*/false)) out.emplace_back(prefix + p.key(), p.value());
    for (const auto& b : m.value()->named_buffers(/*recurse=*/false)) out.emplace_back(prefix + b.key(), b.value());
  }
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// make_resnet_fixture.py formula_tensor: tensor number t (state_dict order, counters left
// out), u = SplitMix64(t) in [0,1), r = 2u - 1, float64 then float32.
torch::Tensor formula_tensor(const std::string& key, uint64_t t, at::IntArrayRef shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  SplitMix64 rng(t);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double u = rng.uniform(), r = 2.0 * u - 1.0;
    double x;
    if (ends_with(key, "running_var")) x = 1.0 + 1.0 * u;
    else if (ends_with(key, "running_mean")) x = 0.1 * r;
    else if (shape.size() > 1) x = std::sqrt(6.0 / double(n / shape[0])) * r;  // He-uniform conv / linear
    else if (key == "fc.bias") x = 0.01 * r;
    else if (ends_with(key, "weight")) x = 0.8 + 0.2 * r;  // BN weight
    else x = 0.1 * r;                                      // BN bias
    v[static_cast<size_t>(i)] = static_cast<float>(x);
  }
  return torch::from_blob(v.data(), shape, torch::kFloat32).clone();
}

void fill_by_formula(torch::nn::Module& model) {
  torch::NoGradGuard g;
  uint64_t t = 0;
  for (auto& [key, tensor] : state_dict(model))
    if (!ends_with(key, "num_batches_tracked")) tensor.copy_(formula_tensor(key, t++, tensor.sizes()));
}

// make_resnet_fixture.py formula_input: [2,3,224,224].
torch::Tensor formula_input() {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto n = torch::arange(2, f64).view({-1, 1, 1, 1});
  auto c = torch::arange(3, f64).view({1, -1, 1, 1});
  auto h = torch::arange(224, f64).view({1, 1, -1, 1});
  auto w = torch::arange(224, f64).view({1, 1, 1, -1});
  auto x = 1.5 * torch::sin((0.11 + 0.08 * n) * h + 0.9 * c + 1.7 * n) * torch::cos((0.07 + 0.05 * n) * w - 0.4 * c + 0.3 * n);
  x = x + 0.25 * torch::sin(0.37 * (224 * h + w));
  return x.to(torch::kFloat32);
}

std::vector<std::string> keys_of(const std::vector<std::pair<std::string, torch::Tensor>>& items) {
  std::vector<std::string> keys;
  for (const auto& item : items) keys.push_back(item.first);
  return keys;
}

template <typename Dict>
std::vector<std::string> keys_of_dict(const Dict& dict) {
  std::vector<std::string> keys;
  for (const auto& item : dict) keys.push_back(item.key());
  return keys;
}

// The formula weights written once per test binary run to a temp dir (no metadata, like a
// torchvision state dict saved as safetensors by a third-party tool).
const std::string& formula_weights_file() {
  static test::TempDir dir;
  static const std::string path = [] {
    ResNet50 model;
    fill_by_formula(*model);
    save_state(*model, dir / "resnet50_formula.safetensors", {});
    return (dir / "resnet50_formula.safetensors").string();
  }();
  return path;
}

}  // namespace

TEST(ResNet50, HasTorchvisionParameterNamesCountAndLayers) {
  const auto ref = reference();
  ResNet50 model;
  int64_t count = 0;
  for (const auto& p : model->parameters()) count += p.numel();
  EXPECT_EQ(count, 25557032);
  EXPECT_EQ(count, ref["parameter_count"].get<int64_t>());
  EXPECT_EQ(keys_of_dict(model->named_parameters()), ref["parameters"].get<std::vector<std::string>>());
  EXPECT_EQ(keys_of_dict(model->named_buffers()), ref["buffers"].get<std::vector<std::string>>());
  EXPECT_EQ(keys_of(state_dict(*model)), ref["state_dict_keys"].get<std::vector<std::string>>());
  EXPECT_EQ(model->layer_names(),
            (std::vector<std::string>{"conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"}));
  // torchvision's init: BN weight 1, bias 0; He-normal fan_out convs (std sqrt(2 / (64*7*7)) for conv1).
  auto params = model->named_parameters();
  EXPECT_TRUE(torch::equal(params["layer1.0.bn3.weight"], torch::ones({256})));
  EXPECT_NEAR(params["conv1.weight"].std().item<double>(), std::sqrt(2.0 / (64 * 49)), 2e-3);
}

TEST(ResNet50, Layer4IsTwoThousandFortyEightBySevenBySevenAt224) {
  ResNet50 model;
  model->eval();
  torch::NoGradGuard g;
  auto x = torch::zeros({2, 3, 224, 224});
  EXPECT_EQ(model->forward_to(x, "maxpool").sizes(), (std::vector<int64_t>{2, 64, 56, 56}));
  EXPECT_EQ(model->forward_to(x, "layer1").sizes(), (std::vector<int64_t>{2, 256, 56, 56}));
  EXPECT_EQ(model->forward_to(x, "layer3").sizes(), (std::vector<int64_t>{2, 1024, 14, 14}));
  EXPECT_EQ(model->forward_to(x, "layer4").sizes(), (std::vector<int64_t>{2, 2048, 7, 7}));
  EXPECT_EQ(model->forward(x).sizes(), (std::vector<int64_t>{2, 1000}));
}

TEST(ResNet50, SplitAtEveryLayerGivesTheSameLogits) {
  torch::manual_seed(3);
  auto classifier = create_model(ModelShape{"resnet50", 6, {}}, "test");
  fill_by_formula(*classifier->module());  // non-trivial BN statistics
  torch::NoGradGuard g;
  auto x = torch::randn({2, 3, 64, 64});
  auto full = classifier->forward(x);
  EXPECT_EQ(full.sizes(), (std::vector<int64_t>{2, 6}));
  for (const auto& layer : classifier->layers()) {
    auto split = classifier->head(classifier->features(x, layer), layer);
    EXPECT_TRUE(torch::allclose(split, full, 0, 1e-6)) << layer;
  }
  EXPECT_EQ(classifier->default_layer(), "layer4");
  EXPECT_THROW(classifier->features(x, "act4"), InputError);
}

TEST(ResNet50, LogitsMatchTorchvisionOnTheFormulaWeights) {
  const auto ref = reference();
  auto model = load_classifier("resnet50:" + formula_weights_file());
  auto x = formula_input();
  // The input formula agrees with the generator's.
  EXPECT_NEAR(x.to(torch::kFloat64).sum().item<double>(), ref["input"]["sum"].get<double>(), 1e-6);
  EXPECT_NEAR(x.to(torch::kFloat64).abs().sum().item<double>(), ref["input"]["abs_sum"].get<double>(), 1e-6);
  torch::NoGradGuard g;
  auto logits = model->forward(x);
  const double logit_diff = (logits - test::load_npy_tensor(fixture("resnet50_logits.npy"))).abs().max().item<double>();
  EXPECT_LE(logit_diff, 1e-4);
  auto layer4 = model->features(x, "layer4");
  const double feature_diff =
      (layer4.mean({2, 3}) - test::load_npy_tensor(fixture("resnet50_layer4_mean.npy"))).abs().max().item<double>();
  EXPECT_LE(feature_diff, 1e-4);
  std::cout << "[ resnet50 ] max |logit - torchvision| = " << logit_diff
            << ", max |layer4 mean - torchvision| = " << feature_diff << "\n";
  EXPECT_EQ(logits.argmax(1)[0].item<int64_t>(), ref["predicted"][0].get<int64_t>());
  EXPECT_EQ(model->num_classes(), 1000);
  EXPECT_EQ(model->description(), "resnet50:" + formula_weights_file());
  const InputSpec spec = model->input_spec();
  EXPECT_EQ(spec.size, 224);
  EXPECT_DOUBLE_EQ(spec.crop_pct, 0.875);
  EXPECT_EQ(spec.mean, (std::array<float, 3>{0.485f, 0.456f, 0.406f}));
  EXPECT_EQ(spec.std, (std::array<float, 3>{0.229f, 0.224f, 0.225f}));
  EXPECT_EQ(find_model("resnet50").input.mean, spec.mean);  // the registry row says the same
}

TEST(ResNet50, WeightsWithAMissingOrWrongShapedKeyNameTheFileAndKey) {
  test::TempDir dir;
  SafeTensorsFile good = SafeTensorsFile::load(formula_weights_file());
  std::vector<torch::Tensor> keep;
  std::vector<SafeTensorView> views;
  for (const auto& [key, info] : good.tensors()) {
    if (key == "layer2.0.bn1.bias") continue;  // missing
    torch::Tensor t = tensor_from(good, key);
    if (key == "layer3.1.conv2.weight") t = torch::zeros({256, 256, 1, 1});  // wrong shape
    keep.push_back(t.contiguous());
    views.push_back({key, keep.back().sizes().vec(), keep.back().data_ptr<float>()});
  }
  const std::string bad = (dir / "bad.safetensors").string();
  write_safetensors(bad, views, {});
  try {
    load_classifier("resnet50:" + bad);
    FAIL() << "loaded a file with a missing key";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), bad +
                                         ": weights do not match the model: missing keys: layer2.0.bn1.bias; "
                                         "wrong shapes: layer3.1.conv2.weight is [256, 256, 1, 1], model needs "
                                         "[256, 256, 3, 3]");
  }
  float one = 1.0f;
  write_safetensors(dir / "nofc.safetensors", {{"conv1.weight", {1}, &one}}, {});
  try {
    load_classifier("resnet50:" + (dir / "nofc.safetensors").string());
    FAIL() << "loaded a file without fc.weight";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir / "nofc.safetensors").string() + ": no tensor 'fc.weight': cannot tell the number of classes");
  }
}

TEST(ResNet50, ClassCountComesFromFcWeightAndMetadataRoundTrips) {
  test::TempDir dir;
  auto fresh = create_model(ModelShape{"resnet50", 3, {}}, "test");
  save_state(*fresh->module(), dir / "three.safetensors", fresh->metadata());
  auto loaded = load_classifier("resnet50:" + (dir / "three.safetensors").string());
  // The metadata names the architecture, so the bare path loads it too.
  auto bare = load_classifier((dir / "three.safetensors").string());
  EXPECT_EQ(bare->layers().back(), "layer4");
  EXPECT_EQ(loaded->num_classes(), 3);
  torch::NoGradGuard g;
  auto x = torch::randn({1, 3, 96, 96});
  EXPECT_TRUE(torch::equal(loaded->forward(x), fresh->forward(x)));
  EXPECT_TRUE(torch::equal(bare->forward(x), fresh->forward(x)));
  const auto meta = SafeTensorsFile::load(dir / "three.safetensors").metadata();
  EXPECT_EQ(meta.at("entcam.arch"), "resnet50");
  EXPECT_EQ(meta.at("entcam.num_classes"), "3");
}

TEST(ResNet50, PredictAndExplainCommandsTakeTheResnet50Spec) {
  test::TempDir dir;
  auto x = formula_input();
  write_npy(dir / "x.npy", x.sizes().vec(), x.contiguous().data_ptr<float>());
  const std::string spec = "resnet50:" + formula_weights_file();
  auto predict = test::run_entcam("predict --model '" + spec + "' --tensor '" + (dir / "x.npy").string() + "' --json");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  auto logits = nlohmann::json::parse(predict.out)["logits"].get<std::vector<std::vector<float>>>();
  auto expected = test::load_npy_tensor(fixture("resnet50_logits.npy"));
  ASSERT_EQ(logits.size(), 2u);
  ASSERT_EQ(logits[1].size(), 1000u);
  double diff = 0;
  for (size_t i = 0; i < 2; ++i)
    for (size_t k = 0; k < 1000; ++k)
      diff = std::max(diff, std::abs(double(logits[i][k]) - expected[i][k].item<double>()));
  EXPECT_LE(diff, 1e-4);

  auto explain = test::run_entcam("explain --model '" + spec + "' --tensor '" + (dir / "x.npy").string() +
                                  "' --methods grad_cam,feature_entropy_cam --out '" + (dir / "maps").string() + "'");
  ASSERT_EQ(explain.exit_code, 0) << explain.err;
  auto report = nlohmann::json::parse(read_file(dir / "maps" / "explain.json"));
  EXPECT_EQ(report["layer"], "layer4");
  EXPECT_EQ(report["items"].size(), 2u);
  EXPECT_EQ(read_npy(dir / "maps" / "0001" / "grad_cam.npy").shape, (std::vector<int64_t>{7, 7}));

  auto missing = test::run_entcam("predict --model resnet50:/nonexistent/r.safetensors --tensor '" +
                                  (dir / "x.npy").string() + "'");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err.rfind("entcam: error: /nonexistent/r.safetensors: ", 0), 0u) << missing.err;
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
}
