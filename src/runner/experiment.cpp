#include "runner/experiment.h"

#include <regex>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include "core/error.h"
#include "core/fs.h"
#include "data/yaml_input.h"
#include "models/registry.h"
#include "report/records.h"

namespace entcam {
namespace {

const YAML::Node child(const YAML::Node& n, const char* key) { return n ? n[key] : YAML::Node(); }

// One typed value, read strictly (data/yaml_input.h): "010" is ten, as the resolved config
// and the stage keys say; anything else names the key and its origin.
template <class T>
T convert(const Config& config, const YAML::Node& v, const std::string& path) {
  const auto fail = [&](const std::string& expected) {
    return InputError(config.origin(path).str() + ": " + path + ": expected " + expected + ", got " +
                      (v.IsScalar() ? "'" + v.Scalar() + "'" : v.IsMap() ? std::string("a mapping") : std::string("a list")));
  };
  if constexpr (std::is_same_v<T, std::vector<double>>) {
    if (!v.IsSequence()) throw fail("a list of numbers");
    T out;
    for (size_t i = 0; i < v.size(); ++i) out.push_back(convert<double>(config, v[i], path + "." + std::to_string(i)));
    return out;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.IsScalar()) throw fail("a text value");
    return v.Scalar();
  } else if constexpr (std::is_same_v<T, bool>) {
    bool b = false;
    if (!v.IsScalar() || !yaml_bool(v.Scalar(), b)) throw fail("true or false");
    return b;
  } else if constexpr (std::is_integral_v<T>) {
    int64_t i = 0;
    if (!v.IsScalar() || !yaml_int(v.Scalar(), i) || (std::is_unsigned_v<T> && i < 0) ||
        i < int64_t(std::numeric_limits<T>::min()) || (i > 0 && uint64_t(i) > uint64_t(std::numeric_limits<T>::max())))
      throw fail("a decimal integer");
    return T(i);
  } else {
    double d = 0;
    if (!v.IsScalar() || !yaml_float(v.Scalar(), d)) throw fail("a decimal number");
    return T(d);
  }
}

// Per-item defaults of a `datasets:` entry (defaults.yaml cannot give list items defaults).
template <class T>
T get(const Config& config, const YAML::Node& n, const std::string& parent, const char* key, T fallback) {
  const YAML::Node v = child(n, key);
  if (!v || v.IsNull()) return fallback;
  return convert<T>(config, v, parent + "." + key);
}

// Every other key has its one default in configs/defaults.yaml, which every run loads
// first; a key missing here means that file is not the one this entcam was built with.
YAML::Node at_path(const YAML::Node& n, const std::string& path) {
  const size_t dot = path.find('.');
  const YAML::Node c = n[path.substr(0, dot)];  // const access: looking never inserts
  if (dot == std::string::npos || !c) return c;
  return at_path(c, path.substr(dot + 1));
}

template <class T>
T need(const Config& config, const std::string& path) {
  const YAML::Node v = at_path(config.root(), path);
  if (!v || v.IsNull())
    throw InputError(path + ": no value, and configs/defaults.yaml gives none (is it the file shipped with this entcam?)");
  return convert<T>(config, v, path);
}

}  // namespace

ExperimentSettings experiment_settings(const Config& config) {
  const YAML::Node& r = config.root();
  ExperimentSettings s;
  s.resolved = config.to_json();
  {
    const YAML::Node v = r["experiment"];
    s.experiment = v && !v.IsNull() ? convert<std::string>(config, v, "experiment") : "";
  }
  if (s.experiment.empty()) throw InputError(config.origin("experiment").str() + ": experiment: a name is required");
  if (s.experiment.find_first_of("/\\ ") != std::string::npos)
    throw InputError(config.origin("experiment").str() + ": experiment: '" + s.experiment +
                     "' must not contain slashes or spaces (it names a folder)");
  s.seed = need<uint64_t>(config, "seed");
  s.device = need<std::string>(config, "device");
  s.threads = need<int>(config, "threads");
  s.results = need<std::string>(config, "results");
  const YAML::Node ds = r["datasets"];
  if (!ds || !ds.IsSequence() || ds.size() == 0)
    throw InputError(config.origin("datasets").str() + ": datasets: expected a non-empty list of datasets");
  for (size_t i = 0; i < ds.size(); ++i) {
    DatasetSettings d;
    d.name = get<std::string>(config, ds[i], "datasets." + std::to_string(i), "name", "");
    if (d.name.empty())
      throw InputError(config.origin("datasets." + std::to_string(i)).str() + ": datasets." + std::to_string(i) +
                       ".name: a dataset name or manifest path is required");
    const std::string where = config.origin("datasets." + std::to_string(i)).str() + ": datasets." + std::to_string(i);
    if (const YAML::Node src = ds[i]["sources"]; src && src.IsSequence()) {
      for (const auto& e : src) d.sources.push_back(e.as<std::string>());
      if (d.sources.empty()) throw InputError(where + ".sources: expected at least one dataset name or manifest path");
      if (!std::regex_match(d.name, std::regex("[A-Za-z0-9][A-Za-z0-9._-]*")))
        throw InputError(where + ".name: a pool's name labels its results; expected letters, digits, '.', '_', '-', got '" +
                         d.name + "'");
      if (ds[i]["options"]) throw InputError(where + ".options: only a single fashion-scenes dataset takes options, not a pool");
      d.label = d.name;
    } else {
      // A manifest path names its results by the file's stem (/data/digits.yaml -> digits).
      const std::filesystem::path p(d.name);
      const bool is_path = d.name.find('/') != std::string::npos || p.extension() == ".yaml" || p.extension() == ".yml";
      d.label = is_path ? p.stem().string() : d.name;
    }
    d.label_space = get<std::string>(config, ds[i], "datasets." + std::to_string(i), "label_space", std::string("union"));
    for (const auto& other : s.datasets)
      if (other.label == d.label)
        throw InputError(where + ".name: '" + d.label + "' names two datasets; expected each dataset once");
    d.train_fraction = get<double>(config, ds[i], "datasets." + std::to_string(i), "train_fraction", 0.7);
    d.max_images = get<int64_t>(config, ds[i], "datasets." + std::to_string(i), "max_images", 0);
    d.explain_images = get<int64_t>(config, ds[i], "datasets." + std::to_string(i), "explain_images", 0);
    d.options = ds[i]["options"] ? yaml_to_json(ds[i]["options"]) : nlohmann::json::object();
    if (ds[i]["options"]) {
      d.options_yaml = YAML::Clone(ds[i]["options"]);
      d.options_file = config.origin("datasets." + std::to_string(i) + ".options").file;
    }
    s.datasets.push_back(d);
  }
  // The architecture from the model registry; every other key of `model:` is a shape option
  // of it, passed on as entcam.<key> metadata (e.g. xception-mini's width_divisor).
  const YAML::Node m = r["model"];
  s.model.arch = need<std::string>(config, "model.arch");
  const ModelEntry& arch = find_model(s.model.arch, config.origin("model.arch").str() + ": model.arch");
  for (auto it = m.begin(); it != m.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (key != "arch" && key != "pretrained" && key != "input_size" && it->second.IsScalar())
      s.model.options["entcam." + key] = it->second.as<std::string>();
  }
  auto option = [&](const char* key) {
    auto it = s.model.options.find(std::string("entcam.") + key);
    return it == s.model.options.end() ? std::string() : it->second;
  };
  if (s.model.arch == "xception" &&
      (option("width_divisor") != "1" || option("middle_blocks") != "8" || option("output_stride") != "32"))
    throw InputError(config.origin("model.arch").str() +
                     ": model.arch: xception has width_divisor 1, 8 middle blocks and output stride 32; "
                     "use xception-mini for other shapes");
  s.input = arch.input;
  s.pretrained = need<std::string>(config, "model.pretrained");
  if (!arch.create) {
    // An architecture entcam loads but cannot build or fine-tune (torchscript, SPEC §1): the
    // module file is model.pretrained, explained as it is, with its own input transform.
    const std::string where = config.origin("model.pretrained").str() + ": model.pretrained";
    if (s.pretrained.empty() || s.pretrained == "none")
      throw InputError(where + ": model.arch " + arch.name +
                       " needs the module file here; expected e.g. resnet50.pt from scripts/export_torchscript.py");
    if (need<int64_t>(config, "train.epochs") != 0)
      throw InputError(config.origin("train.epochs").str() + ": train.epochs: a " + arch.name +
                       " model is explained as it is (entcam cannot fine-tune it); expected 0");
    s.input = load_classifier(std::string(arch.name) + ":" + s.pretrained)->input_spec();
    s.pretrained_sha256 = sha256_file(s.pretrained);
  }
  const int64_t input_size = need<int64_t>(config, "model.input_size");
  if (input_size > 0) s.input.size = input_size;
  s.model.options["entcam.input_size"] = std::to_string(s.input.size);
  s.train = r["train"] ? yaml_to_json(r["train"]) : nlohmann::json::object();

  const YAML::Node cam = r["cam"];
  const YAML::Node methods = child(cam, "methods");
  if (methods && methods.IsSequence()) {
    s.methods.clear();
    for (const auto& e : methods) s.methods += (s.methods.empty() ? "" : ",") + e.as<std::string>();
  } else {
    s.methods = need<std::string>(config, "cam.methods");
  }
  s.layer = need<std::string>(config, "cam.layer");
  s.explain_label = need<std::string>(config, "cam.class") == "label";
  s.cam_batch = need<int64_t>(config, "cam.batch_size");
  s.perturbation_batch = need<int64_t>(config, "cam.perturbation_batch");
  const YAML::Node ent = child(cam, "entropy");
  for (const char* key : {"estimator", "bins", "transform", "base"}) {
    const YAML::Node v = child(ent, key);
    if (!v || v.IsNull()) continue;
    const std::string value = v.as<std::string>();
    if (std::string(key) == "transform" && value == "default") continue;
    s.entropy.set(key, value, config.origin(std::string("cam.entropy.") + key).str() + ": cam.entropy");
  }
  s.entropy.validate(config.origin("cam.entropy").str() + ": cam.entropy");
  s.score_cam_variant = need<std::string>(config, "cam.score_cam.variant");

  s.localization.tolerance = need<double>(config, "metrics.tolerance");
  s.localization.cam_curve_step = need<double>(config, "metrics.max_box_acc_step");
  s.localization.local_max_min_value = need<double>(config, "metrics.instance_threshold");
  s.skip_difficult = need<bool>(config, "metrics.skip_difficult");
  s.faithfulness = need<bool>(config, "metrics.faithfulness");
  s.faithfulness_images = need<int64_t>(config, "metrics.faithfulness_images");
  s.faithfulness_options.steps = need<int>(config, "metrics.steps");
  s.faithfulness_options.blur_kernel = need<int>(config, "metrics.blur_kernel");
  s.faithfulness_options.blur_sigma = need<double>(config, "metrics.blur_sigma");
  s.sanity = need<bool>(config, "metrics.sanity");
  s.sanity_images = need<int64_t>(config, "metrics.sanity_images");
  s.road = need<bool>(config, "metrics.road");
  s.road_images = need<int64_t>(config, "metrics.road_images");
  s.road_options.percentiles = need<std::vector<double>>(config, "metrics.road_percentiles");
  if (s.road_options.percentiles.empty())
    throw InputError(config.origin("metrics.road_percentiles").str() +
                     ": metrics.road_percentiles: expected a non-empty list of percents in 1..99");
  s.road_options.noise = need<double>(config, "metrics.road_noise");
  s.bootstrap = need<int>(config, "metrics.bootstrap");
  s.grid_images = need<int>(config, "report.grid_images");
  s.figures = need<bool>(config, "report.figures");
  return s;
}

std::string SweepPoint::label() const {
  std::string out;
  for (const auto& [k, v] : values) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out.empty() ? "base" : out;
}

std::vector<SweepPoint> sweep_points(const Config& config) {
  std::vector<SweepPoint> points(1);
  const YAML::Node sweep = config.root()["sweep"];
  if (!sweep || !sweep.IsMap()) return points;
  // The grid is a product: a few short lists make millions of points. Count before building.
  int64_t limit = 1000;
  if (const char* env = std::getenv("ENTCAM_MAX_SWEEP_POINTS"); env && *env)
    if (!yaml_int(env, limit) || limit < 1)
      throw InputError(std::string("environment variable ENTCAM_MAX_SWEEP_POINTS='") + env +
                       "': expected a positive integer");
  int64_t total = 1;
  bool over = false;
  std::string shape;
  for (auto it = sweep.begin(); it != sweep.end(); ++it) {
    const int64_t n = it->second.IsSequence() ? int64_t(it->second.size()) : 1;
    if (n > 0 && total > limit / n) over = true;
    else total *= n;
    shape += (shape.empty() ? "" : " x ") + std::to_string(n);
  }
  if (over || total > limit)
    throw InputError(config.origin("sweep").str() + ": sweep: " + shape + " values make more than " +
                     std::to_string(limit) + " points; expected at most " + std::to_string(limit) +
                     " (set ENTCAM_MAX_SWEEP_POINTS for a larger sweep, and split it with --shard I/N)");
  for (auto it = sweep.begin(); it != sweep.end(); ++it) {
    std::vector<SweepPoint> next;
    const YAML::Node values = it->second;
    for (const auto& p : points)
      for (const auto& v : values) {
        SweepPoint q = p;
        YAML::Emitter e;
        e << YAML::Flow << v;
        q.values.emplace_back(it->first.as<std::string>(), e.c_str());
        next.push_back(q);
      }
    points = next;
  }
  return points;
}

nlohmann::json train_stage_key(const ExperimentSettings& s, const DatasetSettings& d) {
  nlohmann::json dataset = {{"name", d.name}, {"train_fraction", d.train_fraction}, {"max_images", d.max_images},
                            {"options", d.options}};
  // only when set, so that the keys (and caches) of single-source union runs stay as they were
  if (!d.sources.empty()) dataset["sources"] = d.sources;
  if (d.label_space != "union") dataset["label_space"] = d.label_space;
  nlohmann::json key = {{"dataset", dataset},
          {"seed", s.seed},
          {"model", {{"arch", s.model.arch}, {"options", s.model.options}}},
          {"pretrained", s.pretrained},
          {"train", s.train},
          {"training_numerics", kTrainingNumerics}};
  if (!s.pretrained_sha256.empty()) key["pretrained_sha256"] = s.pretrained_sha256;
  return key;
}

nlohmann::json explain_stage_key(const ExperimentSettings& s, const DatasetSettings& d) {
  nlohmann::json key = train_stage_key(s, d);
  key["records_format"] = kRecordsFormat;
  key["explain_numerics"] = kExplainNumerics;
  key["explain_images"] = d.explain_images;
  key["cam"] = {{"methods", s.methods}, {"layer", s.layer}, {"label", s.explain_label},
                {"entropy", s.entropy.to_string()}, {"score_cam", s.score_cam_variant}};
  key["faithfulness"] = {{"on", s.faithfulness}, {"images", s.faithfulness_images},
                         {"steps", s.faithfulness_options.steps}, {"blur_kernel", s.faithfulness_options.blur_kernel},
                         {"blur_sigma", s.faithfulness_options.blur_sigma}};
  if (s.sanity) key["sanity"] = {{"images", s.sanity_images}};
  if (s.road)
    key["road"] = {{"images", s.road_images}, {"percentiles", s.road_options.percentiles}, {"noise", s.road_options.noise}};
  return key;
}

}  // namespace entcam
