#pragma once
// Typed experiment settings read from a validated Config, and the sweep grid.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cam/entropy.h"
#include "metrics/faithfulness.h"
#include "metrics/road.h"
#include "metrics/localization.h"
#include "models/registry.h"
#include "runner/config.h"

namespace entcam {

struct DatasetSettings {
  std::string name;  // shipped name or manifest path; a pool's label
  std::vector<std::string> sources;   // a pool's datasets (names or manifest paths); empty: `name` alone
  std::string label_space = "union";  // union | imagenet (docs/spec.md §3c)
  // How results, caches and reports name the dataset: `name`, or a manifest path's file stem.
  std::string label;
  double train_fraction = 0.7;
  int64_t max_images = 0;      // 0 = all
  int64_t explain_images = 0;  // 0 = all test images
  nlohmann::json options;      // layout options (fashion-scenes generator settings), for cache keys
  YAML::Node options_yaml;     // the same as written, parsed by the layout (data/manifest.h)
  std::string options_file;    // the file that set them, for errors
};

struct ExperimentSettings {
  std::string experiment;
  uint64_t seed = 0;
  std::string device = "auto";
  int threads = 0;
  std::filesystem::path results = "results";
  std::vector<DatasetSettings> datasets;
  ModelShape model;  // num_classes set per dataset
  InputSpec input;   // the architecture's input spec, its size from model.input_size
  std::string pretrained = "none";
  // For an architecture entcam loads but does not build (torchscript), model.pretrained is the
  // module file itself; its SHA-256 keys the stage cache, so a re-exported file is not mistaken
  // for the old one.
  std::string pretrained_sha256;
  nlohmann::json train;  // the `train:` section as resolved
  // CAM
  std::string methods = "all";
  std::string layer = "act4";
  bool explain_label = false;  // cam.class: label (true class) instead of pred
  int64_t cam_batch = 16, perturbation_batch = 32;
  EntropyOptions entropy;
  std::string score_cam_variant = "wang";
  // Metrics
  LocalizationOptions localization;
  bool skip_difficult = false;
  bool faithfulness = true;
  int64_t faithfulness_images = 0;
  FaithfulnessOptions faithfulness_options;
  bool sanity = false;
  int64_t sanity_images = 8;
  bool road = false;
  int64_t road_images = 16;
  RoadOptions road_options;
  int bootstrap = 1000;
  // Report
  int grid_images = 8;
  bool figures = true;

  nlohmann::json resolved;  // the whole resolved config
};

// Reads the settings of a validated config (validate_config first).
ExperimentSettings experiment_settings(const Config& config);

// One point of a sweep: the key=value assignments that differ from the base config.
struct SweepPoint {
  std::vector<std::pair<std::string, std::string>> values;  // key, value (YAML text)
  std::string label() const;                                // "cam.entropy.bins=8,cam.layer=conv4"
};

// The grid of the config's `sweep:` section in row-major order (the last key varies
// fastest); a config without a sweep has the one empty point.
std::vector<SweepPoint> sweep_points(const Config& config);

// Versions of what each stage computes from its settings. The stage keys include them, so a
// cache written by an entcam whose training (or CAM/metric) arithmetic differed is not
// reused by this one. Bump kTrainingNumerics when a change moves the weights a training run
// ends with (loader, augmentation, model initialisation, optimiser, schedule); bump
// kExplainNumerics when it moves the maps or metrics the explain stage records. A pure
// speed-up that changes only float rounding needs no bump.
constexpr int kTrainingNumerics = 1;
constexpr int kExplainNumerics = 1;

// Canonical JSON of the parts of the settings each stage depends on; hashing it keys the
// stage's cache folder, so a rerun skips finished stages and a change redoes only what
// depends on it (or on the numerics versions above).
nlohmann::json train_stage_key(const ExperimentSettings& s, const DatasetSettings& d);
nlohmann::json explain_stage_key(const ExperimentSettings& s, const DatasetSettings& d);

}  // namespace entcam
