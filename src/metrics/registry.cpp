#include "metrics/registry.h"

namespace entcam {

namespace {

double pointing_game_fn(const cv::Mat& map, const std::vector<Box>& boxes, const LocalizationOptions& opt) {
  return pointing_hit(map_argmax(map), boxes, opt.tolerance, map.cols, map.rows) ? 1.0 : 0.0;
}
double energy_fn(const cv::Mat& map, const std::vector<Box>& boxes, const LocalizationOptions&) {
  return energy_pointing_game(map, boxes);
}
double box_iou_fn(const cv::Mat& map, const std::vector<Box>& boxes, const LocalizationOptions& opt) {
  double best = 0;
  for (const Box& c : boxes_from_quantized(quantize_map(map), opt.box_tau, false))
    for (const Box& g : boxes) best = std::max(best, box_iou(c, g));
  return best;
}
double box_acc_fn(const cv::Mat& map, const std::vector<Box>& boxes, const LocalizationOptions& opt) {
  return box_iou_fn(map, boxes, opt) >= opt.box_iou_threshold ? 1.0 : 0.0;
}
double instance_recall_fn(const cv::Mat& map, const std::vector<Box>& boxes, const LocalizationOptions& opt) {
  if (boxes.empty()) return 0.0;
  return double(boxes_found(local_maxima(map, opt.local_max_min_value), boxes)) / double(boxes.size());
}
double all_instances_hit_fn(const cv::Mat& map, const std::vector<Box>& boxes, const LocalizationOptions& opt) {
  return boxes_found(local_maxima(map, opt.local_max_min_value), boxes) == int(boxes.size()) ? 1.0 : 0.0;
}

}  // namespace

const std::vector<MetricInfo>& metric_table() {
  static const std::vector<MetricInfo> table = {
      {"pointing_game", true, false, false, pointing_game_fn, "Zhang et al. 2016; TorchRay benchmark/pointing_game.py"},
      {"pointing_game_class_mean", true, false, false, nullptr, "TorchRay PointingGame.accuracy (mean of class accuracies)"},
      {"energy_pointing_game", true, false, false, energy_fn, "Wang et al. 2020 (Score-CAM)"},
      {"box_iou", true, false, false, box_iou_fn, "Zhou et al. 2016 (CAM), tau 0.2"},
      {"box_acc", true, false, false, box_acc_fn, "Zhou et al. 2016 (CAM), IoU >= 0.5"},
      {"max_box_acc", true, false, false, nullptr, "Choe et al. 2020; clovaai/wsolevaluation BoxEvaluator"},
      {"max_box_acc_v2", true, false, false, nullptr, "Choe et al. 2020; multi-contour, IoU {0.3,0.5,0.7}"},
      {"instance_recall", true, false, false, instance_recall_fn, "local maxima >= 0.5 inside boxes"},
      {"all_instances_hit", true, false, false, all_instances_hit_fn, "every box holds a local maximum"},
      {"deletion_auc", false, true, false, nullptr, "Petsiuk et al. 2018 (RISE)"},
      {"insertion_auc", true, true, false, nullptr, "Petsiuk et al. 2018 (RISE)"},
      {"average_drop", false, true, true, nullptr, "Chattopadhyay et al. 2018 (Grad-CAM++)"},
      {"increase_in_confidence", true, true, true, nullptr, "Chattopadhyay et al. 2018 (Grad-CAM++)"},
  };
  return table;
}

const MetricInfo* find_metric(const std::string& id) {
  for (const auto& m : metric_table())
    if (m.id == id) return &m;
  return nullptr;
}

bool higher_is_better(const std::string& id) {
  const MetricInfo* m = find_metric(id);
  return m ? m->higher_is_better : true;
}

}  // namespace entcam
