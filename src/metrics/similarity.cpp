// Similarity functions of Quantus (quantus/functions/similarity_func.py) over maps.
#include "metrics/similarity.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.h"
#include "metrics/complexity.h"

namespace entcam {
namespace {

// Ranks 1..n with ties given the mean of the ranks they span (scipy.stats.rankdata 'average').
std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return v[i] < v[j]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double r = 0.5 * double(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = r;
    i = j + 1;
  }
  return rank;
}

void check_same_size(const cv::Mat& a, const cv::Mat& b, const char* what) {
  if (a.size() != b.size() || a.channels() != 1 || b.channels() != 1)
    throw InputError(std::string(what) + ": expected two single-channel maps of the same size, got " +
                     std::to_string(a.cols) + "x" + std::to_string(a.rows) + " and " + std::to_string(b.cols) + "x" +
                     std::to_string(b.rows));
}

// Sums of each k x k window wholly inside the image (rows - k + 1 by cols - k + 1), float64.
cv::Mat window_sums(const cv::Mat& x, int k) {
  const int H = x.rows, W = x.cols, oh = H - k + 1, ow = W - k + 1;
  cv::Mat rows(H, ow, CV_64F), out(oh, ow, CV_64F);
  for (int r = 0; r < H; ++r) {
    const double* in = x.ptr<double>(r);
    double* o = rows.ptr<double>(r);
    for (int c = 0; c < ow; ++c) {
      double s = 0;
      for (int t = 0; t < k; ++t) s += in[c + t];
      o[c] = s;
    }
  }
  for (int r = 0; r < oh; ++r) {
    double* o = out.ptr<double>(r);
    for (int c = 0; c < ow; ++c) {
      double s = 0;
      for (int t = 0; t < k; ++t) s += rows.ptr<double>(r + t)[c];
      o[c] = s;
    }
  }
  return out;
}

}  // namespace

double spearman(const cv::Mat& a, const cv::Mat& b) {
  check_same_size(a, b, "spearman");
  const std::vector<double> ra = average_ranks(map_values(a)), rb = average_ranks(map_values(b));
  const double n = double(ra.size());
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
  const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  // Two constant maps rank every pixel equal (all ties), the same ranking: 1, as ssim() does
  // for two equal constants. With one constant map the correlation is undefined: NaN.
  if (saa == 0 && sbb == 0) return 1.0;
  if (saa == 0 || sbb == 0) return std::numeric_limits<double>::quiet_NaN();
  return std::clamp(sab / std::sqrt(saa * sbb), -1.0, 1.0);
}

double ssim(const cv::Mat& a_in, const cv::Mat& b_in) {
  check_same_size(a_in, b_in, "ssim");
  constexpr int kWin = 7;
  constexpr double kK1 = 0.01, kK2 = 0.03;
  if (a_in.rows < kWin || a_in.cols < kWin)
    throw InputError("ssim: maps must be at least 7x7 (skimage's default window), got " + std::to_string(a_in.cols) +
                     "x" + std::to_string(a_in.rows));
  cv::Mat a, b;
  a_in.convertTo(a, CV_64F);
  b_in.convertTo(b, CV_64F);
  double amin, amax, bmin, bmax;
  cv::minMaxLoc(a, &amin, &amax);
  cv::minMaxLoc(b, &bmin, &bmax);
  const double R = std::max(amax, bmax) - std::min(amin, bmin);
  if (R == 0) return 1.0;
  const double np = double(kWin * kWin), cov_norm = np / (np - 1.0);
  const double C1 = (kK1 * R) * (kK1 * R), C2 = (kK2 * R) * (kK2 * R);
  const cv::Mat sx = window_sums(a, kWin), sy = window_sums(b, kWin);
  const cv::Mat sxx = window_sums(a.mul(a), kWin), syy = window_sums(b.mul(b), kWin), sxy = window_sums(a.mul(b), kWin);
  double total = 0;
  for (int r = 0; r < sx.rows; ++r)
    for (int c = 0; c < sx.cols; ++c) {
      const double ux = sx.at<double>(r, c) / np, uy = sy.at<double>(r, c) / np;
      const double vx = cov_norm * (sxx.at<double>(r, c) / np - ux * ux);
      const double vy = cov_norm * (syy.at<double>(r, c) / np - uy * uy);
      const double vxy = cov_norm * (sxy.at<double>(r, c) / np - ux * uy);
      total += ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
    }
  return total / double(sx.rows * sx.cols);
}

cv::Mat abs_normalized_by_max(const cv::Mat& map) {
  cv::Mat d;
  map.convertTo(d, CV_64F);
  d = cv::abs(d);
  double mx;
  cv::minMaxLoc(d, nullptr, &mx);
  if (mx > 0) d /= mx;
  return d;
}

}  // namespace entcam
