#include "metrics/complexity.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace entcam {
std::vector<double> map_values(const cv::Mat& map) {
  cv::Mat d;
  map.convertTo(d, CV_64F);
  if (!d.isContinuous()) d = d.clone();
  return std::vector<double>(d.ptr<double>(0), d.ptr<double>(0) + d.total());
}

namespace {

std::vector<double> abs_values(const cv::Mat& map) {
  std::vector<double> v = map_values(map);
  for (double& x : v) x = std::abs(x);
  return v;
}

}  // namespace

double sparseness(const cv::Mat& map) {
  std::vector<double> a = abs_values(map);
  std::sort(a.begin(), a.end());
  const double n = double(a.size());
  double weighted = 0, total = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    weighted += (2.0 * double(i + 1) - n - 1.0) * a[i];
    total += a[i];
  }
  return total > 0 ? weighted / (n * total) : 0.0;
}

double complexity(const cv::Mat& map) {
  const std::vector<double> a = abs_values(map);
  double total = 0;
  for (double x : a) total += x;
  if (!(total > 0)) return 0.0;
  double h = 0;
  for (double x : a)
    if (x > 0) h -= (x / total) * std::log(x / total);
  return h;
}

}  // namespace entcam
