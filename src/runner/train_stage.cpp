// The train stage: the data layer's loader plugged into the trainer (src/train), with the
// `train:` section of the experiment mapped onto TrainConfig.
#include <yaml-cpp/yaml.h>

#include <chrono>

#include "core/error.h"
#include "core/fs.h"
#include "core/interrupt.h"
#include "data/download.h"
#include "data/loader.h"
#include "data/manifest.h"
#include "models/device.h"
#include "models/registry.h"
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
  fs::path p(spec);
  // configs/models/... names a shipped manifest from any working directory
  if (!fs::exists(p) && p.is_relative() && !shipped_datasets_dir().empty() &&
      fs::exists(shipped_datasets_dir().parent_path() / p))
    p = shipped_datasets_dir().parent_path() / p;
  if (p.extension() != ".yaml" && p.extension() != ".yml") {
    if (!fs::exists(p)) throw file_error(spec, "pretrained weights do not exist");
    return p;
  }
  if (!fs::exists(p)) throw file_error(spec, "model manifest does not exist");
  YAML::Node m;
  try {
    m = YAML::LoadFile(p.string());
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

// The `train:` section onto TrainConfig. Every key has its default in configs/defaults.yaml,
// so none is taken from TrainConfig's own initialisers.
TrainConfig train_config(const ExperimentSettings& s, const fs::path& dir, bool resume, const std::string& data_root,
                         bool buildable) {
  const json& t = s.train;
  auto need = [&](const char* key) -> const json& {
    if (!t.contains(key) || t[key].is_null())
      throw InputError(std::string("train.") + key + ": no value, and configs/defaults.yaml gives none");
    return t[key];
  };
  TrainConfig c;
  c.model = s.model;
  // A module entcam does not build (torchscript) is model.pretrained itself, loaded as it is.
  if (buildable) c.init_weights = resolve_pretrained(s.pretrained, data_root);
  c.optimizer = need("optimizer").get<std::string>();
  c.lr = need("lr").get<double>();
  c.momentum = need("momentum").get<double>();
  c.nesterov = need("nesterov").get<bool>();
  c.weight_decay = need("weight_decay").get<double>();
  c.schedule = need("schedule").get<std::string>();
  c.warmup_epochs = need("warmup_epochs").get<double>();
  c.step_epochs = need("step_size").get<int64_t>();
  c.step_gamma = need("step_gamma").get<double>();
  c.label_smoothing = need("label_smoothing").get<double>();
  c.epochs = need("epochs").get<int64_t>();
  c.batch_size = need("batch_size").get<int64_t>();
  c.freeze_prefixes = need("freeze").get<std::vector<std::string>>();
  c.freeze_epochs = need("freeze_epochs").get<int64_t>();
  const std::string mp = need("mixed_precision").get<std::string>();
  c.precision = mp == "none" ? "fp32" : mp;
  c.channels_last = need("channels_last").get<bool>();
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

fs::path trained_model_file(const ExperimentSettings& s, const fs::path& dir) {
  return dir / (find_model(s.model.arch, "model.arch").create ? "model.safetensors" : "model.pt");
}

std::string trained_model_spec(const ExperimentSettings& s, const fs::path& dir) {
  const fs::path file = trained_model_file(s, dir);
  // model.safetensors names its architecture in its metadata; model.pt needs the prefix.
  return file.extension() == ".safetensors" ? file.string() : s.model.arch + ":" + file.string();
}

nlohmann::json train_stage(const ExperimentSettings& s, const DatasetRun& run, const fs::path& dir, bool resume,
                           const std::string& data_root) {
  const auto start = std::chrono::steady_clock::now();
  const bool buildable = find_model(s.model.arch, "model.arch").create != nullptr;
  TrainConfig config = train_config(s, dir, resume, data_root, buildable);
  LoaderOptions train_opts, test_opts;
  train_opts.transform.input = test_opts.transform.input = run.input;
  train_opts.transform.train = s.train.at("augment").get<bool>();
  train_opts.transform.scale_min = s.train.at("crop_scale_min").get<double>();
  train_opts.shuffle = true;
  train_opts.seed = test_opts.seed = s.seed;
  // Under label_space imagenet the dataset's classes are ImageNet's 1000, so the pretrained
  // 1000-way classifier fits and is kept (fine-tuned, not re-initialised).
  TrainData data = loader_data(run.pool.dataset, run.train, run.test, train_opts, test_opts);
  data.class_names = run.pool.dataset.classes;

  json info = {{"pretrained", s.pretrained}, {"config_hash", config.config_hash()}};
  fs::path weights;
  EvalResult eval;
  if (!buildable) {
    // A TorchScript module (experiment_settings checked train.epochs is 0): evaluated and
    // explained as it is. Its classes must be the dataset's, in the dataset's order.
    std::unique_ptr<Classifier> model = load_classifier(s.model.arch + ":" + s.pretrained);
    if (model->num_classes() != data.num_classes)
      throw file_error(s.pretrained, "the model has " + std::to_string(model->num_classes()) + " classes, the dataset " +
                                         std::to_string(data.num_classes) +
                                         "; expected a head over the dataset's classes in their order (or "
                                         "label_space: imagenet for a 1000-class ImageNet model)");
    eval = evaluate(*model, data, 64, parse_device(s.device, "device"));
    weights = s.pretrained;
    info["epochs"] = 0;
  } else if (config.epochs == 0) {
    // No fine-tuning: explain the initial (pretrained or seeded random) model as it is.
    ModelShape shape = config.model;
    shape.num_classes = data.num_classes;
    torch::manual_seed(s.seed);
    std::unique_ptr<Classifier> model = create_model(shape, "model");
    if (!config.init_weights.empty())
      info["reinitialised"] = load_state(*model->module(), SafeTensorsFile::load(config.init_weights), {"fc."}).skipped;
    eval = evaluate(*model, data, 64, parse_device(s.device, "device"));
    auto meta = model->metadata();
    meta["entcam.seed"] = std::to_string(s.seed);
    weights = dir / "initial.safetensors";
    save_state(*model->module(), weights, meta);
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
  // Per class and confusion over the dataset's classes (class_indices), in their order; under
  // imagenet a prediction outside them is counted in `predicted_other` of its row.
  const auto& idx = run.pool.class_indices;
  json per_class = json::array(), confusion = json::array(), other = json::array();
  for (int64_t t : idx) {
    const double v = eval.per_class_accuracy.at(size_t(t));
    per_class.push_back(std::isfinite(v) ? json(v) : json(nullptr));
    std::vector<int64_t> row;
    int64_t total = 0;
    for (int64_t c : eval.confusion.at(size_t(t))) total += c;
    for (int64_t p : idx) row.push_back(eval.confusion[size_t(t)][size_t(p)]);
    int64_t inside = 0;
    for (int64_t c : row) inside += c;
    confusion.push_back(row);
    other.push_back(total - inside);
  }
  info["test_accuracy"] = eval.accuracy;
  info["per_class_accuracy"] = per_class;
  info["confusion_matrix"] = confusion;
  if (run.pool.label_space != "union") info["predicted_other"] = other;
  info["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The model file is the stage's "done" marker: written last, atomically.
  write_file_atomic(dir / "training.json", info.dump(2) + "\n");
  write_file_atomic(trained_model_file(s, dir), read_file(weights));
  return info;
}

}  // namespace entcam
