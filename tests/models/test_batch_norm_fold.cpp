// FoldableBatchNorm2d: BatchNorm2d's behaviour and names; folding into the convolution
// before it (against hand-computed weights); and Classifier::predict's inference copy.
#include <gtest/gtest.h>

#include <cmath>

#include "models/batch_norm_fold.h"
#include "models/registry.h"
#include "models/xception.h"

namespace entcam {
namespace {

namespace nn = torch::nn;

// Non-trivial statistics and affine parameters in every batch norm below `net`.
void perturb_batch_norms(nn::Module& net) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  for (const auto& m : net.modules())
    if (auto* bn = m->as<FoldableBatchNorm2d>()) {
      auto uniform = [](const torch::Tensor& t, double lo, double hi) { t.copy_(lo + (hi - lo) * torch::rand_like(t)); };
      uniform(bn->weight, 0.5, 1.5);
      uniform(bn->bias, -0.2, 0.2);
      uniform(bn->running_mean, -0.3, 0.3);
      uniform(bn->running_var, 0.5, 2.0);
    }
}

TEST(FoldableBatchNorm2d, HasBatchNorm2dNamesAndMatchesItInTrainingAndEval) {
  nn::Conv2d conv(nn::Conv2dOptions(2, 3, 1).bias(false));
  FoldableBatchNorm2d ours(conv, 3);
  nn::BatchNorm2d theirs(3);
  std::vector<std::string> a, b;
  for (const auto& p : ours->named_parameters()) a.push_back(p.key());
  for (const auto& p : ours->named_buffers()) a.push_back(p.key());
  for (const auto& p : theirs->named_parameters()) b.push_back(p.key());
  for (const auto& p : theirs->named_buffers()) b.push_back(p.key());
  EXPECT_EQ(a, b);  // weight bias running_mean running_var num_batches_tracked

  torch::manual_seed(0);
  auto x = torch::randn({4, 3, 5, 5}) * 2 + 1;
  ours->train(), theirs->train();
  EXPECT_TRUE(torch::equal(ours(x), theirs(x)));
  EXPECT_TRUE(torch::equal(ours->running_mean, theirs->running_mean));
  EXPECT_TRUE(torch::equal(ours->running_var, theirs->running_var));
  EXPECT_EQ(ours->num_batches_tracked.item<int64_t>(), 1);
  EXPECT_EQ(theirs->num_batches_tracked.item<int64_t>(), 1);
  ours->eval(), theirs->eval();
  EXPECT_TRUE(torch::equal(ours(x), theirs(x)));
}

TEST(FoldableBatchNorm2d, FoldGivesTheHandComputedWeightAndBiasAndTheSameOutputs) {
  nn::Conv2d conv(nn::Conv2dOptions(1, 2, 1).bias(false));
  FoldableBatchNorm2d bn(conv, 2);
  torch::NoGradGuard no_grad;
  conv->weight.copy_(torch::tensor({2.0f, 3.0f}).view({2, 1, 1, 1}));
  bn->weight.copy_(torch::tensor({0.5f, 2.0f}));
  bn->bias.copy_(torch::tensor({1.0f, -1.0f}));
  bn->running_mean.copy_(torch::tensor({0.1f, 0.2f}));
  bn->running_var.copy_(torch::tensor({3.0f, 0.25f}));
  bn->eval();
  auto x = torch::tensor({1.0f, -2.0f, 0.5f, 4.0f}).view({1, 1, 2, 2});
  auto before = bn(conv(x));

  bn->fold();
  ASSERT_TRUE(bn->folded());
  // s = gamma / sqrt(var + 1e-5); W' = s W; b' = beta - s mu.
  const double s0 = 0.5 / std::sqrt(3.0 + 1e-5), s1 = 2.0 / std::sqrt(0.25 + 1e-5);
  EXPECT_FLOAT_EQ(conv->weight[0][0][0][0].item<float>(), float(2.0 * s0));
  EXPECT_FLOAT_EQ(conv->weight[1][0][0][0].item<float>(), float(3.0 * s1));
  ASSERT_TRUE(conv->bias.defined());
  EXPECT_FLOAT_EQ(conv->bias[0].item<float>(), float(1.0 - 0.1 * s0));
  EXPECT_FLOAT_EQ(conv->bias[1].item<float>(), float(-1.0 - 0.2 * s1));
  EXPECT_TRUE(torch::equal(bn(x), x));  // a folded batch norm passes its input through
  EXPECT_TRUE(torch::allclose(bn(conv(x)), before, 1e-6, 1e-6));
  // Hand value for one output: channel 1 at x = 4: s1 (3*4 - 0.2) - 1.
  EXPECT_NEAR(conv(x)[0][1][1][1].item<float>(), s1 * (12.0 - 0.2) - 1.0, 1e-4);
}

TEST(FoldableBatchNorm2d, RefusesToFoldInTrainingMode) {
  nn::Conv2d conv(nn::Conv2dOptions(1, 2, 1).bias(false));
  FoldableBatchNorm2d bn(conv, 2);
  bn->train();
  EXPECT_THROW(bn->fold(), c10::Error);
  EXPECT_FALSE(bn->folded());
}

std::unique_ptr<Classifier> mini() {
  torch::manual_seed(0);
  XceptionConfig c;
  c.num_classes = 5, c.width_divisor = 16, c.middle_blocks = 1, c.output_stride = 16, c.input_size = 64;
  auto model = xception_classifier(Xception(c), "mini");
  perturb_batch_norms(*model->module());
  return model;
}

TEST(InferenceCopy, XceptionPredictEqualsForwardAndLeavesTheModelUnfolded) {
  auto model = mini();
  torch::NoGradGuard no_grad;
  auto x = torch::randn({3, 3, 64, 64});
  auto expected = model->forward(x);
  EXPECT_TRUE(torch::allclose(model->predict(x), expected, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(model->predict(x.contiguous(torch::MemoryFormat::ChannelsLast)), expected, 1e-4, 1e-5));
  int64_t batch_norms = 0;
  for (const auto& m : model->module()->modules())
    if (auto* bn = m->as<FoldableBatchNorm2d>()) {
      EXPECT_FALSE(bn->folded());
      ++batch_norms;
    }
  EXPECT_EQ(batch_norms, 4 + 3 * 3 + 3 + 3);  // bn1-4; entry blocks 2 + skipbn each; middle 3; exit 2 + skipbn
  EXPECT_TRUE(torch::equal(model->forward(x), expected));
}

TEST(InferenceCopy, PredictFollowsEveryChangeOfTheWeights) {
  auto model = mini();
  torch::NoGradGuard no_grad;
  auto x = torch::randn({2, 3, 64, 64});
  auto first = model->predict(x);
  // An optimiser step changes parameters in place.
  for (const auto& p : model->module()->named_parameters())
    if (p.key() == "fc.weight") p.value().add_(0.5);
  auto after_step = model->forward(x);
  ASSERT_FALSE(torch::allclose(after_step, first, 1e-3, 1e-3));
  EXPECT_TRUE(torch::allclose(model->predict(x), after_step, 1e-4, 1e-5));
  // So do running statistics and randomize_layer.
  for (const auto& b : model->module()->named_buffers())
    if (b.key() == "bn4.running_mean") b.value().add_(0.3);
  EXPECT_TRUE(torch::allclose(model->predict(x), model->forward(x), 1e-4, 1e-5));
  ASSERT_GT(model->randomize_layer("conv4", 9), 0);
  EXPECT_TRUE(torch::allclose(model->predict(x), model->forward(x), 1e-4, 1e-5));
  // And replacing a tensor's storage (set_data, as load and to() do).
  for (const auto& p : model->module()->named_parameters())
    if (p.key() == "fc.bias") p.value().set_data(p.value().data() + 1.0);
  EXPECT_TRUE(torch::allclose(model->predict(x), model->forward(x), 1e-4, 1e-5));
}

TEST(InferenceCopy, TrainingModePredictIsForward) {
  auto model = mini();
  model->module()->train();
  torch::manual_seed(1);
  auto x = torch::randn({4, 3, 64, 64});
  torch::NoGradGuard no_grad;
  auto a = model->predict(x);
  EXPECT_TRUE(torch::equal(a, model->forward(x)));  // batch statistics, as forward in training
  model->module()->eval();
  EXPECT_FALSE(torch::allclose(a, model->forward(x), 1e-3, 1e-3));
}

TEST(InferenceCopy, ResNet50PredictEqualsForward) {
  torch::manual_seed(0);
  auto model = create_model(ModelShape{"resnet50", 4, {{"entcam.input_size", "64"}}}, "test");
  perturb_batch_norms(*model->module());
  torch::NoGradGuard no_grad;
  auto x = torch::randn({2, 3, 64, 64});
  EXPECT_TRUE(torch::allclose(model->predict(x), model->forward(x), 1e-4, 1e-4));
}

}  // namespace
}  // namespace entcam
