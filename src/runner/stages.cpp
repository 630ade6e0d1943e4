#include "runner/stages.h"

#include <chrono>
#include <cmath>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "core/rng.h"
#include "data/loader.h"
#include "data/manifest.h"
#include "metrics/faithfulness.h"
#include "metrics/localization.h"
#include "runner/pipeline.h"

namespace entcam {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void apply_scene_options(SceneOptions& o, const json& options, const std::string& dataset) {
  for (auto it = options.begin(); it != options.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    auto need_int = [&]() {
      if (!v.is_number_integer())
        throw InputError("datasets[" + dataset + "].options." + k + ": expected an integer, got " + v.dump());
      return v.get<int>();
    };
    if (k == "count") o.count = need_int();
    else if (k == "canvas") o.canvas = need_int();
    else if (k == "min_items") o.min_items = need_int();
    else if (k == "max_items") o.max_items = need_int();
    else if (k == "min_scale") o.min_scale = need_int();
    else if (k == "max_scale") o.max_scale = need_int();
    else if (k == "clutter") o.clutter = need_int();
    else if (k == "seed") o.seed = uint64_t(need_int());
    else if (k == "classes") {
      if (!v.is_array()) throw InputError("datasets[" + dataset + "].options.classes: expected a list of class names");
      o.classes.clear();
      for (const auto& c : v) o.classes.push_back(c.is_string() ? c.get<std::string>() : c.dump());
    } else {
      throw InputError("datasets[" + dataset + "].options: unknown key '" + k +
                       "' (expected count, canvas, min_items, max_items, min_scale, max_scale, clutter, seed, classes)");
    }
  }
}

// Keeps `keep` items of `v`, chosen by a seeded shuffle, in their original order.
void seeded_subset(std::vector<size_t>& v, size_t keep, uint64_t seed) {
  if (v.size() <= keep) return;
  std::vector<size_t> order = v;
  SplitMix64 rng(seed);
  seeded_shuffle(order, rng);
  order.resize(keep);
  std::sort(order.begin(), order.end());
  v = order;
}

}  // namespace

DatasetRun prepare_dataset_run(const ExperimentSettings& s, const DatasetSettings& d, const std::string& data_root,
                               const fs::path& cache_dir) {
  DatasetRun run;
  run.settings = d;
  Manifest m = load_manifest(resolve_manifest(d.name));
  if (!d.options.empty()) {
    if (m.layout != "fashion-scenes")
      throw InputError("datasets: options are only understood by the fashion-scenes layout, not " + m.layout);
    apply_scene_options(m.scenes, d.options, d.name);
  }
  if (m.layout == "fashion-scenes") run.crop_pct = 1.0;  // keep the whole canvas: its boxes reach the borders
  run.prepared = prepare_dataset(m, cache_root(data_root));
  const json split_key = {{"dataset", d.name}, {"options", d.options}, {"fraction", d.train_fraction}, {"seed", s.seed}};
  Split split = load_or_make_split(run.prepared.dataset, cache_dir / ("split-" + config_hash(split_key) + ".json"),
                                   d.train_fraction, s.seed);
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.test.begin(), split.test.end());
  run.train = split.train;
  run.test = split.test;
  const size_t total = run.train.size() + run.test.size();
  if (d.max_images > 0 && total > size_t(d.max_images)) {
    const size_t keep_train = size_t(std::llround(double(d.max_images) * double(run.train.size()) / double(total)));
    seeded_subset(run.train, keep_train, mix_seed(s.seed, 1));
    seeded_subset(run.test, size_t(d.max_images) - keep_train, mix_seed(s.seed, 2));
  }
  run.explain = run.test;
  if (d.explain_images > 0) seeded_subset(run.explain, size_t(d.explain_images), mix_seed(s.seed, 3));
  if (run.train.empty() || run.test.empty())
    throw InputError("dataset " + d.name + ": the split leaves no training or no test images (" +
                     std::to_string(run.train.size()) + " / " + std::to_string(run.test.size()) + ")");
  return run;
}

nlohmann::json explain_stage(const ExperimentSettings& s, const DatasetRun& run, Classifier& model,
                             const std::string& model_key, CaptureCache& cache, int shard_index, int shard_count,
                             RunStats& stats) {
  const Dataset& ds = run.prepared.dataset;
  const auto methods = parse_method_list(s.methods);
  model.check_layer(s.layer);
  LoaderOptions lo;
  lo.transform.size = int(s.model.input_size);
  lo.transform.crop_pct = run.crop_pct;
  lo.batch_size = int(s.cam_batch);
  lo.seed = s.seed;
  lo.prefetch = false;
  Loader loader(ds, run.explain, lo);

  const std::string key = model_key + "|" + s.layer + "|" + (s.explain_label ? "label" : "pred") + "|" +
                          std::to_string(shard_index) + "/" + std::to_string(shard_count);
  auto found = cache.by_key.find(key);
  if (found == cache.by_key.end()) {
    std::vector<CapturedBatch> batches;
    const size_t n_batches = (run.explain.size() + size_t(s.cam_batch) - 1) / size_t(s.cam_batch);
    Progress progress("capture " + ds.name + " @" + s.layer, int64_t(n_batches), "batch");
    for (size_t b = 0; b < n_batches; ++b) {
      progress.set(int64_t(b));
      check_interrupt();
      if (int(b % size_t(shard_count)) != shard_index) continue;  // shards split whole batches
      const size_t begin = b * size_t(s.cam_batch), end = std::min(run.explain.size(), begin + size_t(s.cam_batch));
      Batch batch = loader.load(std::vector<size_t>(run.explain.begin() + long(begin), run.explain.begin() + long(end)));
      if (batch.indices.empty()) continue;
      auto x = batch.images.to(model.device());
      CapturedBatch cb;
      cb.capture = capture_layer(model, x, s.layer, s.explain_label ? batch.labels : torch::Tensor());
      ++stats.capture_passes;
      cb.samples = batch.indices;
      cb.boxes = batch.boxes;
      cb.labels = batch.labels;
      batches.push_back(std::move(cb));
    }
    progress.set(int64_t(n_batches));
    progress.finish();
    found = cache.by_key.emplace(key, std::move(batches)).first;
  }

  CamOptions options;
  options.entropy = s.entropy;
  options.batch_size = s.perturbation_batch;
  options.score_cam_variant = s.score_cam_variant;
  ProbabilityModel prob;
  prob.probabilities = [&model](const torch::Tensor& batch) {
    torch::NoGradGuard g;
    return model.forward(batch.to(model.device())).softmax(1).cpu();
  };
  prob.batch_size = s.perturbation_batch;

  std::map<size_t, size_t> position;  // sample index -> position in the explain list
  for (size_t i = 0; i < run.explain.size(); ++i) position[run.explain[i]] = i;
  json items = json::array();
  json method_seconds = json::object();
  std::vector<std::string> warnings;
  Progress progress("explain " + ds.name, int64_t(found->second.size()), "batch");
  for (const CapturedBatch& cb : found->second) {
    check_interrupt();
    auto maps = run_methods(cb.capture, methods, options, &model);
    for (const auto& [id, mm] : maps) method_seconds[id] = method_seconds.value(id, 0.0) + mm.seconds;
    if (warnings.empty()) warnings = setting_warnings(cb.capture, methods);
    auto cls = cb.capture.classes.cpu(), scores = cb.capture.scores.cpu();
    auto images = cb.capture.input.cpu();
    for (size_t k = 0; k < cb.samples.size(); ++k) {
      const Sample& sample = ds.samples[cb.samples[k]];
      const size_t index = position.at(cb.samples[k]);
      const int W = int(images.size(3)), H = int(images.size(2));
      json boxes = json::array();
      for (const Box& b : cb.boxes[k]) boxes.push_back({b.xmin, b.ymin, b.xmax, b.ymax, b.difficult ? 1 : 0});
      json item = {{"index", index}, {"sample", cb.samples[k]}, {"id", sample.id}, {"label", sample.label},
                   {"class", cls[long(k)].item<int64_t>()}, {"score", scores[long(k)].item<double>()},
                   {"width", W}, {"height", H}, {"boxes", boxes}, {"methods", json::object()}};
      const bool faithful = s.faithfulness && (s.faithfulness_images == 0 || int64_t(index) < s.faithfulness_images);
      for (const auto* m : methods) {
        const MethodMaps& mm = maps.at(m->id);
        auto map = mm.maps[long(k)].contiguous();
        const float* p = map.data_ptr<float>();
        json entry = {{"shape", {map.size(0), map.size(1)}},
                      {"map", std::vector<float>(p, p + map.numel())},
                      {"degenerate", bool(mm.degenerate[k])}};
        if (faithful) {
          const auto t0 = std::chrono::steady_clock::now();
          cv::Mat prepared = prepare_map(p, int(map.size(0)), int(map.size(1)), W, H, sample.id + "/" + m->id);
          FaithfulnessResult f = faithfulness(prob, images[long(k)], prepared, cls[long(k)].item<int64_t>(),
                                              s.faithfulness_options);
          entry["faithfulness"] = {{"deletion_auc", f.deletion_auc}, {"insertion_auc", f.insertion_auc},
                                   {"average_drop", f.average_drop}, {"increase_in_confidence", f.increase_in_confidence}};
          method_seconds["faithfulness"] =
              method_seconds.value("faithfulness", 0.0) +
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        item["methods"][m->id] = entry;
      }
      items.push_back(item);
    }
    progress.advance();
  }
  progress.finish();
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) { return a["index"] < b["index"]; });
  json method_ids = json::array();
  for (const auto* m : methods) method_ids.push_back(m->id);
  return {{"dataset", ds.name}, {"layer", s.layer}, {"methods", method_ids}, {"classes", ds.classes},
          {"n_explain", run.explain.size()}, {"shard", {shard_index, shard_count}}, {"warnings", warnings},
          {"seconds", method_seconds},
          {"items", items}};
}

DatasetScores evaluate_records(const ExperimentSettings& s, const nlohmann::json& records) {
  DatasetScores out;
  out.dataset = records["dataset"];
  const json& items = records["items"];
  for (const auto& it : items) out.image_ids.push_back(it["id"]);
  const size_t n = items.size();
  const double nan = std::nan("");
  for (const auto& mid : records["methods"]) {
    const std::string method = mid;
    std::vector<LocalizationInput> inputs;
    std::vector<size_t> which;
    for (size_t i = 0; i < n; ++i) {
      const json& it = items[i];
      std::vector<Box> boxes;
      for (const auto& b : it["boxes"]) {
        Box box{b[0], b[1], b[2], b[3], b.size() > 4 && b[4].get<int>() != 0};
        if (s.skip_difficult && box.difficult) continue;
        boxes.push_back(box);
      }
      if (boxes.empty()) continue;
      const json& e = it["methods"][method];
      std::vector<float> raw = e["map"].get<std::vector<float>>();
      LocalizationInput in;
      in.id = it["id"];
      in.map = prepare_map(raw.data(), e["shape"][0], e["shape"][1], it["width"], it["height"], in.id + "/" + method);
      in.boxes = boxes;
      in.cls = it["label"];
      inputs.push_back(std::move(in));
      which.push_back(i);
    }
    MethodScores ms;
    ms.method = method;
    if (!inputs.empty()) {
      LocalizationScores ls = score_localization(inputs, s.localization);
      for (size_t m = 0; m < ls.metric_names.size(); ++m) {
        std::vector<double> v(n, nan);
        for (size_t j = 0; j < which.size(); ++j) v[which[j]] = ls.per_image[j][m];
        ms.metrics.emplace_back(ls.metric_names[m], v);
      }
    }
    for (const char* f : {"deletion_auc", "insertion_auc", "average_drop", "increase_in_confidence"}) {
      std::vector<double> v(n, nan);
      bool any = false;
      for (size_t i = 0; i < n; ++i) {
        const json& e = items[i]["methods"][method];
        if (e.contains("faithfulness")) {
          v[i] = e["faithfulness"][f];
          any = true;
        }
      }
      if (any) ms.metrics.emplace_back(f, v);
    }
    out.methods.push_back(std::move(ms));
  }
  return out;
}

}  // namespace entcam
