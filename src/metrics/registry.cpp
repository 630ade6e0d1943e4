#include "metrics/registry.h"

namespace entcam {

const std::vector<MetricInfo>& metric_table() {
  static const std::vector<MetricInfo> table = {
      {"pointing_game", true, false},  // Zhang et al. 2016; TorchRay benchmark/pointing_game.py
      {"pointing_game_class_mean", true, false},  // TorchRay PointingGame.accuracy (mean of class accuracies)
      {"energy_pointing_game", true, false},  // Wang et al. 2020 (Score-CAM)
      {"box_iou", true, false},  // Zhou et al. 2016 (CAM), tau 0.2
      {"box_acc", true, false},  // Zhou et al. 2016 (CAM), IoU >= 0.5
      {"max_box_acc", true, false},  // Choe et al. 2020; clovaai/wsolevaluation BoxEvaluator
      {"max_box_acc_v2", true, false},  // Choe et al. 2020; multi-contour, IoU {0.3,0.5,0.7}
      {"instance_recall", true, false},  // local maxima >= 0.5 inside boxes
      {"all_instances_hit", true, false},  // every box holds a local maximum
      {"deletion_auc", false, false},  // Petsiuk et al. 2018 (RISE)
      {"insertion_auc", true, false},  // Petsiuk et al. 2018 (RISE)
      {"average_drop", false, true},  // Chattopadhyay et al. 2018 (Grad-CAM++)
      {"increase_in_confidence", true, true},  // Chattopadhyay et al. 2018 (Grad-CAM++)
      {"mprt_spearman", false, false},  // Adebayo et al. 2018; Quantus MPRT (cascading, Spearman)
      {"mprt_ssim", false, false},  // Adebayo et al. 2018; Quantus MPRT (cascading, SSIM)
      {"random_logit_ssim", false, false},  // Sixt et al. 2020; Quantus RandomLogit (SSIM)
      {"road_morf", false, false},  // Rong et al. 2022 (ROAD), most relevant first
      {"road_lerf", true, false},  // Rong et al. 2022 (ROAD), least relevant first
      {"road_gap", true, false},  // Rong et al. 2022 (ROAD), LeRF - MoRF
      {"sparseness", true, false},  // Chalasani et al. 2020; Quantus Sparseness (Gini)
      {"complexity", false, false},  // Bhatt et al. 2020; Quantus Complexity (entropy)
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
