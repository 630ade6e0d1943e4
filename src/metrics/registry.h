#pragma once
// The table of metric ids (docs/spec.md §3) that `entcam score`, the runner, the report and
// `entcam compare` iterate: direction and unit (the table cites each definition's source).
#include <string>
#include <vector>

namespace entcam {

struct MetricInfo {
  std::string id;
  bool higher_is_better = true;
  bool percent = false;  // average_drop / increase_in_confidence are percentages
};

// Every metric of docs/spec.md §3, in the order reports list them.
const std::vector<MetricInfo>& metric_table();
// nullptr for an unknown id.
const MetricInfo* find_metric(const std::string& id);
// Direction used by reports and `entcam compare`: the table's (lower is better for
// deletion_auc, average_drop, the sanity checks, road_morf and complexity); unknown ids:
// higher is better.
bool higher_is_better(const std::string& id);

}  // namespace entcam
