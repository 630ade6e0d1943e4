#include "runner/experiment.h"

#include "core/error.h"

namespace entcam {
namespace {

const YAML::Node child(const YAML::Node& n, const char* key) { return n ? n[key] : YAML::Node(); }

template <class T>
T get(const YAML::Node& n, const char* key, T fallback) {
  const YAML::Node v = child(n, key);
  if (!v || v.IsNull()) return fallback;
  return v.as<T>();
}

}  // namespace

ExperimentSettings experiment_settings(const Config& config) {
  const YAML::Node& r = config.root();
  ExperimentSettings s;
  s.resolved = config.to_json();
  s.experiment = get<std::string>(r, "experiment", "");
  if (s.experiment.empty()) throw InputError(config.origin("experiment").str() + ": experiment: a name is required");
  if (s.experiment.find_first_of("/\\ ") != std::string::npos)
    throw InputError(config.origin("experiment").str() + ": experiment: '" + s.experiment +
                     "' must not contain slashes or spaces (it names a folder)");
  s.seed = get<uint64_t>(r, "seed", 0);
  s.device = get<std::string>(r, "device", "auto");
  s.threads = get<int>(r, "threads", 0);
  s.results = get<std::string>(r, "results", "results");
  const YAML::Node ds = r["datasets"];
  if (!ds || !ds.IsSequence() || ds.size() == 0)
    throw InputError(config.origin("datasets").str() + ": datasets: expected a non-empty list of datasets");
  for (size_t i = 0; i < ds.size(); ++i) {
    DatasetSettings d;
    d.name = get<std::string>(ds[i], "name", "");
    if (d.name.empty())
      throw InputError(config.origin("datasets." + std::to_string(i)).str() + ": datasets." + std::to_string(i) +
                       ".name: a dataset name or manifest path is required");
    d.train_fraction = get<double>(ds[i], "train_fraction", 0.7);
    d.max_images = get<int64_t>(ds[i], "max_images", 0);
    d.explain_images = get<int64_t>(ds[i], "explain_images", 0);
    d.options = ds[i]["options"] ? yaml_to_json(ds[i]["options"]) : nlohmann::json::object();
    s.datasets.push_back(d);
  }
  const YAML::Node m = r["model"];
  s.model.width_divisor = get<int64_t>(m, "width_divisor", 1);
  s.model.middle_blocks = get<int64_t>(m, "middle_blocks", 8);
  s.model.output_stride = get<int64_t>(m, "output_stride", 32);
  s.model.input_size = get<int64_t>(m, "input_size", 299);
  if (get<std::string>(m, "arch", "xception") == "xception" && !s.model.is_standard())
    throw InputError(config.origin("model.arch").str() +
                     ": model.arch: xception has width_divisor 1, 8 middle blocks and output stride 32; "
                     "use xception-mini for other shapes");
  if (s.model.output_stride != 16 && s.model.output_stride != 32)
    throw InputError(config.origin("model.output_stride").str() + ": model.output_stride: expected 16 or 32");
  s.pretrained = get<std::string>(m, "pretrained", "none");
  s.train = r["train"] ? yaml_to_json(r["train"]) : nlohmann::json::object();

  const YAML::Node cam = r["cam"];
  const YAML::Node methods = child(cam, "methods");
  if (methods && methods.IsSequence()) {
    s.methods.clear();
    for (const auto& e : methods) s.methods += (s.methods.empty() ? "" : ",") + e.as<std::string>();
  } else {
    s.methods = get<std::string>(cam, "methods", "all");
  }
  s.layer = get<std::string>(cam, "layer", "act4");
  s.explain_label = get<std::string>(cam, "class", "pred") == "label";
  s.cam_batch = get<int64_t>(cam, "batch_size", 16);
  s.perturbation_batch = get<int64_t>(cam, "perturbation_batch", 32);
  const YAML::Node ent = child(cam, "entropy");
  for (const char* key : {"estimator", "bins", "transform", "base"}) {
    const YAML::Node v = child(ent, key);
    if (!v || v.IsNull()) continue;
    const std::string value = v.as<std::string>();
    if (std::string(key) == "transform" && value == "default") continue;
    s.entropy.set(key, value, config.origin(std::string("cam.entropy.") + key).str() + ": cam.entropy");
  }
  s.entropy.validate(config.origin("cam.entropy").str() + ": cam.entropy");
  s.score_cam_variant = get<std::string>(child(cam, "score_cam"), "variant", "wang");

  const YAML::Node mt = r["metrics"];
  s.localization.tolerance = get<double>(mt, "tolerance", 15.0);
  s.localization.cam_curve_step = get<double>(mt, "max_box_acc_step", 0.01);
  s.localization.local_max_min_value = get<double>(mt, "instance_threshold", 0.5);
  s.skip_difficult = get<bool>(mt, "skip_difficult", false);
  s.faithfulness = get<bool>(mt, "faithfulness", true);
  s.faithfulness_images = get<int64_t>(mt, "faithfulness_images", 0);
  s.faithfulness_options.steps = get<int>(mt, "steps", 64);
  s.faithfulness_options.blur_kernel = get<int>(mt, "blur_kernel", 11);
  s.faithfulness_options.blur_sigma = get<double>(mt, "blur_sigma", 5.0);
  s.bootstrap = get<int>(mt, "bootstrap", 1000);
  const YAML::Node rep = r["report"];
  s.grid_images = get<int>(rep, "grid_images", 8);
  s.figures = get<bool>(rep, "figures", true);
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
  return {{"dataset", {{"name", d.name}, {"train_fraction", d.train_fraction}, {"max_images", d.max_images},
                       {"options", d.options}}},
          {"seed", s.seed},
          {"model", s.model.to_metadata()},
          {"pretrained", s.pretrained},
          {"train", s.train}};
}

nlohmann::json explain_stage_key(const ExperimentSettings& s, const DatasetSettings& d) {
  nlohmann::json key = train_stage_key(s, d);
  key["records_format"] = 1;  // bump when the explain records change shape
  key["explain_images"] = d.explain_images;
  key["cam"] = {{"methods", s.methods}, {"layer", s.layer}, {"label", s.explain_label},
                {"entropy", s.entropy.to_string()}, {"score_cam", s.score_cam_variant}};
  key["faithfulness"] = {{"on", s.faithfulness}, {"images", s.faithfulness_images},
                         {"steps", s.faithfulness_options.steps}, {"blur_kernel", s.faithfulness_options.blur_kernel},
                         {"blur_sigma", s.faithfulness_options.blur_sigma}};
  return key;
}

}  // namespace entcam
