#include "runner/pipeline.h"

#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/progress.h"
#include "data/loader.h"
#include "data/manifest.h"
#include "models/model_spec.h"
#include "report/figures.h"
#include "report/report.h"
#include "report/stats.h"
#include "runner/schema.h"
#include "runner/stages.h"

namespace entcam {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

fs::path default_config_file() {
  // Beside ./configs, or walking up from the datasets/ folder entcam ships (same repository).
  if (fs::exists("configs/defaults.yaml")) return "configs/defaults.yaml";
  const fs::path datasets = shipped_datasets_dir();
  if (!datasets.empty() && fs::exists(datasets.parent_path() / "configs/defaults.yaml"))
    return datasets.parent_path() / "configs/defaults.yaml";
  return {};
}

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string utc_run_id() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
  return buf;
}

std::string git_describe() {
  FILE* p = ::popen("git rev-parse --short HEAD 2>/dev/null", "r");
  if (!p) return "unknown";
  char buf[64] = {0};
  std::string out = std::fgets(buf, sizeof buf, p) ? std::string(buf) : "unknown";
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.empty() ? "unknown" : out;
}

json environment(const torch::Device& device) {
  return {{"entcam", ENTCAM_VERSION}, {"git", git_describe()}, {"libtorch", TORCH_VERSION},
          {"device", device.is_cuda() ? "cuda:" + std::to_string(device.index() < 0 ? 0 : device.index()) : "cpu"},
          {"threads", torch::get_num_threads()}};
}

torch::Device pick_device(const std::string& text) {
  if (text == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (text == "cpu") return torch::kCPU;
  if (!torch::cuda::is_available()) throw InputError("device: " + text + " requested but no CUDA device is available");
  return torch::Device(text);
}

Config load_config(const fs::path& file, const std::vector<std::string>& overrides) {
  std::vector<fs::path> bases;
  const fs::path defaults = default_config_file();
  if (!defaults.empty()) bases.push_back(defaults);
  Config c = Config::load(file, bases, overrides);
  validate_config(c);
  return c;
}

Config point_config(const Config& base, const SweepPoint& p) {
  Config c = base;
  for (const auto& [key, value] : p.values) c.set(key, YAML::Load(value), "sweep " + key + "=" + value);
  validate_config(c);
  return c;
}

// The figures of one dataset: a grid like the seed paper's Figure 1 and a bar chart per metric.
void write_figures(const fs::path& dir, const std::string& dataset, const ExperimentSettings& s, const DatasetRun* run,
                   const json& records, const std::vector<MethodAggregate>& aggregates) {
  if (!s.figures) return;
  std::map<std::string, std::vector<std::pair<std::string, Summary>>> by_metric;
  for (const auto& a : aggregates)
    for (const auto& [metric, summary] : a.metrics) by_metric[metric].emplace_back(a.method, summary);
  for (const auto& [metric, rows] : by_metric)
    write_png(dir / ("bars-" + dataset + "-" + metric + ".png"), draw_bar_chart(metric, rows));
  if (!run || s.grid_images <= 0 || records["items"].empty()) return;
  std::vector<std::string> methods = records["methods"].get<std::vector<std::string>>();
  LoaderOptions lo;
  lo.transform.size = int(s.model.input_size);
  lo.transform.crop_pct = run->crop_pct;
  Loader loader(run->prepared.dataset, {}, lo);
  std::vector<GridRow> rows;
  // Rows spread evenly over the explained images, so that every class tends to appear.
  const size_t n_items = records["items"].size();
  const size_t stride = std::max<size_t>(1, n_items / size_t(s.grid_images));
  for (size_t i = 0; i < n_items; i += stride) {
    const json& item = records["items"][i];
    if (int(rows.size()) >= s.grid_images) break;
    Batch b = loader.load({item["sample"].get<size_t>()});
    if (b.indices.empty()) continue;
    auto img = ((b.images[0].permute({1, 2, 0}) * 0.5 + 0.5).clamp(0, 1) * 255).to(torch::kUInt8).contiguous();
    cv::Mat rgb(int(img.size(0)), int(img.size(1)), CV_8UC3, img.data_ptr<uint8_t>());
    GridRow row;
    row.label = item["id"].get<std::string>();
    cv::cvtColor(rgb, row.image, cv::COLOR_RGB2BGR);
    row.boxes = b.boxes[0];
    for (const auto& m : methods) {
      const json& e = item["methods"][m];
      std::vector<float> raw = e["map"].get<std::vector<float>>();
      row.maps.push_back(cv::Mat(e["shape"][0].get<int>(), e["shape"][1].get<int>(), CV_32F, raw.data()).clone());
    }
    rows.push_back(std::move(row));
  }
  if (!rows.empty()) write_png(dir / ("grid-" + dataset + ".png"), draw_grid(rows, methods));
}

struct DatasetOutcome {
  std::string name;
  json training;
  size_t n_train = 0, n_test = 0;
  std::vector<std::string> classes;
  json records;
};

struct PointOutcome {
  SweepPoint point;
  std::vector<DatasetOutcome> datasets;
};

// report.json's per-dataset section plus the text outputs; figures when `runs` are given.
json dataset_section(const ExperimentSettings& s, const DatasetOutcome& d, std::string& jsonl, std::string& summary,
                     const fs::path& figures_dir, const DatasetRun* run) {
  DatasetScores scores = evaluate_records(s, d.records);
  BootstrapOptions bo;
  bo.resamples = s.bootstrap;
  bo.seed = s.seed;
  const auto aggregates = aggregate_methods(scores, bo);
  const auto paired = paired_against(scores, "grad_cam", bo);
  jsonl += per_image_jsonl(scores);
  summary += summary_markdown(d.name, aggregates, paired.empty() ? nullptr : &paired) + "\n";
  json degenerate = json::object();
  for (const auto& m : d.records["methods"]) {
    int count = 0;
    for (const auto& it : d.records["items"]) count += it["methods"][m.get<std::string>()]["degenerate"].get<bool>();
    degenerate[m.get<std::string>()] = count;
  }
  if (!figures_dir.empty()) write_figures(figures_dir, d.name, s, run, d.records, aggregates);
  return {{"n_train", d.n_train}, {"n_test", d.n_test}, {"n_explained", d.records["items"].size()},
          {"classes", d.classes}, {"training", d.training}, {"layer", d.records["layer"]},
          {"methods", aggregates_json(aggregates)}, {"paired", paired_json(paired, "grad_cam")},
          {"degenerate_maps", degenerate}, {"warnings", d.records["warnings"]},
          {"seconds", d.records.value("seconds", json::object())}};
}

// Writes report.json, per_image.jsonl, summary.md and figures/ for the outcomes.
json write_report(const fs::path& run_dir, const std::string& run_id, const Config& base, const std::vector<PointOutcome>& points,
                  const std::map<std::string, const DatasetRun*>& runs, const json& env, json timing) {
  const ExperimentSettings base_settings = experiment_settings(base);
  json report = {{"schema_version", 1}, {"experiment", base_settings.experiment}, {"run_id", run_id},
                 {"config", base.to_json()}, {"environment", env}, {"datasets", json::object()}};
  std::string jsonl, summary = "# " + base_settings.experiment + " (" + run_id + ")\n\n";
  json sweep = json::array();
  const auto t0 = Clock::now();
  for (size_t p = 0; p < points.size(); ++p) {
    const Config cfg = point_config(base, points[p].point);
    const ExperimentSettings s = experiment_settings(cfg);
    if (points.size() > 1) summary += "## sweep point " + points[p].point.label() + "\n\n";
    json point_datasets = json::object();
    for (const auto& d : points[p].datasets) {
      auto it = runs.find(d.name);
      point_datasets[d.name] = dataset_section(s, d, jsonl, summary, p == 0 ? run_dir / "figures" : fs::path(),
                                               it == runs.end() ? nullptr : it->second);
    }
    if (p == 0) report["datasets"] = point_datasets;
    if (points.size() > 1) {
      json values = json::object();
      for (const auto& [k, v] : points[p].point.values) values[k] = v;
      sweep.push_back({{"point", points[p].point.label()}, {"values", values}, {"datasets", point_datasets}});
    }
  }
  if (points.size() > 1) {
    report["sweep"] = sweep;
    // One chart per dataset, method and metric against the swept values.
    if (base_settings.figures)
      for (const auto& [dname, _] : report["datasets"].items()) {
        std::map<std::string, std::vector<std::pair<std::string, Summary>>> series;
        for (const auto& pt : sweep)
          for (const auto& [method, metrics] : pt["datasets"][dname]["methods"].items())
            for (const auto& [metric, agg] : metrics.items()) {
              Summary sm;
              sm.n = agg["n"];
              sm.mean = agg["mean"].is_null() ? std::nan("") : agg["mean"].get<double>();
              sm.ci_lo = agg["ci95"][0].is_null() ? std::nan("") : agg["ci95"][0].get<double>();
              sm.ci_hi = agg["ci95"][1].is_null() ? std::nan("") : agg["ci95"][1].get<double>();
              series[method + "|" + metric].emplace_back(pt["point"].get<std::string>(), sm);
            }
        for (const auto& [key, rows] : series) {
          const std::string method = key.substr(0, key.find('|')), metric = key.substr(key.find('|') + 1);
          if (method != "grad_entropy_cam" && method != "feature_entropy_cam") continue;  // what sweeps vary
          write_png(run_dir / "figures" / ("sweep-" + dname + "-" + method + "-" + metric + ".png"),
                    draw_bar_chart(method + " " + metric, rows));
        }
      }
  }
  timing["report"] = seconds_since(t0);
  report["timing"] = timing;
  write_file_atomic(run_dir / "per_image.jsonl", jsonl);
  write_file_atomic(run_dir / "summary.md", summary);
  write_file_atomic(run_dir / "report.json", report.dump(2) + "\n");
  return report;
}

struct ShardSpec {
  bool by_points = false;
  int index = 0, count = 1;
};

}  // namespace

RunResult run_experiment(const fs::path& file, const RunOptions& o) {
  const auto t_start = Clock::now();
  Config base = load_config(file, o.overrides);
  const ExperimentSettings base_settings = experiment_settings(base);
  const std::vector<SweepPoint> all_points = sweep_points(base);
  if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count)
    throw InputError("--shard " + std::to_string(o.shard_index) + "/" + std::to_string(o.shard_count) +
                     ": expected I/N with 0 <= I < N");
  ShardSpec shard{all_points.size() > 1, o.shard_index, o.shard_count};
  std::vector<SweepPoint> points;
  for (size_t i = 0; i < all_points.size(); ++i)
    if (!shard.by_points || int(i % size_t(shard.count)) == shard.index) points.push_back(all_points[i]);
  const fs::path exp_dir = base_settings.results / base_settings.experiment;
  // Stage outputs are keyed by content, so experiments share them: entropy-sweep reuses the
  // model quickstart trained when their data and training settings agree.
  const fs::path cache_dir = base_settings.results / "cache";

  if (o.dry_run) {
    std::printf("%s\n", base.to_json().dump(2).c_str());
    std::printf("\nstages (%zu sweep point%s%s):\n", points.size(), points.size() == 1 ? "" : "s",
                shard.count > 1 ? (", shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count)).c_str() : "");
    for (const auto& p : points) {
      const ExperimentSettings s = experiment_settings(point_config(base, p));
      for (const auto& d : s.datasets) {
        const std::string th = config_hash(train_stage_key(s, d)), eh = config_hash(explain_stage_key(s, d));
        const bool trained = fs::exists(cache_dir / d.name / ("train-" + th) / "model.safetensors");
        std::printf("  [%s] %s: download+split, train-%s (%s), explain+evaluate-%s, report\n", p.label().c_str(),
                    d.name.c_str(), th.c_str(), trained ? "cached" : "to run", eh.c_str());
      }
    }
    return {};
  }

  if (base_settings.threads > 0) torch::set_num_threads(base_settings.threads);
  const torch::Device device = pick_device(base_settings.device);
  std::string run_id = o.run_id.empty() ? utc_run_id() : o.run_id;
  if (shard.count > 1) run_id += "-shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count);
  const fs::path run_dir = exp_dir / run_id;

  RunResult result;
  result.run_dir = run_dir;
  json timing = json::object();
  auto add_time = [&](const std::string& stage, double s) { timing[stage] = timing.value(stage, 0.0) + s; };
  std::map<std::string, std::unique_ptr<DatasetRun>> runs;  // by dataset name + data settings hash
  std::map<std::string, std::unique_ptr<Classifier>> models;
  CaptureCache captures;
  std::vector<PointOutcome> outcomes;
  json shard_index = {{"experiment", base_settings.experiment}, {"config", base.to_json()},
                      {"shard", {shard.index, shard.count}}, {"by_points", shard.by_points}, {"points", json::array()}};
  for (const auto& p : points) {
    const ExperimentSettings s = experiment_settings(point_config(base, p));
    PointOutcome po{p, {}};
    json shard_point = {{"label", p.label()}, {"values", json::object()}, {"datasets", json::object()}};
    for (const auto& [k, v] : p.values) shard_point["values"][k] = v;
    for (const auto& d : s.datasets) {
      const std::string data_key = d.name + "-" + config_hash({{"d", train_stage_key(s, d)["dataset"]}, {"seed", s.seed}});
      auto t = Clock::now();
      if (!runs.count(data_key))
        runs[data_key] = std::make_unique<DatasetRun>(prepare_dataset_run(s, d, o.data_root, cache_dir / d.name));
      add_time("download+split", seconds_since(t));
      const DatasetRun& run = *runs[data_key];

      t = Clock::now();
      const std::string th = config_hash(train_stage_key(s, d));
      const fs::path train_dir = cache_dir / d.name / ("train-" + th);
      json training;
      if (fs::exists(train_dir / "model.safetensors") && fs::exists(train_dir / "training.json")) {  // done marker
        training = json::parse(read_file(train_dir / "training.json"));
      } else {
        training = train_stage(s, run, train_dir, o.resume, o.data_root);
        ++result.stats.models_trained;
      }
      add_time("train", seconds_since(t));
      if (!models.count(th)) {
        models[th] = load_classifier((train_dir / "model.safetensors").string());
        models[th]->to(device);
      }

      t = Clock::now();
      const std::string eh = config_hash(explain_stage_key(s, d));
      const std::string shard_suffix =
          (!shard.by_points && shard.count > 1) ? "-shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count) : "";
      const fs::path records_file = cache_dir / d.name / ("explain-" + eh + shard_suffix + ".json");
      json records;
      if (fs::exists(records_file)) {
        records = json::parse(read_file(records_file));
        ++result.stats.explain_stages_cached;
      } else {
        records = explain_stage(s, run, *models[th], th, captures, shard.by_points ? 0 : shard.index,
                                shard.by_points ? 1 : shard.count, result.stats);
        write_file_atomic(records_file, records.dump());
        ++result.stats.explain_stages_run;
      }
      add_time("explain", seconds_since(t));
      po.datasets.push_back({run.prepared.dataset.name, training, run.train.size(), run.test.size(),
                             run.prepared.dataset.classes, records});
      shard_point["datasets"][d.name] = {{"records", fs::absolute(records_file).string()}, {"training", training},
                                         {"n_train", run.train.size()}, {"n_test", run.test.size()},
                                         {"classes", run.prepared.dataset.classes}};
    }
    outcomes.push_back(std::move(po));
    shard_index["points"].push_back(shard_point);
  }
  std::map<std::string, const DatasetRun*> run_by_name;
  for (const auto& [k, r] : runs) run_by_name.emplace(r->prepared.dataset.name, r.get());
  timing["total"] = seconds_since(t_start);
  result.report = write_report(run_dir, run_id, base, outcomes, run_by_name, environment(device), timing);
  write_file_atomic(run_dir / "shard.json", shard_index.dump(2) + "\n");
  return result;
}

json merge_shards(const std::vector<fs::path>& shard_dirs, const fs::path& out_dir) {
  if (shard_dirs.empty()) throw InputError("merge: give at least one shard folder");
  json first;
  std::map<std::string, PointOutcome> points;  // by label
  std::vector<std::string> order;
  std::set<int> seen_shards;
  int count = -1;
  for (const auto& dir : shard_dirs) {
    const fs::path f = dir / "shard.json";
    if (!fs::exists(f)) throw file_error(f.string(), "not a shard folder of entcam run (no shard.json)");
    json sj;
    try {
      sj = json::parse(read_file(f));
    } catch (const json::exception& e) {
      throw file_error(f.string(), std::string("malformed JSON: ") + e.what());
    }
    if (first.is_null()) first = sj;
    if (sj["config"] != first["config"]) throw file_error(f.string(), "comes from a different experiment config than " + (shard_dirs[0] / "shard.json").string());
    count = sj["shard"][1];
    if (!seen_shards.insert(sj["shard"][0].get<int>()).second) throw file_error(f.string(), "shard given twice");
    for (const auto& pt : sj["points"]) {
      const std::string label = pt["label"];
      if (!points.count(label)) {
        SweepPoint sp;
        for (const auto& [k, v] : pt["values"].items()) sp.values.emplace_back(k, v.get<std::string>());
        points[label] = PointOutcome{sp, {}};
        order.push_back(label);
      }
      PointOutcome& po = points[label];
      for (const auto& [dname, dj] : pt["datasets"].items()) {
        json records = json::parse(read_file(dj["records"].get<std::string>()));
        auto it = std::find_if(po.datasets.begin(), po.datasets.end(), [&](const DatasetOutcome& d) { return d.name == records["dataset"]; });
        if (it == po.datasets.end()) {
          po.datasets.push_back({records["dataset"], dj["training"], dj["n_train"], dj["n_test"],
                                 dj["classes"].get<std::vector<std::string>>(), records});
        } else {
          for (const auto& item : records["items"]) it->records["items"].push_back(item);
        }
      }
    }
  }
  if (int(seen_shards.size()) != count)
    throw InputError("merge: got " + std::to_string(seen_shards.size()) + " of " + std::to_string(count) + " shards");
  std::vector<PointOutcome> outcomes;
  for (const auto& label : order) {
    PointOutcome po = points[label];
    for (auto& d : po.datasets)
      std::sort(d.records["items"].begin(), d.records["items"].end(), [](const json& a, const json& b) { return a["index"] < b["index"]; });
    outcomes.push_back(po);
  }
  // Sweep points in the experiment's grid order.
  Config base = Config::from_yaml(first["config"].dump(), "merged config");
  std::vector<PointOutcome> ordered;
  for (const auto& p : sweep_points(base))
    for (const auto& po : outcomes)
      if (po.point.label() == p.label()) ordered.push_back(po);
  json env = {{"entcam", ENTCAM_VERSION}, {"git", git_describe()}, {"libtorch", TORCH_VERSION}, {"device", "merged"},
              {"threads", torch::get_num_threads()}};
  return write_report(out_dir, out_dir.filename().string(), base, ordered, {}, env, json{{"merged_shards", count}});
}

}  // namespace entcam
