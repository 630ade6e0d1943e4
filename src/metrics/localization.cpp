// Localisation metrics (docs/spec.md §3). The box metrics follow clovaai/wsolevaluation's
// evaluation.py (Choe et al., "Evaluating Weakly Supervised Object Localization Methods
// Right", CVPR 2020) step by step, because "matches" there means equal to 1e-6: the same
// uint8 quantisation, the same strict threshold, the same OpenCV contour search and the
// same inclusive IoU. The pointing game follows facebookresearch/TorchRay's
// benchmark/pointing_game.py (Zhang et al., "Top-down Neural Attention by Excitation
// Backprop", ECCV 2016).
#include "metrics/localization.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "metrics/complexity.h"

namespace entcam {

namespace {

// A box clipped to the image; false when nothing of it is inside.
bool clip_box(const Box& b, int width, int height, Box& out) {
  out.xmin = std::max(b.xmin, 0);
  out.ymin = std::max(b.ymin, 0);
  out.xmax = std::min(b.xmax, width - 1);
  out.ymax = std::min(b.ymax, height - 1);
  return out.xmin <= out.xmax && out.ymin <= out.ymax;
}

}  // namespace

cv::Mat prepare_map(const cv::Mat& map_in, int width, int height, const std::string& name) {
  if (map_in.type() != CV_32FC1 || map_in.dims != 2)
    throw file_error(name, "expected a 2-D float32 map");
  if (map_in.rows <= 0 || map_in.cols <= 0) throw file_error(name, "expected a non-empty map");
  if (width <= 0 || height <= 0) throw file_error(name, "image size must be positive");
  for (int y = 0; y < map_in.rows; ++y) {
    const float* row = map_in.ptr<float>(y);
    for (int x = 0; x < map_in.cols; ++x)
      if (!std::isfinite(row[x]))
        throw file_error(name, "non-finite value (" + std::to_string(row[x]) + ") at row " + std::to_string(y) +
                                   ", column " + std::to_string(x) + "; expected finite float32 values");
  }
  cv::Mat m;
  if (map_in.cols != width || map_in.rows != height)
    cv::resize(map_in, m, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);  // half-pixel centres
  else
    m = map_in.clone();
  double mn = 0, mx = 0;
  cv::minMaxLoc(m, &mn, &mx);
  const float fmn = float(mn), range = float(mx) - float(mn);
  if (!(range > 0.0f)) return cv::Mat::zeros(height, width, CV_32FC1);  // constant map -> zeros
  for (int y = 0; y < height; ++y) {
    float* row = m.ptr<float>(y);
    for (int x = 0; x < width; ++x) row[x] = (row[x] - fmn) / range;  // float32 arithmetic, like numpy on f4
  }
  return m;
}

cv::Mat prepare_map(const float* data, int h, int w, int width, int height, const std::string& name) {
  cv::Mat view(h, w, CV_32FC1, const_cast<float*>(data));
  return prepare_map(view, width, height, name);
}

double box_iou(const Box& a, const Box& b) {
  // Integer arithmetic as wsolevaluation's calculate_multiple_iou, then one float64 division.
  const long long ix = std::max(0, std::min(a.xmax, b.xmax) - std::max(a.xmin, b.xmin) + 1);
  const long long iy = std::max(0, std::min(a.ymax, b.ymax) - std::max(a.ymin, b.ymin) + 1);
  const long long inter = ix * iy;
  const long long area_a = (long long)(a.xmax - a.xmin + 1) * (a.ymax - a.ymin + 1);
  const long long area_b = (long long)(b.xmax - b.xmin + 1) * (b.ymax - b.ymin + 1);
  const long long uni = area_a + area_b - inter;
  if (uni <= 0) return 0.0;
  return double(inter) / double(uni);
}

Point map_argmax(const cv::Mat& map) {
  Point best;
  float best_v = -INFINITY;
  for (int y = 0; y < map.rows; ++y) {
    const float* row = map.ptr<float>(y);
    for (int x = 0; x < map.cols; ++x)
      if (row[x] > best_v) {  // strict: the first maximum in row-major order wins
        best_v = row[x];
        best = {x, y};
      }
  }
  return best;
}

bool pointing_hit(Point p, const std::vector<Box>& boxes, double tolerance, int width, int height) {
  const double tol2 = tolerance * tolerance;
  for (const Box& raw : boxes) {
    Box b;
    if (!clip_box(raw, width, height, b)) continue;
    if (p.x >= b.xmin && p.x <= b.xmax && p.y >= b.ymin && p.y <= b.ymax) return true;
    // The box pixel nearest to p is p clamped into the box.
    const double dx = p.x < b.xmin ? b.xmin - p.x : (p.x > b.xmax ? p.x - b.xmax : 0);
    const double dy = p.y < b.ymin ? b.ymin - p.y : (p.y > b.ymax ? p.y - b.ymax : 0);
    if (dx * dx + dy * dy < tol2) return true;  // strict, as TorchRay's `(v + u) < tolerance**2`
  }
  return false;
}

double energy_pointing_game(const cv::Mat& map, const std::vector<Box>& boxes) {
  cv::Mat inside = cv::Mat::zeros(map.rows, map.cols, CV_8UC1);
  for (const Box& raw : boxes) {
    Box b;
    if (clip_box(raw, map.cols, map.rows, b)) inside(cv::Rect(b.xmin, b.ymin, b.xmax - b.xmin + 1, b.ymax - b.ymin + 1)) = 1;
  }
  double total = 0, in = 0;
  for (int y = 0; y < map.rows; ++y) {
    const float* row = map.ptr<float>(y);
    const unsigned char* m = inside.ptr<unsigned char>(y);
    for (int x = 0; x < map.cols; ++x) {
      total += row[x];
      if (m[x]) in += row[x];
    }
  }
  return total > 0 ? in / total : 0.0;
}

cv::Mat quantize_map(const cv::Mat& map) {
  // wsolevaluation receives float64 maps (t2n casts to np.float) and computes
  // (scoremap * 255).astype(np.uint8): a float64 product, truncated.
  cv::Mat u(map.rows, map.cols, CV_8UC1);
  for (int y = 0; y < map.rows; ++y) {
    const float* row = map.ptr<float>(y);
    unsigned char* out = u.ptr<unsigned char>(y);
    for (int x = 0; x < map.cols; ++x) {
      const double v = std::clamp(double(row[x]) * 255.0, 0.0, 255.0);
      out[x] = static_cast<unsigned char>(v);
    }
  }
  return u;
}

namespace {

struct ContourBoxes {
  std::vector<Box> all;  // one per contour, in OpenCV's order
  int largest = -1;      // index of the first contour of largest contourArea; -1: none
};

ContourBoxes contour_boxes(const cv::Mat& u8, int max_u, double tau) {
  // cv2.threshold(THRESH_BINARY, thresh=int(tau * max)) keeps pixels strictly above it.
  const int thr = static_cast<int>(tau * double(max_u));
  cv::Mat binary;
  cv::compare(u8, cv::Scalar(thr), binary, cv::CMP_GT);  // 255 where u > thr
  std::vector<std::vector<cv::Point>> contours;
  std::vector<cv::Vec4i> hierarchy;
  cv::findContours(binary, contours, hierarchy, cv::RETR_TREE, cv::CHAIN_APPROX_SIMPLE);
  ContourBoxes out;
  double best_area = -1;
  const int W = u8.cols, H = u8.rows;
  for (size_t i = 0; i < contours.size(); ++i) {
    const double area = cv::contourArea(contours[i]);
    if (area > best_area) {  // Python's max() keeps the first of equal keys
      best_area = area;
      out.largest = int(i);
    }
    const cv::Rect r = cv::boundingRect(contours[i]);
    out.all.push_back({r.x, r.y, std::min(r.x + r.width, W - 1), std::min(r.y + r.height, H - 1)});
  }
  return out;
}

double best_iou(const std::vector<Box>& candidates, const std::vector<Box>& gt) {
  double best = 0;
  for (const Box& c : candidates)
    for (const Box& g : gt) best = std::max(best, box_iou(c, g));
  return best;
}

int max_u8(const cv::Mat& u8) {
  double mn = 0, mx = 0;
  cv::minMaxLoc(u8, &mn, &mx);
  return int(mx);
}

}  // namespace

std::vector<Box> boxes_from_quantized(const cv::Mat& u8, double tau, bool multi_contour) {
  ContourBoxes cb = contour_boxes(u8, max_u8(u8), tau);
  if (cb.all.empty()) return {Box{0, 0, 0, 0}};
  if (multi_contour) return cb.all;
  return {cb.all[size_t(cb.largest)]};
}

std::vector<double> threshold_grid(double step) {
  if (!(step > 0) || step > 1) throw InputError("cam curve step: expected a value in (0, 1], got " + std::to_string(step));
  // numpy.arange(0, 1, step): length ceil((stop - start) / step), values start + i * step.
  const auto n = static_cast<size_t>(std::ceil(1.0 / step));
  std::vector<double> taus(n);
  for (size_t i = 0; i < n; ++i) taus[i] = double(i) * step;
  return taus;
}

BoxAccuracyCurve box_accuracy_curve(const cv::Mat& u8, const std::vector<Box>& gt, const std::vector<double>& taus,
                                    const std::vector<double>& iou_thresholds, bool multi_contour) {
  BoxAccuracyCurve c;
  c.taus = taus;
  c.iou_thresholds = iou_thresholds;
  c.correct.assign(iou_thresholds.size(), std::vector<unsigned char>(taus.size(), 0));
  const int mx = max_u8(u8);
  // Taus giving the same integer threshold give the same boxes: compute each once.
  std::map<int, double> iou_by_thr;
  for (size_t t = 0; t < taus.size(); ++t) {
    const int thr = static_cast<int>(taus[t] * double(mx));
    auto it = iou_by_thr.find(thr);
    if (it == iou_by_thr.end()) {
      ContourBoxes cb = contour_boxes(u8, mx, taus[t]);
      std::vector<Box> cand;
      if (cb.all.empty())
        cand = {Box{0, 0, 0, 0}};
      else if (multi_contour)
        cand = cb.all;
      else
        cand = {cb.all[size_t(cb.largest)]};
      it = iou_by_thr.emplace(thr, best_iou(cand, gt)).first;
    }
    for (size_t k = 0; k < iou_thresholds.size(); ++k) c.correct[k][t] = it->second >= iou_thresholds[k];
  }
  return c;
}

cv::Mat local_maxima(const cv::Mat& map, double min_value) {
  cv::Mat out = cv::Mat::zeros(map.rows, map.cols, CV_8UC1);
  for (int y = 0; y < map.rows; ++y)
    for (int x = 0; x < map.cols; ++x) {
      const float v = map.at<float>(y, x);
      if (v < min_value) continue;
      bool is_max = true;
      for (int dy = -1; dy <= 1 && is_max; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int yy = y + dy, xx = x + dx;
          if ((dx == 0 && dy == 0) || yy < 0 || xx < 0 || yy >= map.rows || xx >= map.cols) continue;
          if (map.at<float>(yy, xx) > v) {
            is_max = false;
            break;
          }
        }
      if (is_max) out.at<unsigned char>(y, x) = 1;
    }
  return out;
}

int boxes_found(const cv::Mat& maxima, const std::vector<Box>& boxes) {
  int found = 0;
  for (const Box& raw : boxes) {
    Box b;
    if (!clip_box(raw, maxima.cols, maxima.rows, b)) continue;
    if (cv::countNonZero(maxima(cv::Rect(b.xmin, b.ymin, b.xmax - b.xmin + 1, b.ymax - b.ymin + 1))) > 0) ++found;
  }
  return found;
}

ImageLocalization localize_image(const cv::Mat& map, const std::vector<Box>& boxes, const LocalizationOptions& opt) {
  ImageLocalization r;
  r.n_boxes = int(boxes.size());
  r.pointing_hit = pointing_hit(map_argmax(map), boxes, opt.tolerance, map.cols, map.rows);
  r.energy = energy_pointing_game(map, boxes);
  const cv::Mat u8 = quantize_map(map);
  r.iou = best_iou(boxes_from_quantized(u8, opt.box_tau, false), boxes);
  const std::vector<double> taus = threshold_grid(opt.cam_curve_step);
  r.v1 = box_accuracy_curve(u8, boxes, taus, {opt.box_iou_threshold}, false);
  r.v2 = box_accuracy_curve(u8, boxes, taus, opt.v2_iou_thresholds, true);
  r.found_boxes = boxes_found(local_maxima(map, opt.local_max_min_value), boxes);
  return r;
}

namespace {

// For one IoU threshold: the share of correct images at each tau, its maximum and the first
// tau reaching it (wsolevaluation: num_correct * 100 / cnt, then .max()).
struct CurveMax {
  double value = 0;
  size_t best_tau = 0;
};

CurveMax curve_max(const std::vector<ImageLocalization>& r, bool v2, size_t k) {
  CurveMax cm;
  if (r.empty()) return cm;
  const size_t n_tau = (v2 ? r[0].v2 : r[0].v1).taus.size();
  std::vector<long> counts(n_tau, 0);
  for (const auto& img : r) {
    const auto& row = (v2 ? img.v2 : img.v1).correct[k];
    for (size_t t = 0; t < n_tau; ++t) counts[t] += row[t];
  }
  long best = -1;
  for (size_t t = 0; t < n_tau; ++t)
    if (counts[t] > best) {
      best = counts[t];
      cm.best_tau = t;
    }
  cm.value = double(best) / double(r.size());
  return cm;
}

}  // namespace

LocalizationScores score_localization(const std::vector<LocalizationInput>& images, const LocalizationOptions& opt) {
  const size_t n = images.size();
  std::vector<ImageLocalization> r(n);
  tbb::parallel_for(size_t(0), n, [&](size_t i) { r[i] = localize_image(images[i].map, images[i].boxes, opt); });

  LocalizationScores s;
  s.metric_names = {"pointing_game", "energy_pointing_game", "box_iou",         "box_acc",
                    "max_box_acc",   "max_box_acc_v2",       "instance_recall", "all_instances_hit",
                    "sparseness",    "complexity"};
  const CurveMax v1 = curve_max(r, false, 0);
  std::vector<CurveMax> v2;
  for (size_t k = 0; k < opt.v2_iou_thresholds.size(); ++k) v2.push_back(curve_max(r, true, k));

  s.per_image.resize(n);
  long total_boxes = 0, total_found = 0;
  for (size_t i = 0; i < n; ++i) {
    const ImageLocalization& x = r[i];
    double v2_img = 0;
    for (size_t k = 0; k < v2.size(); ++k) v2_img += x.v2.correct[k][v2[k].best_tau];
    if (!v2.empty()) v2_img /= double(v2.size());
    s.per_image[i] = {x.pointing_hit ? 1.0 : 0.0,
                      x.energy,
                      x.iou,
                      x.iou >= opt.box_iou_threshold ? 1.0 : 0.0,
                      double(x.v1.correct[0][v1.best_tau]),
                      v2_img,
                      x.n_boxes > 0 ? double(x.found_boxes) / x.n_boxes : 0.0,
                      x.found_boxes == x.n_boxes ? 1.0 : 0.0,
                      sparseness(images[i].map),
                      complexity(images[i].map)};
    total_boxes += x.n_boxes;
    total_found += x.found_boxes;
  }
  auto mean_col = [&](size_t col) {
    double sum = 0;
    for (const auto& row : s.per_image) sum += row[col];
    return n ? sum / double(n) : 0.0;
  };
  s.aggregate.emplace_back("pointing_game", mean_col(0));
  // TorchRay's PointingGame.accuracy: per-class hits / max(1, hits + misses), averaged.
  std::map<int, std::pair<long, long>> per_class;  // class -> (hits, total)
  for (size_t i = 0; i < n; ++i)
    if (images[i].cls >= 0) {
      auto& hc = per_class[images[i].cls];
      hc.first += r[i].pointing_hit ? 1 : 0;
      hc.second += 1;
    }
  if (!per_class.empty()) {
    double sum = 0;
    for (const auto& [cls, hc] : per_class) sum += double(hc.first) / double(std::max(1L, hc.second));
    s.aggregate.emplace_back("pointing_game_class_mean", sum / double(per_class.size()));
  }
  s.aggregate.emplace_back("energy_pointing_game", mean_col(1));
  s.aggregate.emplace_back("box_iou", mean_col(2));
  s.aggregate.emplace_back("box_acc", mean_col(3));
  s.aggregate.emplace_back("max_box_acc", v1.value);
  double v2_mean = 0;
  for (const auto& cm : v2) v2_mean += cm.value;
  s.aggregate.emplace_back("max_box_acc_v2", v2.empty() ? 0.0 : v2_mean / double(v2.size()));
  s.aggregate.emplace_back("instance_recall", total_boxes > 0 ? double(total_found) / double(total_boxes) : 0.0);
  s.aggregate.emplace_back("all_instances_hit", mean_col(7));
  // Not localisation, but like it a function of the map alone (docs/spec.md §3, complexity).
  s.aggregate.emplace_back("sparseness", mean_col(8));
  s.aggregate.emplace_back("complexity", mean_col(9));
  return s;
}

}  // namespace entcam
