// The MPRT curve in records and reports: curves survive the records' JSON (NaN as null),
// report.json's sanity.mprt.<method> has docs/spec.md §3's shape, and the figure has a panel
// per method in PNG, PDF and SVG.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/fs.h"
#include "report/records.h"
#include "report/sanity_report.h"

namespace entcam {
namespace {

ExplainRecords two_images() {
  ExplainRecords r;
  r.dataset = "d";
  r.layer = "features";
  r.methods = {"grad_cam", "eigen_cam"};
  r.mprt_layers = {"classifier", "features"};
  for (int i = 0; i < 2; ++i) {
    ItemRecord it;
    it.index = size_t(i);
    it.id = "im" + std::to_string(i);
    for (const auto& m : r.methods) {
      MethodRecord mr;
      mr.height = mr.width = 1;
      mr.map = {1.0f};
      if (m == "grad_cam") mr.curves = {{"mprt_spearman", {0.5, std::nan("")}}, {"mprt_ssim", {0.25 + i * 0.5, 0.1}}};
      else mr.curves = {{"mprt_spearman", {1.0, 0.2}}, {"mprt_ssim", {1.0, 0.3}}};
      it.methods[m] = mr;
    }
    r.items.push_back(it);
  }
  return r;
}

TEST(SanityReport, CurvesRoundTripThroughRecordsJson) {
  const ExplainRecords r = two_images();
  const ExplainRecords back = nlohmann::json(r).get<ExplainRecords>();
  EXPECT_EQ(back.mprt_layers, r.mprt_layers);
  const auto& c = back.items[0].methods.at("grad_cam").curves.at("mprt_spearman");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], 0.5);
  EXPECT_TRUE(std::isnan(c[1]));
}

TEST(SanityReport, MprtJsonHasOneEntryPerLayerWithSummaries) {
  const ExplainRecords r = two_images();
  const MprtValues v = mprt_values(r);
  ASSERT_EQ(v.layers, r.mprt_layers);
  EXPECT_EQ(v.ssim.at("grad_cam")[0], (std::vector<double>{0.25, 0.75}));
  BootstrapOptions bo;
  const auto curves = summarize_mprt(v, r.methods, bo);
  const nlohmann::json j = mprt_json(v.layers, curves);
  ASSERT_EQ(j["grad_cam"].size(), 2u);
  EXPECT_EQ(j["grad_cam"][0]["layer"], "classifier");
  EXPECT_EQ(j["grad_cam"][0]["ssim"]["n"], 2);
  EXPECT_DOUBLE_EQ(j["grad_cam"][0]["ssim"]["mean"].get<double>(), 0.5);
  EXPECT_EQ(j["grad_cam"][1]["spearman"]["n"], 0);  // both undefined
  EXPECT_TRUE(j["grad_cam"][1]["spearman"]["mean"].is_null());
  EXPECT_DOUBLE_EQ(j["eigen_cam"][1]["spearman"]["mean"].get<double>(), 0.2);
  // No sanity checks: no curves.
  ExplainRecords none = r;
  none.mprt_layers.clear();
  EXPECT_TRUE(mprt_values(none).layers.empty());
}

// Pixels of the mean lines' colour (the bar charts' blue, BGR 204,150,92, within antialiasing).
int line_pixels(const cv::Mat& bgr) {
  cv::Mat hit;
  cv::inRange(bgr, cv::Scalar(194, 140, 82), cv::Scalar(214, 160, 102), hit);
  return cv::countNonZero(hit);
}

TEST(SanityReport, MprtFigureHasAPanelPerMethodFourToARowInThreeFormats) {
  const ExplainRecords r = two_images();
  const MprtValues v = mprt_values(r);
  const auto two = summarize_mprt(v, r.methods, BootstrapOptions{});
  const CurvePanels figure = mprt_figure("d", v.layers, two, "features");
  EXPECT_EQ(figure.steps, (std::vector<std::string>{"original", "classifier", "features"}));
  ASSERT_EQ(figure.series.size(), 2u);
  EXPECT_EQ(figure.series[0].label, "grad_cam");
  ASSERT_EQ(figure.series[0].points.size(), 3u);
  EXPECT_EQ(figure.series[0].points[0].mean, 1.0);  // the original map against itself
  EXPECT_DOUBLE_EQ(figure.series[0].points[1].mean, 0.5);  // images 0.25 and 0.75 after the classifier
  EXPECT_EQ(figure.marked, "features");
  const cv::Mat fig = draw_curve_panels(figure);
  ASSERT_EQ(fig.type(), CV_8UC3);
  EXPECT_GT(line_pixels(fig), 1000);
  // Five methods: four panels in the first row, one in the second.
  std::vector<MprtSummary> five = two;
  for (const char* m : {"a", "b", "c"}) five.push_back({m, two[0].spearman, two[0].ssim});
  const cv::Mat wide = draw_curve_panels(mprt_figure("d", v.layers, five, "features"));
  EXPECT_GT(wide.cols, fig.cols * 3 / 2);
  EXPECT_GT(wide.rows, fig.rows * 3 / 2);
  // A method without values draws no line (two methods' lines: over 2000 pixels).
  std::vector<MprtSummary> empty{{"grad_cam", {}, {}}};
  EXPECT_LT(line_pixels(draw_curve_panels(mprt_figure("d", v.layers, empty, "features"))), 40);  // the "original" point only

  const auto dir = std::filesystem::temp_directory_path() / ("entcam-mprt-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  write_curve_panels(dir / "mprt-d", figure);
  const cv::Mat png = cv::imread((dir / "mprt-d.png").string());
  EXPECT_EQ(png.size(), fig.size());
  EXPECT_EQ(read_file(dir / "mprt-d.pdf").rfind("%PDF-", 0), 0u);
  EXPECT_NE(read_file(dir / "mprt-d.svg").find("<svg"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace entcam
