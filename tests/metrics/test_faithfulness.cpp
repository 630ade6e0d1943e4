// Faithfulness metrics with a dummy linear "model" whose probabilities are known in
// closed form: p0 = mean over channel 0 of the [0,1] image (x_net * 0.5 + 0.5), p1 = 1 - p0.
#include <gtest/gtest.h>

#include <atomic>

#include "core/error.h"
#include "metrics/faithfulness.h"

namespace entcam {
namespace {

ProbabilityModel linear_model(std::atomic<int>* calls = nullptr, std::atomic<int>* inputs = nullptr) {
  ProbabilityModel c;
  c.batch_size = 32;
  c.probabilities = [calls, inputs](const torch::Tensor& x) {
    if (calls) ++*calls;
    if (inputs) *inputs += int(x.size(0));
    auto p0 = (x.select(1, 0) * 0.5 + 0.5).mean({1, 2});
    return torch::stack({p0, 1 - p0}, 1);
  };
  return c;
}

TEST(Faithfulness, TrapezoidAuc) {
  EXPECT_DOUBLE_EQ(trapezoid_auc({1, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(trapezoid_auc({1, 0}), 0.5);
  EXPECT_DOUBLE_EQ(trapezoid_auc({0, 1, 0, 1, 0}), 0.5);
}

TEST(Faithfulness, StepsAreOneSixtyFourthOfThePixels) {
  // 299 * 299 = 89401 pixels: ceil(89401 / 64) = 1397 per step, 64 steps, last one partial.
  const auto c = step_pixel_counts(299 * 299, 64);
  ASSERT_EQ(c.size(), 65u);
  EXPECT_EQ(c[1], 1397);
  EXPECT_EQ(c[63], 63 * 1397);
  EXPECT_EQ(c[64], 89401);
  EXPECT_EQ(step_pixel_counts(64, 64).size(), 65u);
  EXPECT_EQ(step_pixel_counts(10, 64).size(), 11u);  // fewer pixels than steps: one pixel per step
}

TEST(Faithfulness, SaliencyOrderIsDecreasingAndStableOnTies) {
  cv::Mat m = (cv::Mat_<float>(2, 3) << 0.5f, 1.0f, 0.5f, 0.0f, 1.0f, 0.2f);
  EXPECT_EQ(saliency_order(m), (std::vector<int64_t>{1, 4, 0, 2, 5, 3}));
}

TEST(Faithfulness, RiseBlurKernelMatchesScipyGaussianFilter) {
  // scipy.ndimage.gaussian_filter(impulse 11x11, 5): values computed with scipy 1.10.
  const auto k = rise_blur_kernel(11, 5.0);
  EXPECT_NEAR(k[5][5].item<float>(), 0.008832628216191647, 1e-8);
  EXPECT_NEAR(k[0][0].item<float>(), 0.007736635408576913, 1e-8);
  EXPECT_NEAR(k[0][5].item<float>(), 0.008266488021414163, 1e-8);
  EXPECT_NEAR(k.sum().item<float>(), 1.0, 1e-6);
  // Interior of a constant image stays constant; the zero padding darkens the corner.
  const auto b = rise_blur(torch::ones({3, 20, 20}), 11, 5.0);
  EXPECT_NEAR(b[1][10][10].item<float>(), 1.0f, 1e-5);
  EXPECT_LT(b[0][0][0].item<float>(), 0.5f);
}

TEST(Faithfulness, DeletionOfAWhiteImageByHand) {
  // 8x8 white image (x_net = 1). Deleting pixel i (x_net -> 0, i.e. 0.5 in image space)
  // lowers p0 by 0.5/64: p_i = 1 - i/128; the trapezoid area is 1 - 1/4 = 0.75 whatever the order.
  const auto image = torch::ones({3, 8, 8});
  cv::Mat map(8, 8, CV_32FC1);
  cv::randu(map, 0, 1);
  const FaithfulnessResult r = faithfulness(linear_model(), image, map, 0);
  ASSERT_EQ(r.deletion_curve.size(), 65u);
  EXPECT_NEAR(r.deletion_curve[0], 1.0, 1e-6);
  EXPECT_NEAR(r.deletion_curve[64], 0.5, 1e-6);
  EXPECT_NEAR(r.deletion_auc, 0.75, 1e-6);
  EXPECT_NEAR(deletion_auc(linear_model(), image, map, 0), 0.75, 1e-6);
  // For class 1 the curve rises: 1 - 0.75.
  EXPECT_NEAR(deletion_auc(linear_model(), image, map, 1), 0.25, 1e-6);
}

TEST(Faithfulness, InsertionFollowsTheSaliencyOrder) {
  // A 1x4 image: left half white, right half black (x_net = 1, -1). Its blur is computed by
  // rise_blur; inserting pixel j replaces blur[j] by image[j] in channel 0.
  auto image = torch::tensor({1.0f, 1.0f, -1.0f, -1.0f}).view({1, 1, 4}).repeat({3, 1, 1});
  const auto blurred = rise_blur(image, 11, 5.0);
  cv::Mat map = (cv::Mat_<float>(1, 4) << 1.0f, 0.9f, 0.1f, 0.0f);  // white pixels first
  FaithfulnessOptions opt;
  opt.steps = 4;
  const double auc = insertion_auc(linear_model(), image, map, 0, opt);
  // Expected curve, by hand from the definition.
  std::vector<double> curve;
  for (int i = 0; i <= 4; ++i) {
    double sum = 0;
    for (int j = 0; j < 4; ++j)
      sum += (j < i ? image[0][0][j].item<float>() : blurred[0][0][j].item<float>()) * 0.5 + 0.5;
    curve.push_back(sum / 4);
  }
  const double expect = (curve[0] / 2 + curve[1] + curve[2] + curve[3] + curve[4] / 2) / 4;
  EXPECT_NEAR(auc, expect, 1e-6);
  // Inserting the white pixels first raises p0 early: the reversed map scores lower.
  cv::Mat reversed = (cv::Mat_<float>(1, 4) << 0.0f, 0.1f, 0.9f, 1.0f);
  EXPECT_GT(auc, insertion_auc(linear_model(), image, reversed, 0, opt) + 0.1);
}

TEST(Faithfulness, AverageDropAndIncreaseByHand) {
  const auto image = torch::ones({3, 4, 4});  // white: Y = 1
  // Map 0.5 everywhere: image * map = 0.5 in image space -> O = 0.5; drop = 50 %.
  cv::Mat half(4, 4, CV_32FC1, cv::Scalar(0.5));
  EXPECT_NEAR(average_drop(linear_model(), image, half, 0), 50.0, 1e-4);
  EXPECT_EQ(increase_in_confidence(linear_model(), image, half, 0), 0.0);
  // For class 1, Y = 0 < O = 0.5: confidence increases, and there is no drop.
  EXPECT_EQ(increase_in_confidence(linear_model(), image, half, 1), 100.0);
  EXPECT_EQ(average_drop(linear_model(), image, half, 1), 0.0);
  // A map of ones leaves the image unchanged: O == Y is not an increase.
  cv::Mat ones(4, 4, CV_32FC1, cv::Scalar(1.0));
  EXPECT_NEAR(average_drop(linear_model(), image, ones, 0), 0.0, 1e-6);
  EXPECT_EQ(increase_in_confidence(linear_model(), image, ones, 0), 0.0);
}

TEST(Faithfulness, ForwardPassesAreBatched) {
  std::atomic<int> calls{0}, inputs{0};
  const auto image = torch::zeros({3, 8, 8});
  cv::Mat map(8, 8, CV_32FC1, cv::Scalar(0.3));
  faithfulness(linear_model(&calls, &inputs), image, map, 0);
  // 65 deletion and 65 insertion points and image * map; the untouched image (deletion's first
  // point, insertion's last, and Y) is scored once.
  EXPECT_EQ(inputs.load(), 65 + 65 + 1 - 1);
  EXPECT_EQ(calls.load(), 5);  // ceil(130 / 32)
}

TEST(Faithfulness, SeveralMapsScoreEachDistinctInputOnce) {
  // 8x8 pixels in 4 steps: 5 points per curve, 3 of them inside (16, 32, 48 pixels changed).
  FaithfulnessOptions opt;
  opt.steps = 4;
  const auto image = torch::rand({3, 8, 8}, torch::TensorOptions().dtype(torch::kFloat32)) * 2 - 1;
  cv::Mat a(8, 8, CV_32FC1), b(8, 8, CV_32FC1);
  cv::randu(a, 0.0f, 1.0f);
  cv::randu(b, 0.0f, 1.0f);
  const cv::Mat half_b = b * 0.5;  // b's order, another image * map
  const std::vector<cv::Mat> maps{a, b, a.clone(), half_b};
  std::atomic<int> inputs{0};
  const auto together = faithfulness(linear_model(nullptr, &inputs), image, maps, 0, opt);
  // Image, baseline and blurred image; 2 x 3 inner points for each of the 2 orders; image * map
  // for the 3 distinct maps.
  EXPECT_EQ(inputs.load(), 3 + 2 * 6 + 3);
  ASSERT_EQ(together.size(), maps.size());
  for (size_t i = 0; i < maps.size(); ++i) {
    const FaithfulnessResult alone = faithfulness(linear_model(), image, maps[i], 0, opt);
    EXPECT_EQ(together[i].deletion_curve, alone.deletion_curve) << i;
    EXPECT_EQ(together[i].insertion_curve, alone.insertion_curve) << i;
    EXPECT_EQ(together[i].deletion_auc, alone.deletion_auc) << i;
    EXPECT_EQ(together[i].insertion_auc, alone.insertion_auc) << i;
    EXPECT_EQ(together[i].average_drop, alone.average_drop) << i;
    EXPECT_EQ(together[i].o, alone.o) << i;
  }
  EXPECT_NE(together[0].deletion_curve, together[1].deletion_curve);
  EXPECT_EQ(together[1].deletion_curve, together[3].deletion_curve);
  EXPECT_NE(together[1].o, together[3].o);
}

TEST(Faithfulness, BadInputsAreErrors) {
  cv::Mat map(4, 4, CV_32FC1, cv::Scalar(0.3));
  EXPECT_THROW(faithfulness(linear_model(), torch::zeros({3, 5, 4}), map, 0), InputError);
  EXPECT_THROW(faithfulness(linear_model(), torch::zeros({3, 4, 4}), map, 7), InputError);
}

}  // namespace
}  // namespace entcam
