#pragma once
// The table of metric ids (SPEC §3): direction, unit, whether a model is needed, and the
// per-image function where the metric is one.
#include <string>
#include <vector>

#include "metrics/localization.h"

namespace entcam {

// A per-image localisation metric over a prepared map and its image's boxes.
using LocalizationMetricFn = double (*)(const cv::Mat& map, const std::vector<Box>& boxes,
                                        const LocalizationOptions& opt);

struct MetricInfo {
  std::string id;
  bool higher_is_better = true;
  bool needs_model = false;     // faithfulness metrics
  bool percent = false;         // average_drop / increase_in_confidence are percentages
  LocalizationMetricFn per_image = nullptr;  // null: dataset-level or needs a model
  std::string reference;        // where the definition comes from
};

// Every metric of SPEC §3, in the order reports list them.
const std::vector<MetricInfo>& metric_table();
// nullptr for an unknown id.
const MetricInfo* find_metric(const std::string& id);
// Direction used by reports and `entcam compare`: higher is better except for
// average_drop and deletion_auc (unknown ids: higher is better).
bool higher_is_better(const std::string& id);

}  // namespace entcam
