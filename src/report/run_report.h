#pragma once
// The outputs of `entcam run` and `entcam merge` (docs/spec.md §4): report.json, per_image.jsonl,
// summary.md and figures/, assembled from typed results (the runner only gathers them).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "data/input_spec.h"
#include "metrics/localization.h"
#include "report/records.h"

namespace entcam {

// What one sweep point's report depends on beyond its records.
struct ReportSettings {
  int bootstrap = 1000;  // resamples of every CI
  uint64_t seed = 0;     // of the bootstrap
  LocalizationOptions localization;
  bool skip_difficult = false;
  bool figures = true;
  int grid_images = 8;  // rows of the Figure-1 grid
};

struct DatasetResult {
  std::string name;
  nlohmann::json training;  // training.json of the train stage
  size_t n_train = 0, n_test = 0;
  std::vector<std::string> classes;
  ExplainRecords records;
  // The images, for the figure grid: the dataset and the input spec they were fed with.
  // nullptr (e.g. after `entcam merge`): no grid.
  const Dataset* dataset = nullptr;
  InputSpec input;
  // A pool's description (docs/spec.md §3c): label_space, sources, excluded_classes, classes,
  // class_indices; copied into the dataset's section, which adds by_source.
  nlohmann::json pool = nlohmann::json::object();
};

struct PointResult {
  std::string label;  // "base", or the sweep values "cam.layer=conv4,..."
  std::vector<std::pair<std::string, std::string>> values;
  ReportSettings settings;
  std::vector<DatasetResult> datasets;
};

// Writes report.json, per_image.jsonl, summary.md and figures/ into `run_dir` (figures of
// the first point only; sweep charts when there are several points) and returns report.json.
nlohmann::json write_run_report(const std::filesystem::path& run_dir, const std::string& experiment,
                                const std::string& run_id, const nlohmann::json& config,
                                const std::vector<PointResult>& points, const nlohmann::json& environment,
                                nlohmann::json timing);

}  // namespace entcam
