#pragma once
// `entcam compare BASELINE.json CANDIDATE.json` (docs/spec.md §4): metric-by-metric differences
// between two report.json files and the regressions among them.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace entcam {

struct CompareRow {
  std::string dataset, method, metric;
  double baseline = 0, candidate = 0;  // means; the candidate may be NaN (it was null)
  double diff = 0;                     // candidate - baseline
  bool higher_is_better = true;
  bool regressed = false;  // moved the wrong way by more than the tolerance, or became null
};

struct CompareResult {
  std::string experiment;
  double tolerance = 0;
  std::vector<CompareRow> rows;  // every dataset/method/metric present in both, sorted
  std::vector<std::string> only_in_one;  // "dataset/method/metric (only in baseline|candidate)"
  size_t regressions() const;
};

// Checks both documents (schema_version 1 in both, same experiment, same datasets; errors
// throw InputError naming the file and key) and compares every shared metric mean.
CompareResult compare_reports(const nlohmann::json& baseline, const std::string& baseline_name,
                              const nlohmann::json& candidate, const std::string& candidate_name, double tolerance);
// Reads and parses both files first (unreadable or bad JSON -> InputError naming the file).
CompareResult compare_report_files(const std::filesystem::path& baseline, const std::filesystem::path& candidate,
                                   double tolerance);

std::string format_compare_table(const CompareResult& result);
nlohmann::json compare_json(const CompareResult& result);

}  // namespace entcam
