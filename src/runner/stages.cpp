#include "runner/stages.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>

#include "core/error.h"
#include "core/fs.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "core/rng.h"
#include "data/loader.h"
#include "data/imagenet.h"
#include "data/manifest.h"
#include "metrics/faithfulness.h"
#include "metrics/localization.h"
#include "metrics/road.h"
#include "metrics/sanity.h"
#include "runner/pipeline.h"

namespace entcam {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

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
  std::vector<PoolSource> sources;
  bool all_scenes = true;
  for (const std::string& name : d.sources.empty() ? std::vector<std::string>{d.name} : d.sources) {
    Manifest m = load_manifest(resolve_manifest(name));
    if (!d.options.empty()) {
      if (m.layout != "fashion-scenes")
        throw InputError("datasets: options are only understood by the fashion-scenes layout, not " + m.layout);
      parse_scene_options(d.options_file, d.options_yaml, m.scenes, "datasets[" + d.name + "].options");
    }
    all_scenes = all_scenes && m.layout == "fashion-scenes";
    PreparedDataset prepared = prepare_dataset(m, cache_root(data_root));
    sources.push_back({m.name, m.layout, m.imagenet, std::move(prepared.dataset)});
  }
  run.input = s.input;
  if (all_scenes) run.input.crop_pct = 1.0;  // keep the whole canvas: its boxes reach the borders
  std::optional<ImageNetClasses> imagenet;
  if (d.label_space == "imagenet") imagenet = load_imagenet_classes(shipped_imagenet_classes());
  run.pool = pool_datasets(d.label, std::move(sources), d.label_space, imagenet ? &*imagenet : nullptr);
  json split_key = {{"dataset", d.name}, {"options", d.options}, {"fraction", d.train_fraction}, {"seed", s.seed}};
  if (!d.sources.empty()) split_key["sources"] = d.sources;
  if (d.label_space != "union") split_key["label_space"] = d.label_space;
  Split split = load_or_make_split(run.pool.dataset, cache_dir / ("split-" + config_hash(split_key) + ".json"),
                                   d.train_fraction, s.seed,
                                   d.sources.empty() ? std::vector<std::string>{} : run.pool.sample_sources());
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

nlohmann::json pool_description(const DatasetRun& run) {
  const PooledDataset& p = run.pool;
  std::vector<int64_t> n_train(p.sources.size(), 0), n_test(p.sources.size(), 0);
  for (size_t i : run.train) ++n_train[size_t(p.source_of[i])];
  for (size_t i : run.test) ++n_test[size_t(p.source_of[i])];
  json sources = json::array();
  for (size_t i = 0; i < p.sources.size(); ++i)
    sources.push_back({{"name", p.sources[i].name}, {"images", p.sources[i].images}, {"n_train", n_train[i]},
                       {"n_test", n_test[i]}, {"classes", p.sources[i].classes}});
  json excluded = json::array();
  for (const auto& e : p.excluded) excluded.push_back({{"source", e.source}, {"class", e.klass}, {"images", e.images}});
  return {{"label_space", p.label_space}, {"sources", sources}, {"excluded_classes", excluded},
          {"classes", p.classes}, {"class_indices", p.class_indices}};
}

namespace {

// The journal's finished batches (batch number -> that batch's records). A line that does not
// parse is where a killed process stopped writing: it and anything after it are dropped, and the
// file is rewritten to the lines kept so that later appends follow a whole line.
std::map<size_t, ExplainRecords> read_journal(const fs::path& file) {
  std::map<size_t, ExplainRecords> done;
  if (!fs::exists(file)) return done;
  const std::string text = read_file(file);
  std::string kept;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;  // a torn last line
    const std::string line = text.substr(pos, end - pos);
    try {
      const json j = json::parse(line);
      done[j.at("batch").get<size_t>()] = j.at("records").get<ExplainRecords>();
    } catch (const std::exception&) {
      break;
    }
    kept += line + "\n";
    pos = end + 1;
  }
  if (kept.size() != text.size()) write_file_atomic(file, kept);
  return done;
}

// Adds one batch's records to the stage's: its items and seconds; the warnings and MPRT layers
// of the first batch that has them.
void add_batch(ExplainRecords& into, const ExplainRecords& batch) {
  for (const auto& [k, v] : batch.seconds) into.seconds[k] += v;
  if (into.warnings.empty()) into.warnings = batch.warnings;
  if (into.mprt_layers.empty()) into.mprt_layers = batch.mprt_layers;
  into.items.insert(into.items.end(), batch.items.begin(), batch.items.end());
}

}  // namespace

ExplainRecords explain_stage(const ExperimentSettings& s, const DatasetRun& run, Classifier& model,
                             const std::string& model_key, CaptureCache& cache, int shard_index, int shard_count,
                             const ExplainJournal& journal, RunStats& stats) {
  const Dataset& ds = run.pool.dataset;
  const auto methods = parse_method_list(s.methods);
  // `cam.layer: default` is the architecture's own target layer (act4, layer4, features).
  const std::string layer = s.layer == "default" ? model.default_layer() : s.layer;
  model.check_layer(layer);
  Loader loader(ds, run.explain, eval_loader_options(run.input, int(s.cam_batch), s.seed));

  // Captures are shared by every stage that explains with the same model, layer and class
  // choice (the points of an entropy sweep), batch by batch.
  const std::string key = model_key + "|" + layer + "|" + (s.explain_label ? "label" : "pred");
  std::map<size_t, CapturedBatch>& captured = cache.by_key[key];
  auto capture = [&](size_t b) -> const CapturedBatch& {
    auto it = captured.find(b);
    if (it != captured.end()) return it->second;
    const size_t begin = b * size_t(s.cam_batch), end = std::min(run.explain.size(), begin + size_t(s.cam_batch));
    Batch batch = loader.load(std::vector<size_t>(run.explain.begin() + long(begin), run.explain.begin() + long(end)));
    CapturedBatch cb;
    if (!batch.indices.empty()) {
      auto x = batch.images.to(model.device());
      cb.capture = capture_layer(model, x, layer, s.explain_label ? batch.labels : torch::Tensor());
      ++stats.capture_passes;
    }
    cb.samples = batch.indices;
    cb.boxes = batch.boxes;
    cb.labels = batch.labels;
    return captured.emplace(b, std::move(cb)).first->second;
  };

  std::vector<size_t> mine;  // this shard's batches: shards split whole batches
  const size_t n_batches = (run.explain.size() + size_t(s.cam_batch) - 1) / size_t(s.cam_batch);
  for (size_t b = 0; b < n_batches; ++b)
    if (int(b % size_t(shard_count)) == shard_index) mine.push_back(b);
  std::map<size_t, ExplainRecords> done;
  if (!journal.file.empty()) {
    if (journal.resume) done = read_journal(journal.file);
    else fs::remove(journal.file);
  }
  if (!done.empty())
    std::cerr << "resuming explain " << ds.name << " after " << done.size() << " of " << mine.size()
              << " batches (" << journal.file.filename().string() << ")\n";

  CamOptions options;
  options.entropy = s.entropy;
  options.batch_size = s.perturbation_batch;
  options.score_cam_variant = s.score_cam_variant;
  ProbabilityModel prob;
  prob.probabilities = [&model](const torch::Tensor& batch) {
    torch::NoGradGuard g;
    return model.predict(batch.to(model.device())).softmax(1).cpu();
  };
  prob.batch_size = s.perturbation_batch;
  prob.mean = run.input.mean;
  prob.std = run.input.std;

  ExplainRecords records;
  records.dataset = ds.name;
  records.layer = layer;
  for (const auto* m : methods) records.methods.push_back(m->id);
  records.classes = ds.classes;
  records.n_explain = run.explain.size();
  records.shard_index = shard_index;
  records.shard_count = shard_count;
  std::map<size_t, size_t> position;  // sample index -> position in the explain list
  for (size_t i = 0; i < run.explain.size(); ++i) position[run.explain[i]] = i;
  Progress progress("explain " + ds.name, int64_t(mine.size()), "batch");
  for (size_t b : mine) {
    check_interrupt();
    if (auto d = done.find(b); d != done.end()) {
      add_batch(records, d->second);
      progress.advance();
      continue;
    }
    const CapturedBatch& cb = capture(b);
    if (cb.samples.empty()) {
      progress.advance();
      continue;
    }
    ExplainRecords part;  // this batch's share of the records, journalled once it is whole
    auto maps = run_methods(cb.capture, methods, options, &model);
    for (const auto& [id, mm] : maps) part.seconds[id] += mm.seconds;
    part.warnings = setting_warnings(cb.capture, methods);
    auto cls = cb.capture.classes.cpu(), scores = cb.capture.scores.cpu();
    auto images = cb.capture.input.cpu();
    // Sanity checks (docs/spec.md §3) for the batch's images among the first sanity_images, on a
    // copy of the model.
    std::vector<int64_t> checked;
    std::vector<uint64_t> keys;
    for (size_t k = 0; k < cb.samples.size(); ++k)
      if (s.sanity && (s.sanity_images == 0 || int64_t(position.at(cb.samples[k])) < s.sanity_images)) {
        checked.push_back(int64_t(k));
        keys.push_back(uint64_t(cb.samples[k]));
      }
    SanityResult sanity;
    if (!checked.empty()) {
      const auto t0 = std::chrono::steady_clock::now();
      const torch::Tensor which = torch::tensor(checked, torch::kLong).to(cb.capture.input.device());
      SanityOptions so;
      so.cam = options;
      so.images_per_pass = s.cam_batch;
      so.seed = mix_seed(s.seed, 10);
      std::map<std::string, torch::Tensor> known;  // the maps just computed: not again
      for (const auto& [id, mm] : maps) known[id] = mm.maps.index_select(0, which.cpu());
      sanity = sanity_checks(model, cb.capture.input.index_select(0, which), cb.capture.classes.index_select(0, which),
                             keys, layer, methods, so, known);
      part.mprt_layers = sanity.layers;
      part.seconds["sanity"] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    for (size_t k = 0; k < cb.samples.size(); ++k) {
      ItemRecord item;
      item.index = position.at(cb.samples[k]);
      item.sample = cb.samples[k];
      item.id = ds.samples[item.sample].id;
      item.label = ds.samples[item.sample].label;
      item.source = run.pool.sources[size_t(run.pool.source_of[item.sample])].name;
      item.explained = cls[long(k)].item<int64_t>();
      item.score = scores[long(k)].item<double>();
      item.width = int(images.size(3));
      item.height = int(images.size(2));
      item.boxes = cb.boxes[k];
      const bool faithful = s.faithfulness && (s.faithfulness_images == 0 || int64_t(item.index) < s.faithfulness_images);
      const bool roaded = s.road && (s.road_images == 0 || int64_t(item.index) < s.road_images);
      const auto checked_at = std::find(checked.begin(), checked.end(), int64_t(k));
      std::vector<torch::Tensor> method_maps;  // [h,w] at the layer's resolution
      std::vector<cv::Mat> prepared;           // at the image's size, for the perturbation metrics
      for (const CamMethod* m : methods) {
        method_maps.push_back(maps.at(m->id).maps[long(k)].contiguous());
        if (faithful || roaded) {
          const torch::Tensor& map = method_maps.back();
          prepared.push_back(prepare_map(map.data_ptr<float>(), int(map.size(0)), int(map.size(1)), item.width,
                                         item.height, item.id + "/" + m->id));
        }
      }
      std::vector<FaithfulnessResult> faithfulness_of;  // one per method, their inputs scored together
      if (faithful) {
        const auto t0 = std::chrono::steady_clock::now();
        faithfulness_of = faithfulness(prob, images[long(k)], prepared, item.explained, s.faithfulness_options);
        part.seconds["faithfulness"] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      for (size_t mi = 0; mi < methods.size(); ++mi) {
        const CamMethod* m = methods[mi];
        const torch::Tensor& map = method_maps[mi];
        const float* p = map.data_ptr<float>();
        MethodRecord entry;
        entry.height = map.size(0);
        entry.width = map.size(1);
        entry.map.assign(p, p + map.numel());
        entry.degenerate = bool(maps.at(m->id).degenerate[k]);
        if (faithful) {
          const FaithfulnessResult& f = faithfulness_of[mi];
          entry.scores = {{"deletion_auc", f.deletion_auc}, {"insertion_auc", f.insertion_auc},
                          {"average_drop", f.average_drop}, {"increase_in_confidence", f.increase_in_confidence}};
        }
        if (roaded) {
          const auto t0 = std::chrono::steady_clock::now();
          const RoadResult r = road(prob, images[long(k)], prepared[mi], item.explained, s.road_options,
                                    mix_seed(s.seed, 11, uint64_t(item.sample) * 64 + mi));
          entry.scores["road_morf"] = r.morf;
          entry.scores["road_lerf"] = r.lerf;
          entry.scores["road_gap"] = r.gap;
          part.seconds["road"] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        if (checked_at != checked.end()) {
          const size_t c = size_t(checked_at - checked.begin());
          const SanityMethodResult& r = sanity.methods.at(m->id);
          std::vector<double>& sp = entry.curves["mprt_spearman"];
          std::vector<double>& ss = entry.curves["mprt_ssim"];
          for (size_t step = 0; step < r.spearman.size(); ++step) {
            sp.push_back(r.spearman[step][c]);
            ss.push_back(r.ssim[step][c]);
          }
          // The similarity after the last step; an undefined one (NaN) is left out.
          auto put = [&](const char* id, double v) {
            if (std::isfinite(v)) entry.scores[id] = v;
          };
          if (!sp.empty()) put("mprt_spearman", sp.back());
          if (!ss.empty()) put("mprt_ssim", ss.back());
          if (!r.random_logit_ssim.empty()) put("random_logit_ssim", r.random_logit_ssim[c]);
        }
        item.methods.emplace(m->id, std::move(entry));
      }
      part.items.push_back(std::move(item));
    }
    if (!journal.file.empty()) append_file(journal.file, json{{"batch", b}, {"records", part}}.dump() + "\n");
    add_batch(records, part);
    progress.advance();
  }
  progress.finish();
  std::sort(records.items.begin(), records.items.end(),
            [](const ItemRecord& a, const ItemRecord& b) { return a.index < b.index; });
  return records;
}

}  // namespace entcam
