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
#include "data/pool.h"
#include "data/prepare.h"
#include "data/split.h"
#include "models/classifier.h"
#include "report/records.h"
#include "report/report.h"
#include "runner/experiment.h"

namespace entcam {

struct RunStats;

// Dataset + split as a run uses them (a seeded subset when max_images caps it). A single
// dataset is a pool of one source.
struct DatasetRun {
  DatasetSettings settings;
  PooledDataset pool;
  std::vector<size_t> train, test;     // indices into samples
  std::vector<size_t> explain;         // the test images explained (explain_images cap)
  InputSpec input;  // the model's input spec; eval crop 1.0 for generated scenes (whole canvas)
};

// report.json's description of the dataset (docs/spec.md §3c): label_space, sources with their
// image and split counts, excluded_classes, classes and class_indices.
nlohmann::json pool_description(const DatasetRun& run);

DatasetRun prepare_dataset_run(const ExperimentSettings& s, const DatasetSettings& d, const std::string& data_root,
                               const std::filesystem::path& cache_dir);

// The train stage's model in `dir`, its "done" marker: model.safetensors, or for an
// architecture entcam loads but does not build (torchscript) a copy of the module file,
// model.pt. trained_model_spec is what load_classifier takes for it.
std::filesystem::path trained_model_file(const ExperimentSettings& s, const std::filesystem::path& dir);
std::string trained_model_spec(const ExperimentSettings& s, const std::filesystem::path& dir);

// Train stage: writes <dir>/training.json (test accuracy, epochs, seconds, ...) and then the
// trained model (trained_model_file). Returns training.json's content.
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
  // key: model + layer + class choice; then by batch number in the explain list
  std::map<std::string, std::map<size_t, CapturedBatch>> by_key;
};

// Where the explain stage keeps its per-batch journal: one JSON line per finished batch
// ({"batch": b, "records": the batch's ExplainRecords}), appended as each batch ends. With
// `resume` the batches found there are taken as done and only the others run (a run killed
// mid-stage continues from its last finished batch); without it the journal starts over.
struct ExplainJournal {
  std::filesystem::path file;  // empty: no journal
  bool resume = false;
};

// Explain stage: CAM maps (at the layer's resolution) and per-image faithfulness values
// for the explained images whose batch belongs to this shard. (Evaluation is
// score_records in report/records.h.)
ExplainRecords explain_stage(const ExperimentSettings& s, const DatasetRun& run, Classifier& model,
                             const std::string& model_key, CaptureCache& cache, int shard_index, int shard_count,
                             const ExplainJournal& journal, RunStats& stats);

}  // namespace entcam
