#pragma once
// Complexity metrics of one map (docs/spec.md §3): they need no model and no boxes.
#include <opencv2/core.hpp>
#include <vector>

namespace entcam {

// The map's values in float64, row-major (any depth, one channel).
std::vector<double> map_values(const cv::Mat& map);

// Sparseness (Chalasani et al. 2020; Quantus complexity/sparseness.py): the Gini index of
// the map's absolute values a sorted ascending, n values:
// sum_i (2i - n - 1) a_i / (n sum_i a_i), i = 1..n; 0 for an all-zero map.
// Quantus adds 1e-7 to every value first; docs/spec.md §3 leaves that out. Higher = sparser.
double sparseness(const cv::Mat& map);

// Complexity (Bhatt et al. 2020; Quantus complexity/complexity.py): entropy (natural log)
// of p_i = |a_i| / sum |a| (0 * log 0 = 0); 0 for an all-zero map. Lower = simpler.
double complexity(const cv::Mat& map);

}  // namespace entcam
