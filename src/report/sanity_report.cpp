#include "report/sanity_report.h"

#include <algorithm>
#include <cmath>

namespace entcam {

MprtValues mprt_values(const ExplainRecords& records) {
  MprtValues mv;
  mv.layers = records.mprt_layers;
  if (mv.layers.empty()) return mv;
  for (const auto& method : records.methods) {
    auto& sp = mv.spearman[method];
    auto& ss = mv.ssim[method];
    sp.assign(mv.layers.size(), {});
    ss.assign(mv.layers.size(), {});
    for (const auto& item : records.items) {
      const auto& curves = item.methods.at(method).curves;
      const auto a = curves.find("mprt_spearman"), b = curves.find("mprt_ssim");
      if (a == curves.end() || b == curves.end()) continue;
      for (size_t step = 0; step < mv.layers.size(); ++step) {
        sp[step].push_back(step < a->second.size() ? a->second[step] : std::nan(""));
        ss[step].push_back(step < b->second.size() ? b->second[step] : std::nan(""));
      }
    }
  }
  return mv;
}

std::vector<MprtSummary> summarize_mprt(const MprtValues& values, const std::vector<std::string>& order,
                                        const BootstrapOptions& opt) {
  std::vector<MprtSummary> out;
  for (const auto& method : order) {
    auto sp = values.spearman.find(method), ss = values.ssim.find(method);
    if (sp == values.spearman.end() || ss == values.ssim.end()) continue;
    MprtSummary m{method, {}, {}};
    for (const auto& step : sp->second) m.spearman.push_back(summarize(step, opt));
    for (const auto& step : ss->second) m.ssim.push_back(summarize(step, opt));
    out.push_back(std::move(m));
  }
  return out;
}

nlohmann::json mprt_json(const std::vector<std::string>& layers, const std::vector<MprtSummary>& curves) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  auto summary = [&](const Summary& s) {
    return nlohmann::json{{"n", s.n}, {"mean", num(s.mean)}, {"ci95", nlohmann::json::array({num(s.ci_lo), num(s.ci_hi)})}};
  };
  nlohmann::json out = nlohmann::json::object();
  for (const auto& c : curves) {
    nlohmann::json steps = nlohmann::json::array();
    for (size_t i = 0; i < layers.size() && i < c.spearman.size() && i < c.ssim.size(); ++i)
      steps.push_back({{"layer", layers[i]}, {"spearman", summary(c.spearman[i])}, {"ssim", summary(c.ssim[i])}});
    out[c.method] = std::move(steps);
  }
  return out;
}

CurvePanels mprt_figure(const std::string& dataset, const std::vector<std::string>& layers,
                        const std::vector<MprtSummary>& curves, const std::string& target_layer) {
  CurvePanels f;
  f.title = "Cascading model-parameter randomisation (MPRT) \u00b7 " + dataset;
  f.subtitle = "SSIM of each method's map to its original as the layers are randomised from the classifier down (left "
               "to right): mean with 95% CI band, the other methods in grey.\nBeside each name: the SSIM after the last "
               "step (mprt_ssim). Dashed: the target layer " + target_layer +
               ". Lower = the map depends more on the model's parameters.";
  f.steps = {"original"};
  f.steps.insert(f.steps.end(), layers.begin(), layers.end());
  for (const auto& c : curves) {
    CurveSeries s{c.method, {}};
    Summary one;  // the original map compared with itself
    one.mean = one.ci_lo = one.ci_hi = 1.0;
    s.points.push_back(one);
    s.points.insert(s.points.end(), c.ssim.begin(), c.ssim.end());
    f.series.push_back(std::move(s));
  }
  f.marked = target_layer;
  return f;
}

}  // namespace entcam
