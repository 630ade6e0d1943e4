#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>

#include "core/fs.h"
#include "report/figures.h"
#include "report/report.h"
#include "support/test_support.h"

namespace entcam {
namespace {

DatasetScores example() {
  DatasetScores d;
  d.dataset = "dogs";
  d.image_ids = {"a", "b", "c", "d"};
  d.methods = {
      {"grad_cam", {{"pointing_game", {1, 0, 1, 0}}, {"deletion_auc", {0.3, 0.4, 0.3, 0.4}}}},
      {"grad_entropy_cam", {{"pointing_game", {1, 1, 1, 0}}, {"deletion_auc", {0.2, 0.2, 0.3, 0.3}}}},
      {"layer_cam", {{"pointing_game", {0, 0, 1, 0}}, {"deletion_auc", {0.5, std::nan(""), 0.5, 0.5}}}},
  };
  return d;
}

TEST(Report, AggregatesJsonHasSpecShape) {
  const auto agg = aggregate_methods(example());
  const nlohmann::json j = aggregates_json(agg);
  ASSERT_TRUE(j.contains("grad_entropy_cam"));
  const auto& pg = j["grad_entropy_cam"]["pointing_game"];
  EXPECT_EQ(pg["n"], 4);
  EXPECT_DOUBLE_EQ(pg["mean"].get<double>(), 0.75);
  ASSERT_TRUE(pg["ci95"].is_array());
  ASSERT_EQ(pg["ci95"].size(), 2u);
  EXPECT_LE(pg["ci95"][0].get<double>(), 0.75);
  EXPECT_GE(pg["ci95"][1].get<double>(), 0.75);
  // A missing value is left out of n and the mean.
  EXPECT_EQ(j["layer_cam"]["deletion_auc"]["n"], 3);
  EXPECT_DOUBLE_EQ(j["layer_cam"]["deletion_auc"]["mean"].get<double>(), 0.5);
}

TEST(Report, PairedAgainstGradCam) {
  const auto p = paired_against(example());
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].method, "grad_entropy_cam");
  ASSERT_EQ(p[0].metrics[0].first, "pointing_game");
  EXPECT_DOUBLE_EQ(p[0].metrics[0].second.mean_diff, 0.25);
  EXPECT_EQ(p[0].metrics[0].second.n, 4);
  EXPECT_EQ(p[1].metrics[1].second.n, 3);  // layer_cam's NaN pair dropped
  const auto j = paired_json(p, "grad_cam");
  EXPECT_EQ(j["reference"], "grad_cam");
  EXPECT_TRUE(j["methods"]["layer_cam"]["deletion_auc"].contains("p_value"));
  EXPECT_TRUE(paired_against(example(), "no_such_method").empty());
}

TEST(Report, SummaryMarksTheBestRespectingDirection) {
  const auto agg = aggregate_methods(example());
  const auto paired = paired_against(example());
  const std::string md = summary_markdown("dogs", agg, &paired);
  EXPECT_NE(md.find("## dogs"), std::string::npos);
  EXPECT_NE(md.find("| method | pointing_game ↑ | deletion_auc ↓ |"), std::string::npos) << md;
  // Best pointing game: grad_entropy_cam 0.75; best (lowest) deletion AUC: grad_entropy_cam 0.25.
  EXPECT_NE(md.find("| grad_entropy_cam | **0.750** ["), std::string::npos) << md;
  EXPECT_NE(md.find("**0.250** ["), std::string::npos) << md;
  EXPECT_EQ(md.find("**0.500**"), std::string::npos) << md;  // grad_cam's 0.5 is not best anywhere
  EXPECT_NE(md.find("Paired differences against `grad_cam`"), std::string::npos);
  EXPECT_NE(md.find("p="), std::string::npos);
}

TEST(Report, PerImageJsonl) {
  const std::string s = per_image_jsonl(example());
  size_t lines = 0;
  for (char c : s) lines += c == '\n';
  EXPECT_EQ(lines, 12u);  // 3 methods x 4 images
  const auto first = nlohmann::json::parse(s.substr(0, s.find('\n')));
  EXPECT_EQ(first["dataset"], "dogs");
  EXPECT_EQ(first["method"], "grad_cam");
  EXPECT_EQ(first["image"], "a");
  EXPECT_DOUBLE_EQ(first["deletion_auc"].get<double>(), 0.3);
  EXPECT_NE(s.find("\"deletion_auc\":null"), std::string::npos);
}

TEST(Figures, GridAndBarChartAreWrittenAsPng) {
  test::TempDir tmp;
  cv::Mat img(60, 80, CV_8UC3, cv::Scalar(30, 120, 200));
  cv::Mat map = cv::Mat::zeros(7, 7, CV_32FC1);
  map.at<float>(3, 3) = 1.0f;
  std::vector<GridRow> rows = {{"a", img, {{10, 10, 40, 50}}, {map, map}}, {"b", img, {}, {map}}};
  const cv::Mat grid = draw_grid(rows, {"grad_cam", "grad_entropy_cam"}, 120);
  EXPECT_EQ(grid.type(), CV_8UC3);
  EXPECT_GE(grid.cols, 3 * 120);
  EXPECT_GE(grid.rows, 2 * 120);
  write_png(tmp / "figures/grid.png", grid);
  const cv::Mat back = cv::imread((tmp / "figures/grid.png").string());
  EXPECT_EQ(back.cols, grid.cols);
  EXPECT_EQ(back.rows, grid.rows);

  const auto agg = aggregate_methods(example());
  std::vector<std::pair<std::string, Summary>> bars;
  for (const auto& m : agg) bars.emplace_back(m.method, m.metrics[1].second);
  const cv::Mat chart = draw_bar_chart("deletion_auc", bars);
  EXPECT_GT(chart.rows, 100);
  EXPECT_GT(cv::countNonZero(chart.reshape(1) != 255), 100);  // something was drawn
  write_png(tmp / "figures/deletion_auc.png", chart);
  EXPECT_TRUE(std::filesystem::exists(tmp / "figures/deletion_auc.png"));
  // ENTCAM_KEEP_FIGURES=DIR keeps copies to look at.
  if (const char* keep = std::getenv("ENTCAM_KEEP_FIGURES")) {
    write_png(std::filesystem::path(keep) / "grid.png", grid);
    write_png(std::filesystem::path(keep) / "deletion_auc.png", chart);
  }
}

TEST(Figures, EveryFigureIsAlsoPdfAndSvgWithRealFonts) {
  test::TempDir tmp;
  cv::Mat img(60, 80, CV_8UC3, cv::Scalar(30, 120, 200));
  cv::Mat map = cv::Mat::zeros(7, 7, CV_32FC1);
  map.at<float>(3, 3) = 1.0f;
  const std::vector<GridRow> rows = {{"a", img, {{10, 10, 40, 50}}, {map, map}}};
  write_grid(tmp / "figures/grid-x", rows, {"grad_cam", "grad_entropy_cam"}, 120);
  const auto agg = aggregate_methods(example());
  std::vector<std::pair<std::string, Summary>> bars;
  for (const auto& m : agg) bars.emplace_back(m.method, m.metrics[1].second);
  write_bar_chart(tmp / "figures/bars-x-deletion_auc", "deletion_auc", bars);
  for (const std::string stem : {"grid-x", "bars-x-deletion_auc"}) {
    const std::string pdf = read_file(tmp / "figures" / (stem + ".pdf"));
    EXPECT_EQ(pdf.substr(0, 5), "%PDF-") << stem;
    // Text is set in an embedded TrueType font (a subset named +DejaVuSans), not drawn as lines.
    EXPECT_NE(pdf.find("+DejaVuSans"), std::string::npos) << stem;
    EXPECT_NE(pdf.find("/FontFile"), std::string::npos) << stem;
    const std::string svg = read_file(tmp / "figures" / (stem + ".svg"));
    EXPECT_NE(svg.find("<svg"), std::string::npos) << stem;
    EXPECT_NE(svg.find("glyph"), std::string::npos) << stem;  // cairo writes text as glyph symbols
    const cv::Mat png = cv::imread((tmp / "figures" / (stem + ".png")).string());
    ASSERT_FALSE(png.empty()) << stem;
  }
  // Sizes in points: the grid is pad + 3 x (120 + pad) wide; the PNG has a pixel per point.
  const cv::Mat grid = cv::imread((tmp / "figures/grid-x.png").string());
  EXPECT_EQ(grid.cols, 6 + 3 * 126);
  EXPECT_NE(read_file(tmp / "figures/grid-x.pdf").find("/MediaBox [ 0 0 384 "), std::string::npos);
  EXPECT_NE(read_file(tmp / "figures/grid-x.pdf").find("/DCTDecode"), std::string::npos);  // cells as JPEG
  // The best deletion_auc (lowest) bar is orange, the others blue.
  const cv::Mat chart = cv::imread((tmp / "figures/bars-x-deletion_auc.png").string());
  int orange = 0, blue = 0;
  for (int y = 0; y < chart.rows; ++y)
    for (int x = 0; x < chart.cols; ++x) {
      const cv::Vec3b p = chart.at<cv::Vec3b>(y, x);
      orange += p[2] > 200 && p[0] < 80;
      blue += p[0] > 180 && p[2] < 120;
    }
  EXPECT_GT(orange, 100);
  EXPECT_GT(blue, 2 * orange / 3);
  // ENTCAM_KEEP_FIGURES=DIR keeps copies to look at.
  if (const char* keep = std::getenv("ENTCAM_KEEP_FIGURES"))
    for (const auto& e : std::filesystem::directory_iterator(tmp / "figures"))
      std::filesystem::copy_file(e.path(), std::filesystem::path(keep) / e.path().filename(),
                                 std::filesystem::copy_options::overwrite_existing);
}

}  // namespace
}  // namespace entcam
