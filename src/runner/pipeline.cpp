#include "runner/pipeline.h"

#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <ctime>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/progress.h"
#include "data/manifest.h"
#include "models/device.h"
#include "models/registry.h"
#include "models/threads.h"
#include "report/run_report.h"
#include "runner/schema.h"
#include "runner/stages.h"

namespace entcam {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

fs::path default_config_file() {
  // $ENTCAM_DEFAULTS, else the configs/defaults.yaml shipped with this binary: the one place
  // every default lives (the C++ side has no second set).
  if (const char* env = std::getenv("ENTCAM_DEFAULTS"); env && *env) {
    if (!fs::exists(env)) throw file_error(env, "ENTCAM_DEFAULTS names a file that does not exist");
    return env;
  }
  const fs::path shipped = find_beside_binary("configs/defaults.yaml");
  if (shipped.empty())
    throw InputError("configs/defaults.yaml: not found beside the entcam binary or in a folder above it; "
                     "expected the file shipped with entcam (or set ENTCAM_DEFAULTS=FILE)");
  return shipped;
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

std::string device_label(const torch::Device& device) {
  return device.is_cuda() ? "cuda:" + std::to_string(device.index() < 0 ? 0 : device.index()) : "cpu";
}

Config load_config(const fs::path& file, const std::vector<std::string>& overrides) {
  Config c = Config::load(file, {default_config_file()}, overrides);
  validate_config(c);
  return c;
}

Config point_config(const Config& base, const SweepPoint& p) {
  Config c = base;
  for (const auto& [key, value] : p.values) c.set(key, YAML::Load(value), "sweep " + key + "=" + value);
  validate_config(c);
  return c;
}

ReportSettings report_settings(const ExperimentSettings& s) {
  ReportSettings r;
  r.bootstrap = s.bootstrap;
  r.seed = s.seed;
  r.localization = s.localization;
  r.skip_difficult = s.skip_difficult;
  r.figures = s.figures;
  r.grid_images = s.grid_images;
  return r;
}

// The explain records cached as JSON; a file that does not parse (older format, damage) is
// treated as absent so the stage runs again.
bool read_records(const fs::path& file, ExplainRecords& out) {
  if (!fs::exists(file)) return false;
  try {
    out = json::parse(read_file(file)).get<ExplainRecords>();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

struct ShardSpec {
  bool by_points = false;
  int index = 0, count = 1;
};

// Variables that choose a library's kernels, and so its float rounding: the same binary and
// seed train to different weights under another OPENBLAS_CORETYPE (measured: 93.56% against
// 94.56% test accuracy for the quickstart on one machine). Only the ones set are recorded.
constexpr const char* kNumericsVariables[] = {
    "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OPENBLAS_VERBOSE", "GOTO_NUM_THREADS", "OMP_NUM_THREADS",
    "MKL_NUM_THREADS", "MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR", "DNNL_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA",
    "DNNL_DEFAULT_FPMATH_MODE", "ONEDNN_DEFAULT_FPMATH_MODE", "ATEN_CPU_CAPABILITY", "CUBLAS_WORKSPACE_CONFIG",
    "NVIDIA_TF32_OVERRIDE"};

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, name, family, model;
  auto value = [](const std::string& l) {
    const auto colon = l.find(':');
    std::string v = colon == std::string::npos ? "" : l.substr(colon + 1);
    const auto first = v.find_first_not_of(" \t");
    return first == std::string::npos ? std::string() : v.substr(first);
  };
  while (std::getline(in, line) && (name.empty() || family.empty() || model.empty())) {
    if (name.empty() && line.rfind("model name", 0) == 0) name = value(line);
    else if (family.empty() && line.rfind("cpu family", 0) == 0) family = value(line);
    else if (model.empty() && line.rfind("model", 0) == 0 && line.find("name") == std::string::npos) model = value(line);
  }
  if (name.empty()) return "unknown";
  return family.empty() ? name : name + " (family " + family + ", model " + model + ")";
}

}  // namespace

json run_environment(const std::string& device) {
  json env = {{"entcam", ENTCAM_VERSION}, {"git", git_describe()}, {"libtorch", TORCH_VERSION},
              {"device", device}, {"threads", torch::get_num_threads()}, {"cpu", cpu_model()}};
  json set = json::object();
  for (const char* name : kNumericsVariables)
    if (const char* v = std::getenv(name)) set[name] = v;
  env["numerics_variables"] = set;
  return env;
}

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
        const bool trained = fs::exists(trained_model_file(s, cache_dir / d.label / ("train-" + th)));
        std::printf("  [%s] %s: download+split, train-%s (%s), explain+evaluate-%s, report\n", p.label().c_str(),
                    d.label.c_str(), th.c_str(), trained ? "cached" : "to run", eh.c_str());
      }
    }
    return {};
  }

  set_torch_threads(base_settings.threads);
  const torch::Device device = parse_device(base_settings.device, "device");
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
  std::vector<PointResult> outcomes;
  json shard_index = {{"experiment", base_settings.experiment}, {"config", base.to_json()},
                      {"shard", {shard.index, shard.count}}, {"by_points", shard.by_points}, {"points", json::array()}};
  for (const auto& p : points) {
    const ExperimentSettings s = experiment_settings(point_config(base, p));
    PointResult po{p.label(), p.values, report_settings(s), {}};
    json shard_point = {{"label", p.label()}, {"values", json::object()}, {"datasets", json::object()}};
    for (const auto& [k, v] : p.values) shard_point["values"][k] = v;
    for (const auto& d : s.datasets) {
      const std::string data_key = d.name + "-" + config_hash({{"d", train_stage_key(s, d)["dataset"]}, {"seed", s.seed}});
      auto t = Clock::now();
      if (!runs.count(data_key))
        runs[data_key] = std::make_unique<DatasetRun>(prepare_dataset_run(s, d, o.data_root, cache_dir / d.label));
      add_time("download+split", seconds_since(t));
      const DatasetRun& run = *runs[data_key];

      t = Clock::now();
      const std::string th = config_hash(train_stage_key(s, d));
      const fs::path train_dir = cache_dir / d.label / ("train-" + th);
      json training;
      if (fs::exists(trained_model_file(s, train_dir)) && fs::exists(train_dir / "training.json")) {  // done marker
        training = json::parse(read_file(train_dir / "training.json"));
      } else {
        training = train_stage(s, run, train_dir, o.resume, o.data_root);
        ++result.stats.models_trained;
      }
      add_time("train", seconds_since(t));
      if (!models.count(th)) {
        models[th] = load_classifier(trained_model_spec(s, train_dir));
        models[th]->to(device);
      }

      t = Clock::now();
      const std::string eh = config_hash(explain_stage_key(s, d));
      const std::string shard_suffix =
          (!shard.by_points && shard.count > 1) ? "-shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count) : "";
      const fs::path records_file = cache_dir / d.label / ("explain-" + eh + shard_suffix + ".json");
      ExplainRecords records;
      if (read_records(records_file, records)) {
        ++result.stats.explain_stages_cached;
      } else {
        // The journal of finished batches sits beside the records until they are written.
        ExplainJournal journal{records_file.string() + ".journal", o.resume};
        records = explain_stage(s, run, *models[th], th, captures, shard.by_points ? 0 : shard.index,
                                shard.by_points ? 1 : shard.count, journal, result.stats);
        write_file_atomic(records_file, json(records).dump());
        fs::remove(journal.file);
        ++result.stats.explain_stages_run;
      }
      add_time("explain", seconds_since(t));
      const json pool = pool_description(run);
      po.datasets.push_back({run.pool.dataset.name, training, run.train.size(), run.test.size(), run.pool.classes,
                             std::move(records), &run.pool.dataset, run.input, pool});
      shard_point["datasets"][d.label] = {{"records", fs::absolute(records_file).string()}, {"training", training},
                                          {"n_train", run.train.size()}, {"n_test", run.test.size()},
                                          {"classes", run.pool.classes}, {"pool", pool}};
    }
    outcomes.push_back(std::move(po));
    shard_index["points"].push_back(shard_point);
  }
  timing["total"] = seconds_since(t_start);
  result.report = write_run_report(run_dir, base_settings.experiment, run_id, base.to_json(), outcomes,
                                   run_environment(device_label(device)), timing);
  write_file_atomic(run_dir / "shard.json", shard_index.dump(2) + "\n");
  return result;
}

json merge_shards(const std::vector<fs::path>& shard_dirs, const fs::path& out_dir) {
  if (shard_dirs.empty()) throw InputError("merge: give at least one shard folder");
  json first;
  std::map<std::string, PointResult> points;  // by label
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
      PointResult& po = points[label];
      po.label = label;
      po.values.clear();
      for (const auto& [k, v] : pt["values"].items()) po.values.emplace_back(k, v.get<std::string>());
      for (const auto& [dname, dj] : pt["datasets"].items()) {
        const std::string records_file = dj["records"];
        ExplainRecords records;
        if (!read_records(records_file, records))
          throw file_error(records_file, "missing or unreadable explain records of a shard (rerun that shard)");
        auto it = std::find_if(po.datasets.begin(), po.datasets.end(), [&](const DatasetResult& d) { return d.name == records.dataset; });
        if (it == po.datasets.end()) {
          DatasetResult d;
          d.name = records.dataset;
          d.training = dj["training"];
          d.n_train = dj["n_train"];
          d.n_test = dj["n_test"];
          d.classes = dj["classes"].get<std::vector<std::string>>();
          d.pool = dj.value("pool", json::object());
          d.records = std::move(records);
          po.datasets.push_back(std::move(d));
        } else {
          it->records.merge(records);
        }
      }
    }
  }
  if (int(seen_shards.size()) != count)
    throw InputError("merge: got " + std::to_string(seen_shards.size()) + " of " + std::to_string(count) + " shards");
  // Sweep points in the experiment's grid order, each with its own report settings.
  Config base = Config::from_yaml(first["config"].dump(), "merged config");
  std::vector<PointResult> ordered;
  for (const auto& p : sweep_points(base)) {
    auto it = points.find(p.label());
    if (it == points.end()) continue;
    it->second.settings = report_settings(experiment_settings(point_config(base, p)));
    ordered.push_back(std::move(it->second));
  }
  return write_run_report(out_dir, experiment_settings(base).experiment, out_dir.filename().string(), base.to_json(),
                          ordered, run_environment("merged"), json{{"merged_shards", count}});
}

}  // namespace entcam
