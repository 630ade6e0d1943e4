// The train stage: the data layer's loader plugged into the trainer (src/train), with the
// `train:` section of the experiment mapped onto TrainConfig.
#include <yaml-cpp/yaml.h>

#include <chrono>

#include "core/error.h"
#include "core/fs.h"
#include "core/interrupt.h"
#include "data/download.h"
#include "data/loader.h"
#include "models/weights.h"
#include "runner/stages.h"
#include "train/loader_data.h"
#include "train/trainer.h"

namespace entcam {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// `model.pretrained`: none, a local .safetensors, or a model manifest (configs/models/*.yaml)
// whose first file is fetched and verified by the dataset downloader into <cache>/models/.
fs::path resolve_pretrained(const std::string& spec, const std::string& data_root) {
  if (spec.empty() || spec == "none") return {};
  const fs::path p(spec);
  if (p.extension() != ".yaml" && p.extension() != ".yml") {
    if (!fs::exists(p)) throw file_error(spec, "pretrained weights do not exist");
    return p;
  }
  if (!fs::exists(p)) throw file_error(spec, "model manifest does not exist");
  YAML::Node m;
  try {
    m = YAML::LoadFile(spec);
  } catch (const YAML::Exception& e) {
    throw InputError(spec + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                     ": malformed YAML: " + e.msg);
  }
  const YAML::Node files = m["files"];
  if (!files || !files.IsSequence() || files.size() == 0 || !files[0]["url"])
    throw file_error(spec, "files: expected a list with at least one {url, name, sha256}");
  ManifestFile f;
  f.url = files[0]["url"].as<std::string>();
  f.name = files[0]["name"] ? files[0]["name"].as<std::string>() : fs::path(f.url).filename().string();
  if (files[0]["sha256"] && !files[0]["sha256"].IsNull()) f.sha256 = files[0]["sha256"].as<std::string>();
  if (files[0]["size"] && !files[0]["size"].IsNull()) f.size = files[0]["size"].as<int64_t>();
  const std::string name = m["name"] ? m["name"].as<std::string>() : p.stem().string();
  Manifest as_dataset;
  as_dataset.name = name;
  DownloadOptions o = download_options_from_env(as_dataset);
  const fs::path dir = cache_root(data_root) / "models" / name;
  fetch_file(f, dir, o);
  return dir / f.name;
}

TrainConfig train_config(const ExperimentSettings& s, const fs::path& dir, bool resume, const std::string& data_root) {
  const json& t = s.train;
  TrainConfig c;
  c.model = s.model;
  c.init_weights = resolve_pretrained(s.pretrained, data_root);
  c.optimizer = t.value("optimizer", c.optimizer);
  c.lr = t.value("lr", c.lr);
  c.momentum = t.value("momentum", c.momentum);
  c.nesterov = t.value("nesterov", c.nesterov);
  c.weight_decay = t.value("weight_decay", c.weight_decay);
  c.schedule = t.value("schedule", c.schedule);
  c.warmup_epochs = t.value("warmup_epochs", c.warmup_epochs);
  c.step_epochs = t.value("step_size", c.step_epochs);
  c.step_gamma = t.value("step_gamma", c.step_gamma);
  c.label_smoothing = t.value("label_smoothing", c.label_smoothing);
  c.epochs = t.value("epochs", c.epochs);
  c.batch_size = t.value("batch_size", c.batch_size);
  if (t.contains("freeze") && t["freeze"].is_array()) c.freeze_prefixes = t["freeze"].get<std::vector<std::string>>();
  c.freeze_epochs = t.value("freeze_epochs", c.freeze_epochs);
  const std::string mp = t.value("mixed_precision", std::string("none"));
  c.precision = mp == "none" ? "fp32" : mp;
  c.channels_last = t.value("channels_last", c.channels_last);
  c.seed = s.seed;
  c.device = s.device;
  c.threads = s.threads;
  c.out_dir = dir;
  c.resume = resume;
  // epochs 0 means "explain the initial model"; the trainer itself needs at least one.
  const int64_t epochs = c.epochs;
  c.epochs = std::max<int64_t>(1, epochs);
  c.validate();
  c.epochs = epochs;
  return c;
}

}  // namespace

nlohmann::json train_stage(const ExperimentSettings& s, const DatasetRun& run, const fs::path& dir, bool resume,
                           const std::string& data_root) {
  const auto start = std::chrono::steady_clock::now();
  TrainConfig config = train_config(s, dir, resume, data_root);
  LoaderOptions train_opts, test_opts;
  train_opts.transform.size = test_opts.transform.size = int(s.model.input_size);
  train_opts.transform.crop_pct = test_opts.transform.crop_pct = run.crop_pct;
  train_opts.transform.train = s.train.value("augment", true);
  train_opts.transform.scale_min = s.train.value("crop_scale_min", 0.08);
  train_opts.shuffle = true;
  train_opts.seed = test_opts.seed = s.seed;
  TrainData data = loader_data(run.prepared.dataset, run.train, run.test, train_opts, test_opts);
  data.class_names = run.prepared.dataset.classes;

  json info = {{"pretrained", s.pretrained}, {"config_hash", config.config_hash()}};
  fs::path weights;
  EvalResult eval;
  if (config.epochs == 0) {
    // No fine-tuning: explain the initial (pretrained or seeded random) model as it is.
    XceptionConfig mc = config.model;
    mc.num_classes = data.num_classes;
    torch::manual_seed(s.seed);
    Xception model(mc);
    if (!config.init_weights.empty()) info["reinitialised"] = load_state(*model, SafeTensorsFile::load(config.init_weights), {"fc."}).skipped;
    model->eval();
    eval = evaluate(model, data, 64, resolve_device(s.device));
    auto meta = mc.to_metadata();
    meta["entcam.seed"] = std::to_string(s.seed);
    weights = dir / "initial.safetensors";
    save_state(*model, weights, meta);
    info["epochs"] = 0;
  } else {
    TrainResult r = train(config, data);
    check_interrupt();
    if (!r.finished) throw Interrupted();
    weights = r.last_checkpoint;
    eval = r.last_eval;
    info["epochs"] = r.epochs_done;
    info["best_accuracy"] = r.best_accuracy;
    info["best_epoch"] = r.best_epoch;
    json history = json::array();
    for (const auto& e : r.history)
      history.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"train_accuracy", e.train_accuracy},
                         {"test_loss", e.test_loss}, {"test_accuracy", e.test_accuracy}, {"lr", e.lr},
                         {"seconds", e.seconds}, {"images_per_second", e.images_per_second}});
    info["history"] = history;
  }
  json per_class = json::array();
  for (double v : eval.per_class_accuracy) per_class.push_back(std::isfinite(v) ? json(v) : json(nullptr));
  info["test_accuracy"] = eval.accuracy;
  info["per_class_accuracy"] = per_class;
  info["confusion_matrix"] = eval.confusion;
  info["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // model.safetensors is the stage's "done" marker: written last, atomically.
  write_file_atomic(dir / "training.json", info.dump(2) + "\n");
  write_file_atomic(dir / "model.safetensors", read_file(weights));
  return info;
}

}  // namespace entcam
