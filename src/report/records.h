#pragma once
// What the explain stage hands on: per explained image its boxes, each method's raw map and
// the per-image values that needed the model (faithfulness, ...). Evaluate, the figures and
// `entcam merge` read these typed records; the stage cache stores them as JSON
// (to_json/from_json), so a cached stage and a fresh one give the same structs.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "metrics/localization.h"
#include "report/report.h"

namespace entcam {

// Bump when the records change shape: it is part of the explain stage's cache key.
constexpr int kRecordsFormat = 3;

struct MethodRecord {
  int64_t height = 0, width = 0;  // the target layer's resolution
  std::vector<float> map;         // height * width, row-major, after the method's ReLU
  bool degenerate = false;        // all zero or non-finite before clean-up
  // Per-image metric values computed with the model while explaining (metric id -> value).
  std::map<std::string, double> scores;
  // Per-image curves computed with the model (metric id -> values), e.g. the MPRT similarity
  // after each step of ExplainRecords::mprt_layers; NaN where undefined.
  std::map<std::string, std::vector<double>> curves;
};

struct ItemRecord {
  size_t index = 0;   // position in the dataset's explain list (stable across shards)
  size_t sample = 0;  // index into Dataset::samples
  std::string id;     // the sample id
  std::string source; // the source dataset of a pool (docs/spec.md §3c); empty: the dataset itself
  int64_t label = -1;         // true class
  int64_t explained = -1;     // the class the maps explain
  double score = 0;           // its logit
  int width = 0, height = 0;  // network input size, the frame of `boxes`
  std::vector<Box> boxes;
  std::map<std::string, MethodRecord> methods;  // by method id
};

struct ExplainRecords {
  std::string dataset, layer;
  std::vector<std::string> methods;  // table order
  std::vector<std::string> classes;
  size_t n_explain = 0;              // explained images of the whole dataset (all shards)
  int shard_index = 0, shard_count = 1;
  std::vector<std::string> warnings;
  std::map<std::string, double> seconds;  // per method, and "faithfulness", "road", "sanity"
  std::vector<std::string> mprt_layers;   // the MPRT cascade of the sanity checks (empty: not run)
  std::vector<ItemRecord> items;          // by index

  // Adds another shard's items, keeping them ordered by index.
  void merge(const ExplainRecords& other);
  // Maps that were degenerate, per method.
  std::map<std::string, int> degenerate_counts() const;
};

void to_json(nlohmann::json& j, const ExplainRecords& r);
void from_json(const nlohmann::json& j, ExplainRecords& r);

// Localisation metrics of every method over the records' maps (prepared at image size),
// plus the per-image values the explain stage computed -> per-image scores per method.
DatasetScores score_records(const ExplainRecords& records, const LocalizationOptions& options, bool skip_difficult);

}  // namespace entcam
