#pragma once
// Localisation metrics of docs/spec.md §3 over plain float images (no torch): the map is a
// CV_32FC1 cv::Mat at image resolution, min-max normalised to [0,1] (see prepare_map).
// Boxes are 0-based pixel boxes with inclusive corners.
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"  // Box: 0-based inclusive pixel box

namespace entcam {

// docs/spec.md §1/§3 map preparation: `data` is a float32 [h,w] map in C order. Non-finite values
// throw InputError naming `name`. When (w,h) != (width,height) the map is resized with
// cv::resize INTER_LINEAR (half-pixel centres); then it is min-max normalised in float32,
// (x - min) / (max - min), and a constant map becomes all zeros.
cv::Mat prepare_map(const float* data, int h, int w, int width, int height, const std::string& name);
cv::Mat prepare_map(const cv::Mat& map, int width, int height, const std::string& name);

// Inclusive-pixel IoU (wsolevaluation's calculate_multiple_iou: +1 on widths and heights,
// a non-positive union gives 0).
double box_iou(const Box& a, const Box& b);

// ---- Pointing game (Zhang et al. 2016; TorchRay benchmark/pointing_game.py) ----
struct Point {
  int x = 0, y = 0;
};
// The argmax of the map, first in row-major order on ties.
Point map_argmax(const cv::Mat& map);
// Hit when some box pixel (clipped to the image) is strictly closer than `tolerance`
// to `p` ((x-px)^2 + (y-py)^2 < tol^2, TorchRay's acceptance disc), or p lies in a box.
bool pointing_hit(Point p, const std::vector<Box>& boxes, double tolerance, int width, int height);

// ---- Energy-based pointing game (Wang et al. 2020, Score-CAM §4.3) ----
// Sum of the map over the union of the boxes / sum of the map; 0 when the map sums to 0.
double energy_pointing_game(const cv::Mat& map, const std::vector<Box>& boxes);

// ---- Box extraction (clovaai/wsolevaluation, evaluation.py compute_bboxes_from_scoremaps) ----
// The map quantised exactly as wsolevaluation does on its float64 score map:
// u = uint8(double(map) * 255), truncating.
cv::Mat quantize_map(const cv::Mat& map);
// Boxes of the contours of (u > int(tau * max(u))): every contour (multi_contour) or only the
// largest by contourArea (first on ties). Each boundingRect (x,y,w,h) becomes
// [x, y, min(x+w, W-1), min(y+h, H-1)]. No contour gives the single box [0,0,0,0].
std::vector<Box> boxes_from_quantized(const cv::Mat& u8, double tau, bool multi_contour);
// numpy.arange(0, 1, step) in float64: ceil(1/step) values i*step.
std::vector<double> threshold_grid(double step);

// Accumulates WSOL box accuracy over images like wsolevaluation's BoxEvaluator:
// per CAM threshold tau and IoU threshold, the number of images whose best candidate box
// (largest contour, or any contour when multi_contour) has IoU >= threshold with some
// ground-truth box. Ground-truth boxes are used as given (original size, not clipped).
struct BoxAccuracyCurve {
  std::vector<double> taus;
  std::vector<double> iou_thresholds;
  // correct[k][t]: 1 when image counts as correct for iou_thresholds[k] at taus[t]
  std::vector<std::vector<unsigned char>> correct;
};
BoxAccuracyCurve box_accuracy_curve(const cv::Mat& u8, const std::vector<Box>& gt, const std::vector<double>& taus,
                                    const std::vector<double>& iou_thresholds, bool multi_contour);

// ---- Multi-instance recall ----
// Local maxima: pixels >= each of their existing 8 neighbours with value >= min_value.
// Returns a CV_8U mask (1 at local maxima).
cv::Mat local_maxima(const cv::Mat& map, double min_value);
// Number of boxes (clipped to the image) that contain at least one local maximum.
int boxes_found(const cv::Mat& maxima, const std::vector<Box>& boxes);

struct LocalizationOptions {
  double tolerance = 15.0;         // pointing game, pixels
  double box_tau = 0.2;            // Zhou et al.'s 20% rule
  double box_iou_threshold = 0.5;  // box_acc
  double cam_curve_step = 0.01;    // max_box_acc tau grid: numpy.arange(0, 1, step)
  std::vector<double> v2_iou_thresholds = {0.3, 0.5, 0.7};
  double local_max_min_value = 0.5;  // instance_recall
};

// Everything the localisation metrics need from one image, computed once.
struct ImageLocalization {
  bool pointing_hit = false;
  double energy = 0.0;
  double iou = 0.0;  // box_iou at tau = box_tau
  int n_boxes = 0;
  int found_boxes = 0;
  BoxAccuracyCurve v1;  // largest contour, IoU {box_iou_threshold}
  BoxAccuracyCurve v2;  // multi-contour, IoU v2_iou_thresholds
};
ImageLocalization localize_image(const cv::Mat& map, const std::vector<Box>& boxes, const LocalizationOptions& opt);

// One image's input to dataset-level scoring.
struct LocalizationInput {
  std::string id;
  cv::Mat map;  // prepared: CV_32F, image size, in [0,1]
  std::vector<Box> boxes;
  int cls = -1;  // -1 when unknown
};

// Per-image metric values (names of docs/spec.md §3) and dataset aggregates.
struct LocalizationScores {
  std::vector<std::string> metric_names;            // order of the columns
  std::vector<std::vector<double>> per_image;       // [image][metric]
  std::vector<std::pair<std::string, double>> aggregate;  // name -> value
};

// Scores every image (in parallel with TBB) and aggregates:
// - pointing_game, energy_pointing_game, box_iou, box_acc, all_instances_hit, and the map's
//   sparseness and complexity (metrics/complexity.h, no boxes needed): mean over images;
// - pointing_game_class_mean: mean over the classes present of per-class accuracy (TorchRay's
//   accuracy = hits / max(1, hits + misses) averaged over classes), only when some image has a
//   class; images without a class are left out of it;
// - max_box_acc: max over tau of the share of correct images (IoU >= 0.5, largest contour);
// - max_box_acc_v2: mean over IoU thresholds {0.3,0.5,0.7} of that max, multi-contour;
// - instance_recall: found boxes / all boxes (per image: found / boxes of that image).
// Per image, max_box_acc(_v2) is the image's correctness at the dataset's best tau (the first
// best one), so the per-image values average to the aggregate.
LocalizationScores score_localization(const std::vector<LocalizationInput>& images, const LocalizationOptions& opt);

}  // namespace entcam
