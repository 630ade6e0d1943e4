#pragma once
// The stages of a run, each a function of its inputs and settings; pipeline.cpp chains
// them and caches their outputs.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cam/engine.h"
#include "data/prepare.h"
#include "data/split.h"
#include "models/classifier.h"
#include "report/report.h"
#include "runner/experiment.h"

namespace entcam {

struct RunStats;

// Dataset + split as a run uses them (a seeded subset when max_images caps it).
struct DatasetRun {
  DatasetSettings settings;
  PreparedDataset prepared;
  std::vector<size_t> train, test;     // indices into samples
  std::vector<size_t> explain;         // the test images explained (explain_images cap)
  double crop_pct = 0.8975;            // eval crop: 1.0 for generated scenes (whole canvas)
};

DatasetRun prepare_dataset_run(const ExperimentSettings& s, const DatasetSettings& d, const std::string& data_root,
                               const std::filesystem::path& cache_dir);

// Train stage: writes <dir>/model.safetensors and <dir>/training.json (test accuracy,
// epochs, seconds, ...). Returns training.json's content.
nlohmann::json train_stage(const ExperimentSettings& s, const DatasetRun& run, const std::filesystem::path& dir,
                           bool resume, const std::string& data_root);

// Activations and gradients of the explained images at one layer, kept in memory so that
// sweep points that only change CAM arithmetic reuse them (no new forward passes).
struct CapturedBatch {
  LayerCapture capture;
  std::vector<size_t> samples;               // dataset sample index per item
  std::vector<std::vector<Box>> boxes;       // per item, in network-input pixels
  torch::Tensor labels;                      // [B]
};
struct CaptureCache {
  std::map<std::string, std::vector<CapturedBatch>> by_key;  // key: model + layer + class choice + shard
};

// Explain stage: CAM maps (at the layer's resolution) and per-image faithfulness values
// for the explained images whose batch belongs to this shard. Returns the records JSON.
nlohmann::json explain_stage(const ExperimentSettings& s, const DatasetRun& run, Classifier& model,
                             const std::string& model_key, CaptureCache& cache, int shard_index, int shard_count,
                             RunStats& stats);

// Evaluate stage: localisation metrics over the records' maps (prepared at image size),
// plus their faithfulness values -> per-image scores per method.
DatasetScores evaluate_records(const ExperimentSettings& s, const nlohmann::json& records);

}  // namespace entcam
