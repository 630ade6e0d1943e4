#include <gtest/gtest.h>

#include <torch/script.h>

#include "core/error.h"
#include "core/safetensors.h"
#include "models/registry.h"
#include "models/weights.h"
#include "models/xception.h"
#include "support/torch_support.h"

using namespace entcam;
using entcam::test::fixture;

namespace {
int64_t count_parameters(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}
}  // namespace

TEST(Xception, HasTimmParameterCountNamesAndFeatureMap) {
  Xception model(XceptionConfig{});
  EXPECT_EQ(count_parameters(*model), 22855952);
  std::set<std::string> names;
  for (const auto& p : model->named_parameters()) names.insert(p.key());
  for (const auto& b : model->named_buffers()) names.insert(b.key());
  for (const char* key : {"conv1.weight", "bn1.running_mean", "bn1.num_batches_tracked", "block1.rep.0.conv1.weight",
                          "block1.rep.0.pointwise.weight", "block1.rep.1.running_var", "block1.skip.weight",
                          "block1.skipbn.weight", "block2.rep.1.conv1.weight", "block4.rep.7.pointwise.weight",
                          "block12.rep.4.conv1.weight", "conv3.conv1.weight", "conv4.pointwise.weight", "bn4.bias",
                          "fc.weight", "fc.bias"})
    EXPECT_TRUE(names.count(key)) << key;
  EXPECT_FALSE(names.count("block4.skip.weight"));  // middle blocks have identity skips
  model->eval();
  torch::NoGradGuard g;
  auto a = model->forward_to(torch::zeros({1, 3, 299, 299}), "act4");
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{1, 2048, 10, 10}));
  EXPECT_EQ(model->layer_names().front(), "conv1");
  EXPECT_EQ(model->layer_names()[6], "block1");
  EXPECT_EQ(model->layer_names()[17], "block12");
  EXPECT_EQ(model->layer_names().back(), "act4");
}

TEST(Xception, MiniWithOutputStride16KeepsSixBySixMaps) {
  XceptionConfig c;
  c.width_divisor = 8;
  c.middle_blocks = 2;
  c.output_stride = 16;
  c.num_classes = 5;
  Xception model(c);
  model->eval();
  torch::NoGradGuard g;
  auto a = model->forward_to(torch::zeros({1, 3, 96, 96}), "act4");
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{1, 256, 6, 6}));
  EXPECT_EQ(model->layer_names().size(), 6u + 6u + 6u);  // stem, blocks 1-6, exit convs
}

TEST(Xception, SplitAtEveryLayerGivesTheSameLogits) {
  XceptionConfig c;
  c.width_divisor = 16;
  c.middle_blocks = 1;
  c.num_classes = 3;
  Xception model(c);
  model->eval();
  torch::NoGradGuard g;
  auto x = torch::randn({2, 3, 64, 64});
  auto full = model->forward(x);
  for (const auto& layer : model->layer_names()) {
    auto split = model->forward_from(model->forward_to(x, layer), layer);
    EXPECT_TRUE(torch::allclose(split, full, 0, 1e-6)) << layer;
  }
}

TEST(Xception, LogitsMatchPyTorchReference) {
  // tests/fixtures/make_fixtures.py: the timm module tree in PyTorch 1.13, random weights.
  auto model = load_classifier("xception-mini:" + fixture("xception_mini.safetensors"));
  torch::NoGradGuard g;
  auto logits = model->forward(test::load_npy_tensor(fixture("mini_input.npy")));
  auto expected = test::load_npy_tensor(fixture("mini_logits.npy"));
  EXPECT_LE((logits - expected).abs().max().item<double>(), 1e-4);
  EXPECT_EQ(model->num_classes(), 5);
  // The file's metadata names the architecture, so the bare path works too.
  auto bare = load_classifier(fixture("xception_mini.safetensors"));
  EXPECT_TRUE(torch::equal(bare->forward(test::load_npy_tensor(fixture("mini_input.npy"))), logits));
}

TEST(Xception, SafetensorsRoundTripGivesIdenticalLogits) {
  test::TempDir dir;
  XceptionConfig c;
  c.width_divisor = 4;
  c.middle_blocks = 1;
  c.num_classes = 7;
  Xception model(c);
  // Non-trivial BN statistics so that buffers matter.
  for (auto& b : model->named_buffers())
    if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.1);
  model->eval();
  save_state(*model, dir / "m.safetensors", c.to_metadata());
  auto loaded = load_classifier((dir / "m.safetensors").string());
  torch::NoGradGuard g;
  auto x = torch::randn({2, 3, 80, 80});
  EXPECT_TRUE(torch::equal(model->forward(x), loaded->forward(x)));
}

TEST(Xception, LoadReportsMissingUnexpectedAndWrongShapedKeysByName) {
  test::TempDir dir;
  XceptionConfig c;
  c.width_divisor = 16;
  c.middle_blocks = 0;
  c.num_classes = 2;
  Xception model(c);
  save_state(*model, dir / "ok.safetensors", c.to_metadata());
  SafeTensorsFile ok = SafeTensorsFile::load(dir / "ok.safetensors");
  std::vector<torch::Tensor> keep;
  std::vector<SafeTensorView> views;
  for (const auto& [key, info] : ok.tensors()) {
    if (key == "bn1.bias") continue;  // missing
    torch::Tensor t = tensor_from(ok, key);
    if (key == "conv2.weight") t = torch::zeros({1, 1, 3, 3});  // wrong shape
    keep.push_back(t.contiguous());
    views.push_back({key, keep.back().sizes().vec(), keep.back().data_ptr<float>()});
  }
  float extra = 1.0f;
  views.push_back({"head.extra", {1}, &extra});  // unexpected
  write_safetensors(dir / "bad.safetensors", views, c.to_metadata());
  try {
    load_classifier((dir / "bad.safetensors").string());
    FAIL();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("bad.safetensors: weights do not match the model"), std::string::npos) << msg;
    EXPECT_NE(msg.find("missing keys: bn1.bias"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unexpected keys: head.extra"), std::string::npos) << msg;
    EXPECT_NE(msg.find("conv2.weight is [1, 1, 3, 3], model needs [4, 2, 3, 3]"), std::string::npos) << msg;
  }
}

TEST(Xception, NewClassifierIsReinitialisedWhenAllowed) {
  test::TempDir dir;
  XceptionConfig c;
  c.width_divisor = 16;
  c.middle_blocks = 0;
  c.num_classes = 10;
  Xception source(c);
  save_state(*source, dir / "pre.safetensors", c.to_metadata());
  c.num_classes = 3;
  Xception target(c);
  auto report = load_state(*target, SafeTensorsFile::load(dir / "pre.safetensors"), {"fc."});
  ASSERT_EQ(report.skipped.size(), 2u);
  EXPECT_NE(report.skipped[0].find("fc."), std::string::npos);
  EXPECT_TRUE(torch::equal(target->named_parameters()["conv1.weight"], source->named_parameters()["conv1.weight"]));
}

TEST(ModelSpec, RejectsUnknownKindsAndMissingFiles) {
  EXPECT_THROW(load_classifier("resnet:x.safetensors"), InputError);
  try {
    load_classifier("xception:/nonexistent/w.safetensors");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/w.safetensors: model file does not exist");
  }
}

TEST(TorchScript, FeaturesAndHeadMethodsAreUsed) {
  auto model = load_classifier("torchscript:" + fixture("mini_split.pt"));
  EXPECT_EQ(model->layers(), std::vector<std::string>{"features"});
  torch::NoGradGuard g;
  auto x = test::load_npy_tensor(fixture("mini_input.npy"));
  auto logits = model->forward(x);
  EXPECT_LE((logits - test::load_npy_tensor(fixture("mini_logits.npy"))).abs().max().item<double>(), 1e-4);
  EXPECT_EQ(model->features(x, "features").sizes(), (std::vector<int64_t>{2, 256, 6, 6}));
  EXPECT_THROW(model->features(x, "act4"), InputError);
}

TEST(TorchScript, ModuleWithoutFeaturesIsRejected) {
  test::TempDir dir;
  torch::jit::Module m("NoSplit");
  m.define("def forward(self, x):\n  return x\n");
  m.save((dir / "plain.pt").string());
  try {
    load_classifier("torchscript:" + (dir / "plain.pt").string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("has no method 'features'"), std::string::npos) << e.what();
  }
}
