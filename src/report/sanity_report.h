#pragma once
// The MPRT curve in reports (docs/spec.md §3 "Sanity checks"): per method and cascade step, n, mean and
// CI of the similarity to the original map, for report.json (`sanity.mprt.<method>`) and for
// the figure of Adebayo et al. 2018 (similarity against the randomised layer, a panel per
// method with its 95% CI band).
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/figures.h"
#include "report/records.h"
#include "report/stats.h"

namespace entcam {

// Per-image similarities: method -> [step][image] (NaN = undefined or missing).
struct MprtValues {
  std::vector<std::string> layers;  // the cascade, "classifier" first
  std::map<std::string, std::vector<std::vector<double>>> spearman, ssim;
};

// The MPRT curves the explain stage recorded (layers empty when the sanity checks did not run).
MprtValues mprt_values(const ExplainRecords& records);

struct MprtSummary {
  std::string method;
  std::vector<Summary> spearman, ssim;  // per step
};

// Methods in `order` (those with values), each step summarised with `summarize`.
std::vector<MprtSummary> summarize_mprt(const MprtValues& values, const std::vector<std::string>& order,
                                        const BootstrapOptions& opt);
// {"<method>": [{"layer", "spearman": {"n", "mean", "ci95"}, "ssim": {...}}, ...]}; NaN -> null.
nlohmann::json mprt_json(const std::vector<std::string>& layers, const std::vector<MprtSummary>& curves);
// The figure of Adebayo et al. 2018 as small multiples: per method, the SSIM to the original
// map against the cascade step ("original", where it is 1 by definition, first), with the CI
// band; a dashed line at the target layer (the layer the maps are computed at).
CurvePanels mprt_figure(const std::string& dataset, const std::vector<std::string>& layers,
                        const std::vector<MprtSummary>& curves, const std::string& target_layer);

}  // namespace entcam
