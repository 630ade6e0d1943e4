#pragma once
// Report pieces for the runner (docs/spec.md §4): per-method metric aggregates for report.json,
// paired comparisons against a reference method, per_image.jsonl lines and summary.md.
// Writing is left to write_file_atomic (core/fs.h), so nothing is ever half-written.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "report/stats.h"

namespace entcam {

// One method's per-image values on one dataset: metric id -> one value per image, in the
// order of DatasetScores::image_ids (NaN where a value is missing).
struct MethodScores {
  std::string method;
  std::vector<std::pair<std::string, std::vector<double>>> metrics;
};

struct DatasetScores {
  std::string dataset;
  std::vector<std::string> image_ids;
  std::vector<MethodScores> methods;  // table order
};

struct MethodAggregate {
  std::string method;
  std::vector<std::pair<std::string, Summary>> metrics;
};

struct MethodPaired {
  std::string method;
  std::vector<std::pair<std::string, PairedComparison>> metrics;
};

// n, mean, bootstrap CI per method and metric. Each (method, metric) uses the same seed,
// so two runs over the same values give the same intervals.
std::vector<MethodAggregate> aggregate_methods(const DatasetScores& scores, const BootstrapOptions& opt = {});

// Every method except `reference` against it, metric by metric, on the same images
// (the metrics both have). Empty when the reference method is absent.
std::vector<MethodPaired> paired_against(const DatasetScores& scores, const std::string& reference = "grad_cam",
                                         const BootstrapOptions& opt = {});

// {"<method>": {"<metric>": {"n": .., "mean": .., "ci95": [lo, hi]}}} (docs/spec.md §4); NaN -> null.
nlohmann::json aggregates_json(const std::vector<MethodAggregate>& aggregates);
// {"reference": "<ref>", "methods": {"<method>": {"<metric>": {"n", "mean_diff", "ci95", "p_value",
//  "test": "wilcoxon signed-rank, two-sided, normal approximation, zeros dropped"}}}}
nlohmann::json paired_json(const std::vector<MethodPaired>& paired, const std::string& reference);

// per_image.jsonl: one line per (method, image): {"dataset", "method", "image", "<metric>": value, ...}.
std::string per_image_jsonl(const DatasetScores& scores);

// summary.md section for one dataset: methods as rows, metrics as columns, "mean [lo, hi]",
// the best mean of each column in bold (respecting the metric's direction); then, when
// `paired` is given, the paired differences against the reference with p-values.
std::string summary_markdown(const std::string& dataset, const std::vector<MethodAggregate>& aggregates,
                             const std::vector<MethodPaired>* paired = nullptr,
                             const std::string& reference = "grad_cam");

// Number formatting shared by tables: percentages with 2 decimals, fractions with 3.
std::string format_value(const std::string& metric, double v);

}  // namespace entcam
