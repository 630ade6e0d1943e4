// The MPRT curve in records and reports: curves survive the records' JSON (NaN as null),
// report.json's sanity.mprt.<method> has docs/spec.md §3's shape, and the figure is drawn.
#include <gtest/gtest.h>

#include <cmath>

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
  const cv::Mat fig = draw_mprt_figure("d", v.layers, curves);
  EXPECT_EQ(fig.type(), CV_8UC3);
  EXPECT_GT(fig.cols, 400);
  // No sanity checks: no curves.
  ExplainRecords none = r;
  none.mprt_layers.clear();
  EXPECT_TRUE(mprt_values(none).layers.empty());
}

}  // namespace
}  // namespace entcam
