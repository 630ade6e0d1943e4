// Localisation metrics on hand-made maps and boxes with hand-computed answers.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "metrics/localization.h"
#include "metrics/registry.h"

namespace entcam {
namespace {

cv::Mat mat(int h, int w, std::initializer_list<float> v) {
  cv::Mat m(h, w, CV_32FC1);
  auto it = v.begin();
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<float>(y, x) = *it++;
  return m;
}

// A w x h map that is `inside` on the inclusive box b and 0 elsewhere.
cv::Mat rect_map(int w, int h, Box b, float inside = 1.0f) {
  cv::Mat m = cv::Mat::zeros(h, w, CV_32FC1);
  m(cv::Rect(b.xmin, b.ymin, b.xmax - b.xmin + 1, b.ymax - b.ymin + 1)) = inside;
  return m;
}

TEST(PrepareMap, MinMaxNormalisesInFloat32) {
  cv::Mat m = prepare_map(mat(2, 2, {1, 3, 5, 9}), 2, 2, "m.npy");
  EXPECT_FLOAT_EQ(m.at<float>(0, 0), 0.0f);
  EXPECT_FLOAT_EQ(m.at<float>(0, 1), 0.25f);
  EXPECT_FLOAT_EQ(m.at<float>(1, 0), 0.5f);
  EXPECT_FLOAT_EQ(m.at<float>(1, 1), 1.0f);
}

TEST(PrepareMap, ConstantAndAllZeroMapsBecomeZeros) {
  for (float c : {0.0f, 7.5f, -2.0f}) {
    cv::Mat m = prepare_map(cv::Mat(3, 4, CV_32FC1, cv::Scalar(c)), 4, 3, "c.npy");
    EXPECT_EQ(cv::countNonZero(m), 0) << c;
  }
}

TEST(PrepareMap, SmallerMapIsResizedWithHalfPixelCentres) {
  // 2x2 [0 1; 0 1] to 4x4: source x = (dx + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 ->
  // clamped interpolation 0, 0.25, 0.75, 1 on every row.
  cv::Mat m = prepare_map(mat(2, 2, {0, 1, 0, 1}), 4, 4, "s.npy");
  ASSERT_EQ(m.rows, 4);
  ASSERT_EQ(m.cols, 4);
  const float expect[4] = {0.0f, 0.25f, 0.75f, 1.0f};
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) EXPECT_NEAR(m.at<float>(y, x), expect[x], 1e-6) << x << "," << y;
}

TEST(PrepareMap, NaNIsAnErrorNamingTheFile) {
  cv::Mat m = mat(2, 2, {0, 1, std::numeric_limits<float>::quiet_NaN(), 1});
  try {
    prepare_map(m, 2, 2, "maps/dog.npy");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("maps/dog.npy"), std::string::npos) << msg;
    EXPECT_NE(msg.find("non-finite"), std::string::npos) << msg;
    EXPECT_NE(msg.find("row 1, column 0"), std::string::npos) << msg;
  }
  cv::Mat inf = mat(1, 2, {0, std::numeric_limits<float>::infinity()});
  EXPECT_THROW(prepare_map(inf, 2, 1, "x.npy"), InputError);
}

TEST(BoxIou, CountsPixelsInclusively) {
  EXPECT_DOUBLE_EQ(box_iou({0, 0, 9, 9}, {5, 5, 14, 14}), 25.0 / 175.0);
  EXPECT_DOUBLE_EQ(box_iou({0, 0, 9, 9}, {0, 0, 9, 9}), 1.0);
  EXPECT_DOUBLE_EQ(box_iou({0, 0, 0, 0}, {0, 0, 0, 0}), 1.0);  // one pixel each
  EXPECT_DOUBLE_EQ(box_iou({0, 0, 4, 4}, {5, 5, 9, 9}), 0.0);
}

TEST(PointingGame, ArgmaxTakesTheFirstMaximumInRowMajorOrder) {
  cv::Mat m = cv::Mat::zeros(4, 5, CV_32FC1);
  m.at<float>(2, 1) = 1.0f;
  m.at<float>(1, 3) = 1.0f;  // earlier in row-major order
  const Point p = map_argmax(m);
  EXPECT_EQ(p.x, 3);
  EXPECT_EQ(p.y, 1);
  const Point z = map_argmax(cv::Mat::zeros(3, 3, CV_32FC1));  // all zero: the first pixel
  EXPECT_EQ(z.x, 0);
  EXPECT_EQ(z.y, 0);
}

TEST(PointingGame, ToleranceIsAStrictDisc) {
  const std::vector<Box> boxes = {{20, 10, 30, 12}};
  // Nearest box pixel (20,10) is 10 px from (10,10): 100 < 15^2 hits, 100 < 10^2 does not.
  EXPECT_TRUE(pointing_hit({10, 10}, boxes, 15, 100, 100));
  EXPECT_FALSE(pointing_hit({10, 10}, boxes, 10, 100, 100));
  EXPECT_TRUE(pointing_hit({10, 10}, boxes, 10.01, 100, 100));
  // Diagonal: nearest pixel (20,10) from (14,2): 36 + 64 = 100.
  EXPECT_FALSE(pointing_hit({14, 2}, boxes, 10, 100, 100));
  EXPECT_TRUE(pointing_hit({14, 2}, boxes, 11, 100, 100));
  // A point inside a box hits even with tolerance 0.
  EXPECT_TRUE(pointing_hit({25, 11}, boxes, 0, 100, 100));
  EXPECT_FALSE(pointing_hit({19, 11}, boxes, 0, 100, 100));
}

TEST(PointingGame, BoxesTouchingOrCrossingTheBorderAreClipped) {
  // The box reaches past the 100x100 image; only pixels up to 99 exist.
  const std::vector<Box> boxes = {{95, 95, 120, 120}};
  EXPECT_TRUE(pointing_hit({99, 99}, boxes, 0, 100, 100));
  EXPECT_TRUE(pointing_hit({80, 99}, boxes, 15.1, 100, 100));  // 15 px left of (95,99)
  EXPECT_FALSE(pointing_hit({80, 99}, boxes, 15, 100, 100));
}

TEST(EnergyPointingGame, ShareOfTheMapInsideTheBoxes) {
  cv::Mat m = cv::Mat::zeros(4, 4, CV_32FC1);
  m(cv::Rect(0, 0, 2, 2)) = 1.0f;
  m.at<float>(3, 3) = 0.5f;
  EXPECT_DOUBLE_EQ(energy_pointing_game(m, {{0, 0, 1, 1}}), 4.0 / 4.5);
  // Overlapping boxes count each pixel once (union).
  EXPECT_DOUBLE_EQ(energy_pointing_game(m, {{0, 0, 1, 1}, {1, 1, 3, 3}}), 1.0);
  EXPECT_DOUBLE_EQ(energy_pointing_game(cv::Mat::zeros(4, 4, CV_32FC1), {{0, 0, 1, 1}}), 0.0);
}

TEST(BoxExtraction, QuantisesLikeWsolevaluation) {
  cv::Mat m = mat(1, 4, {0.0f, 0.2f, 0.5f, 1.0f});
  cv::Mat u = quantize_map(m);
  // float64(0.2f) * 255 = 51.0000008 -> 51; 0.5 -> 127 (truncated); 1 -> 255.
  EXPECT_EQ(u.at<unsigned char>(0, 1), 51);
  EXPECT_EQ(u.at<unsigned char>(0, 2), 127);
  EXPECT_EQ(u.at<unsigned char>(0, 3), 255);
}

TEST(BoxExtraction, BoundingRectKeepsWsolevaluationsPlusOneAndClips) {
  // Foreground x 2..5, y 1..3: boundingRect (2,1,4,3) -> [2, 1, 2+4, 1+3].
  auto b = boxes_from_quantized(quantize_map(rect_map(10, 8, {2, 1, 5, 3})), 0.2, false);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], (Box{2, 1, 6, 4}));
  // Touching the right and bottom border: x + w = 10 and y + h = 8 clip to 9 and 7.
  b = boxes_from_quantized(quantize_map(rect_map(10, 8, {6, 4, 9, 7})), 0.2, false);
  EXPECT_EQ(b[0], (Box{6, 4, 9, 7}));
}

TEST(BoxExtraction, ThresholdIsStrict) {
  cv::Mat m = cv::Mat::zeros(6, 6, CV_32FC1);
  m.at<float>(0, 0) = 1.0f;
  m(cv::Rect(3, 3, 2, 2)) = 0.2f;  // u = 51, not > int(0.2 * 255) = 51
  auto b = boxes_from_quantized(quantize_map(m), 0.2, true);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], (Box{0, 0, 1, 1}));
  m(cv::Rect(3, 3, 2, 2)) = 0.21f;  // u = 53 > 51
  b = boxes_from_quantized(quantize_map(m), 0.2, true);
  EXPECT_EQ(b.size(), 2u);
}

TEST(BoxExtraction, NoContourGivesTheZeroBox) {
  for (bool multi : {false, true}) {
    auto b = boxes_from_quantized(quantize_map(cv::Mat::zeros(5, 5, CV_32FC1)), 0.2, multi);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0], (Box{0, 0, 0, 0}));
  }
}

TEST(BoxExtraction, LargestContourAndMultiContourWithHoles) {
  // A 7x7 ring (hole 3x3) and a 2x2 blob. RETR_TREE gives the ring's outer border, its hole
  // border and the blob: all are candidates in multi-contour mode; the largest is the ring.
  cv::Mat m = cv::Mat::zeros(12, 12, CV_32FC1);
  m(cv::Rect(1, 1, 7, 7)) = 1.0f;
  m(cv::Rect(3, 3, 3, 3)) = 0.0f;
  m(cv::Rect(9, 9, 2, 2)) = 1.0f;
  const cv::Mat u = quantize_map(m);
  auto largest = boxes_from_quantized(u, 0.5, false);
  ASSERT_EQ(largest.size(), 1u);
  EXPECT_EQ(largest[0], (Box{1, 1, 8, 8}));
  auto all = boxes_from_quantized(u, 0.5, true);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_NE(std::find(all.begin(), all.end(), Box{2, 2, 7, 7}), all.end());  // the hole's border
  EXPECT_NE(std::find(all.begin(), all.end(), Box{9, 9, 11, 11}), all.end());
}

TEST(BoxExtraction, ThresholdGridIsNumpyArange) {
  const auto g = threshold_grid(0.01);
  ASSERT_EQ(g.size(), 100u);
  EXPECT_DOUBLE_EQ(g[29], 29 * 0.01);
  EXPECT_EQ(int(g[29] * 100), 28);  // float64 arithmetic, as numpy: 0.29 * 100 < 29
  EXPECT_EQ(threshold_grid(0.001).size(), 1000u);
  EXPECT_EQ(threshold_grid(0.3).size(), 4u);  // 0, 0.3, 0.6, 0.9
  EXPECT_THROW(threshold_grid(0), InputError);
}

TEST(InstanceRecall, LocalMaximaIncludePlateausAndNeedHalf) {
  cv::Mat m = cv::Mat::zeros(5, 9, CV_32FC1);
  m.at<float>(1, 1) = 0.9f;                  // peak
  m.at<float>(3, 4) = m.at<float>(3, 5) = 0.7f;  // plateau: both count
  m.at<float>(1, 7) = 0.4f;                  // local max below 0.5
  const cv::Mat lm = local_maxima(m, 0.5);
  EXPECT_EQ(lm.at<unsigned char>(1, 1), 1);
  EXPECT_EQ(lm.at<unsigned char>(3, 4), 1);
  EXPECT_EQ(lm.at<unsigned char>(3, 5), 1);
  EXPECT_EQ(lm.at<unsigned char>(1, 7), 0);
  EXPECT_EQ(cv::countNonZero(lm), 3);
  const std::vector<Box> boxes = {{0, 0, 2, 2}, {5, 3, 8, 4}, {6, 0, 8, 2}};
  EXPECT_EQ(boxes_found(lm, boxes), 2);
  LocalizationOptions opt;
  const ImageLocalization three = localize_image(m, boxes, opt);
  EXPECT_EQ(three.n_boxes, 3);
  EXPECT_EQ(three.found_boxes, 2);  // instance_recall 2/3, all_instances_hit 0
  const ImageLocalization two = localize_image(m, {boxes[0], boxes[1]}, opt);
  EXPECT_EQ(two.found_boxes, two.n_boxes);  // all_instances_hit 1
  // A constant (all-zero after preparation) map has no maximum >= 0.5.
  EXPECT_EQ(localize_image(cv::Mat::zeros(5, 9, CV_32FC1), boxes, opt).found_boxes, 0);
}

TEST(ScoreLocalization, DatasetAggregatesByHand) {
  // Image a: the map's box [2,1,6,4] against ground truth [2,1,5,3]: IoU 12/20 = 0.6 at every
  //   tau (a binary map); correct for IoU 0.3 and 0.5, not 0.7; the argmax (2,1) is in the box.
  // Image b: the map points far from its box: IoU 0, pointing miss.
  // Image c: an all-zero map: box [0,0,0,0] vs [0,0,1,1]: IoU 1/4; argmax (0,0) is in the box.
  std::vector<LocalizationInput> in(3);
  in[0] = {"a", rect_map(10, 8, {2, 1, 5, 3}), {{2, 1, 5, 3}}, 0};
  in[1] = {"b", rect_map(40, 40, {0, 0, 3, 3}), {{30, 30, 39, 39}}, 0};
  in[2] = {"c", cv::Mat::zeros(10, 10, CV_32FC1), {{0, 0, 1, 1}}, 1};
  LocalizationOptions opt;
  const LocalizationScores s = score_localization(in, opt);
  std::map<std::string, double> agg(s.aggregate.begin(), s.aggregate.end());
  EXPECT_DOUBLE_EQ(agg.at("pointing_game"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(agg.at("pointing_game_class_mean"), (0.5 + 1.0) / 2.0);  // class 0: 1/2, class 1: 1/1
  EXPECT_DOUBLE_EQ(agg.at("box_iou"), (0.6 + 0.0 + 0.25) / 3.0);
  EXPECT_DOUBLE_EQ(agg.at("box_acc"), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(agg.at("max_box_acc"), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(agg.at("max_box_acc_v2"), (1.0 / 3 + 1.0 / 3 + 0.0) / 3.0);
  EXPECT_DOUBLE_EQ(agg.at("energy_pointing_game"), (1.0 + 0.0 + 0.0) / 3.0);
  // Local maxima >= 0.5: a's whole rectangle, b's square (outside its box), none in c.
  EXPECT_DOUBLE_EQ(agg.at("instance_recall"), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(agg.at("all_instances_hit"), 1.0 / 3.0);
  // Per image, max_box_acc(_v2) are the values at the dataset's best tau; they average to the aggregate.
  ASSERT_EQ(s.metric_names[4], "max_box_acc");
  EXPECT_DOUBLE_EQ(s.per_image[0][4], 1.0);
  EXPECT_DOUBLE_EQ(s.per_image[0][5], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.per_image[1][5], 0.0);
  EXPECT_DOUBLE_EQ(s.per_image[2][2], 0.25);
}

TEST(ScoreLocalization, NoClassesNoClassMean) {
  std::vector<LocalizationInput> in = {{"a", rect_map(10, 8, {2, 1, 5, 3}), {{2, 1, 5, 3}}, -1}};
  const LocalizationScores s = score_localization(in, {});
  for (const auto& [k, v] : s.aggregate) EXPECT_NE(k, "pointing_game_class_mean");
}

TEST(MaxBoxAcc, PicksTheBestThresholdOverImages) {
  // Two-level maps: an inner core (1.0) inside a wide halo (0.4). Low tau keeps the halo,
  // tau >= 0.4 keeps only the core. Ground truth matches the core for image a, the halo for b.
  auto two_level = [] {
    cv::Mat m = cv::Mat::zeros(20, 20, CV_32FC1);
    m(cv::Rect(2, 2, 16, 16)) = 0.4f;
    m(cv::Rect(8, 8, 4, 4)) = 1.0f;
    return m;
  };
  // core box: boundingRect (8,8,4,4) -> [8,8,12,12]; halo box: (2,2,16,16) -> [2,2,18,18].
  std::vector<LocalizationInput> in = {{"a", two_level(), {{8, 8, 12, 12}}, -1},
                                       {"b", two_level(), {{2, 2, 18, 18}}, -1}};
  const LocalizationScores s = score_localization(in, {});
  std::map<std::string, double> agg(s.aggregate.begin(), s.aggregate.end());
  // At every tau only one of the two images is right: the max is 1/2 although each image is
  // right at some tau.
  EXPECT_DOUBLE_EQ(agg.at("max_box_acc"), 0.5);
}

}  // namespace
}  // namespace entcam
