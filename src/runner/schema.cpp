#include "runner/schema.h"

#include <cmath>

#include "cam/entropy.h"
#include "cam/methods.h"
#include "core/error.h"
#include "data/yaml_input.h"
#include "models/registry.h"

namespace entcam {
namespace {

using K = ValueKind;
// Choices that other layers own: the method table, the entropy estimator's bin rules and
// the model registry, so that a new method or model needs no edit here.
std::vector<std::string> method_choices() {
  std::vector<std::string> ids;
  for (const auto& m : cam_methods()) ids.push_back(m.id);
  ids.push_back("all");
  return ids;
}

std::string describe(const SchemaRule& r) {
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& c : v) s += (s.empty() ? "" : ", ") + c;
    return s;
  };
  auto range = [&](const char* what) {
    std::string s = what;
    if (r.min < r.max) {
      char buf[96];
      std::snprintf(buf, sizeof buf, " in %g..%g", r.min, r.max);
      s += buf;
    }
    return s;
  };
  switch (r.kind) {
    case K::kString: return "a string";
    case K::kInt: return range("an integer");
    case K::kFloat: return range("a number");
    case K::kBool: return "true or false";
    case K::kChoice: return "one of " + list(r.choices);
    case K::kStringOrList: return "one of " + list(r.choices) + ", or a list of them";
    case K::kIntOrString: return range("an integer") + " or one of " + list(r.choices);
    case K::kMap: return "a mapping";
    case K::kList: return "a list";
    case K::kFreeMap: return "a mapping";
  }
  return "?";
}

// The same reading of numbers as yaml_to_json and experiment_settings (data/yaml_input.h).
bool parse_number(const std::string& s, double& out, bool integer) {
  int64_t i = 0;
  if (integer) {
    if (!yaml_int(s, i)) return false;
    out = double(i);
    return true;
  }
  return yaml_float(s, out);
}

}  // namespace

const std::vector<SchemaRule>& experiment_schema() {
  static const std::vector<SchemaRule> rules = {
      {"experiment", K::kString, 0, 0, {}, "experiment name (results/<experiment>/)"},
      {"description", K::kString, 0, 0, {}, "free text"},
      {"seed", K::kInt, 0, 2147483647, {}, "seed of splits, training and bootstrap"},
      {"device", K::kString, 0, 0, {}, "auto | cpu | cuda | cuda:N"},
      {"threads", K::kInt, 0, 1024, {}, "CPU threads (0 = all)"},
      {"results", K::kString, 0, 0, {}, "results root folder"},
      {"datasets", K::kList, 0, 0, {}, "datasets to run"},
      {"datasets[]", K::kMap, 0, 0, {}, "one dataset"},
      {"datasets[].name", K::kString, 0, 0, {}, "a shipped dataset name or a manifest path; a pool's label"},
      {"datasets[].sources", K::kList, 0, 0, {}, "pool these datasets (names or manifest paths) into one"},
      {"datasets[].sources[]", K::kString, 0, 0, {}, "a shipped dataset name or a manifest path"},
      {"datasets[].label_space", K::kChoice, 0, 0, {"union", "imagenet"},
       "union: a new classifier over the class names; imagenet: keep the pretrained 1000-way classifier"},
      {"datasets[].train_fraction", K::kFloat, 0.05, 0.95, {}, "share of images used for training"},
      {"datasets[].max_images", K::kInt, 0, 1e9, {}, "cap on images (0 = all)"},
      {"datasets[].explain_images", K::kInt, 0, 1e9, {}, "cap on test images explained and scored (0 = all)"},
      {"datasets[].options", K::kFreeMap, 0, 0, {}, "layout options (e.g. fashion-scenes generator settings)"},
      {"model", K::kMap, 0, 0, {}, "the network"},
      {"model.arch", K::kChoice, 0, 0, model_names(),
       "architecture (the model registry); torchscript: model.pretrained is the module, train.epochs 0"},
      {"model.width_divisor", K::kInt, 1, 64, {}, "channel divisor (xception-mini)"},
      {"model.middle_blocks", K::kInt, 0, 32, {}, "middle-flow blocks (xception-mini)"},
      {"model.output_stride", K::kInt, 16, 32, {}, "16 or 32 (xception-mini)"},
      {"model.input_size", K::kInt, 0, 1024, {}, "input side in pixels (0 = the architecture's own)"},
      {"model.pretrained", K::kString, 0, 0, {}, "none, a model manifest, a .safetensors path, or the torchscript .pt"},
      {"train", K::kMap, 0, 0, {}, "fine-tuning"},
      {"train.epochs", K::kInt, 0, 10000, {}, "epochs (0 = use the pretrained weights as they are)"},
      {"train.batch_size", K::kInt, 1, 4096, {}, "images per step"},
      {"train.optimizer", K::kChoice, 0, 0, {"sgd", "adamw"}, "optimiser"},
      {"train.lr", K::kFloat, 0, 10, {}, "peak learning rate"},
      {"train.momentum", K::kFloat, 0, 1, {}, "SGD momentum"},
      {"train.nesterov", K::kBool, 0, 0, {}, "Nesterov momentum"},
      {"train.weight_decay", K::kFloat, 0, 1, {}, "weight decay"},
      {"train.schedule", K::kChoice, 0, 0, {"cosine", "step", "constant"}, "learning-rate schedule"},
      {"train.warmup_epochs", K::kFloat, 0, 1000, {}, "linear warm-up epochs"},
      {"train.step_size", K::kInt, 1, 10000, {}, "epochs per step (step schedule)"},
      {"train.step_gamma", K::kFloat, 0, 1, {}, "decay per step (step schedule)"},
      {"train.label_smoothing", K::kFloat, 0, 0.5, {}, "label smoothing"},
      {"train.freeze", K::kList, 0, 0, {}, "layer-name prefixes frozen during freeze_epochs"},
      {"train.freeze[]", K::kString, 0, 0, {}, "a layer-name prefix"},
      {"train.freeze_epochs", K::kInt, 0, 10000, {}, "epochs with `freeze` layers frozen"},
      {"train.augment", K::kBool, 0, 0, {}, "random resized crop + flip"},
      {"train.crop_scale_min", K::kFloat, 0.01, 1, {}, "smallest area fraction of the random resized crop"},
      {"train.mixed_precision", K::kChoice, 0, 0, {"none", "bf16", "fp16"}, "CUDA only"},
      {"train.channels_last", K::kBool, 0, 0, {}, "CUDA only (the CPU always trains channels-last)"},
      {"cam", K::kMap, 0, 0, {}, "CAM generation"},
      {"cam.methods", K::kStringOrList, 0, 0, method_choices(), "methods to run"},
      {"cam.layer", K::kString, 0, 0, {}, "target layer: default (the architecture's own), or a layer name (act4, conv4, block12, layer4, ...)"},
      {"cam.class", K::kChoice, 0, 0, {"pred", "label"}, "explained class: predicted or true label"},
      {"cam.batch_size", K::kInt, 1, 4096, {}, "images per forward/backward pass"},
      {"cam.perturbation_batch", K::kInt, 1, 4096, {}, "masked inputs per pass (score_cam, ablation_cam)"},
      {"cam.entropy", K::kMap, 0, 0, {}, "entropy of one map"},
      {"cam.entropy.estimator", K::kChoice, 0, 0, {"histogram", "unique", "distribution"}, "estimator"},
      {"cam.entropy.bins", K::kIntOrString, 1, 1000000, numpy_bin_rules(), "histogram bins"},
      {"cam.entropy.transform", K::kChoice, 0, 0, {"default", "raw", "abs", "relu"}, "applied first"},
      {"cam.entropy.base", K::kChoice, 0, 0, {"2", "e", "10"}, "logarithm base"},
      {"cam.score_cam", K::kMap, 0, 0, {}, "Score-CAM"},
      {"cam.score_cam.variant", K::kChoice, 0, 0, {"wang", "pytorch-grad-cam"}, "Score-CAM formulation"},
      {"metrics", K::kMap, 0, 0, {}, "evaluation"},
      {"metrics.tolerance", K::kFloat, 0, 1000, {}, "pointing-game tolerance, pixels"},
      {"metrics.skip_difficult", K::kBool, 0, 0, {}, "drop boxes flagged difficult"},
      {"metrics.max_box_acc_step", K::kFloat, 0.001, 0.5, {}, "threshold step of max_box_acc"},
      {"metrics.instance_threshold", K::kFloat, 0, 1, {}, "local-maximum threshold of instance_recall"},
      {"metrics.faithfulness", K::kBool, 0, 0, {}, "compute deletion/insertion/average drop (forward passes)"},
      {"metrics.faithfulness_images", K::kInt, 0, 1e9, {}, "cap on images for faithfulness metrics (0 = all)"},
      {"metrics.steps", K::kInt, 2, 4096, {}, "deletion/insertion steps"},
      {"metrics.blur_kernel", K::kInt, 1, 255, {}, "insertion blur kernel"},
      {"metrics.blur_sigma", K::kFloat, 0.01, 100, {}, "insertion blur sigma"},
      {"metrics.bootstrap", K::kInt, 1000, 1000000, {}, "bootstrap resamples (>= 1000)"},
      {"metrics.sanity", K::kBool, 0, 0, {}, "model-randomisation (MPRT) and random-logit sanity checks"},
      {"metrics.sanity_images", K::kInt, 0, 1e9, {}, "cap on images for the sanity checks (0 = all)"},
      {"metrics.road", K::kBool, 0, 0, {}, "ROAD MoRF/LeRF with noisy linear imputation"},
      {"metrics.road_images", K::kInt, 0, 1e9, {}, "cap on images for ROAD (0 = all)"},
      {"metrics.road_percentiles", K::kList, 0, 0, {}, "percent of pixels removed, each in [1, 99]"},
      {"metrics.road_percentiles[]", K::kFloat, 1, 99, {}, "percent of pixels removed"},
      {"metrics.road_noise", K::kFloat, 0, 10, {}, "standard deviation of the imputation noise"},
      {"report", K::kMap, 0, 0, {}, "outputs"},
      {"report.grid_images", K::kInt, 0, 1000, {}, "images in the figure grid"},
      {"report.figures", K::kBool, 0, 0, {}, "write figures"},
      {"sweep", K::kFreeMap, 0, 0, {}, "config key -> list of values; the grid of all combinations is run"},
      {"ci", K::kMap, 0, 0, {}, "regression checks"},
      {"ci.baseline", K::kString, 0, 0, {}, "report.json to compare against"},
      {"ci.tolerance", K::kFloat, 0, 1, {}, "allowed move in the wrong direction"},
  };
  return rules;
}

std::string schema_pattern(const std::string& key_path) {
  std::string out;
  size_t start = 0;
  while (start <= key_path.size()) {
    size_t dot = key_path.find('.', start);
    if (dot == std::string::npos) dot = key_path.size();
    const std::string part = key_path.substr(start, dot - start);
    if (!part.empty() && part.find_first_not_of("0123456789") == std::string::npos) out += "[]";
    else out += (out.empty() ? "" : ".") + part;
    start = dot + 1;
  }
  return out;
}

const SchemaRule* find_rule(const std::string& pattern) {
  for (const auto& r : experiment_schema())
    if (r.path == pattern) return &r;
  return nullptr;
}

namespace {

void check_scalar(const Config& config, const std::string& path, const SchemaRule& rule, const YAML::Node& node) {
  auto fail = [&](const std::string& got) {
    throw InputError(config.origin(path).str() + ": " + path + ": expected " + describe(rule) + ", got " + got);
  };
  if (rule.kind == K::kMap || rule.kind == K::kFreeMap) {
    if (!node.IsMap()) fail(node.IsScalar() ? "'" + node.Scalar() + "'" : "a list");
    return;
  }
  if (rule.kind == K::kList) {
    if (!node.IsSequence()) fail(node.IsScalar() ? "'" + node.Scalar() + "'" : "a mapping");
    return;
  }
  if (rule.kind == K::kStringOrList && node.IsSequence()) {
    for (const auto& e : node) {
      if (!e.IsScalar()) fail("a nested value");
      if (std::find(rule.choices.begin(), rule.choices.end(), e.Scalar()) == rule.choices.end()) fail("'" + e.Scalar() + "'");
    }
    return;
  }
  if (!node.IsScalar()) fail(node.IsMap() ? "a mapping" : "a list");
  const std::string s = node.Scalar();
  double v = 0;
  switch (rule.kind) {
    case K::kString:
      return;
    case K::kBool:
      if (s != "true" && s != "false") fail("'" + s + "'");
      return;
    case K::kInt:
    case K::kFloat:
      if (!parse_number(s, v, rule.kind == K::kInt) || !std::isfinite(v)) fail("'" + s + "'");
      if (rule.min < rule.max && (v < rule.min || v > rule.max)) fail(s);
      return;
    case K::kIntOrString:
      if (std::find(rule.choices.begin(), rule.choices.end(), s) != rule.choices.end()) return;
      if (!parse_number(s, v, true) || (rule.min < rule.max && (v < rule.min || v > rule.max))) fail("'" + s + "'");
      return;
    case K::kChoice:
    case K::kStringOrList:
      if (std::find(rule.choices.begin(), rule.choices.end(), s) == rule.choices.end()) fail("'" + s + "'");
      return;
    default:
      return;
  }
}

void validate_node(const Config& config, const YAML::Node& node, const std::string& path) {
  const std::string pattern = schema_pattern(path);
  const SchemaRule* rule = path.empty() ? nullptr : find_rule(pattern);
  if (!path.empty()) {
    if (!rule) {
      // Name the siblings that would have been accepted.
      const std::string parent = pattern.substr(0, pattern.rfind('.') == std::string::npos ? 0 : pattern.rfind('.'));
      std::string expected;
      for (const auto& r : experiment_schema()) {
        const auto dot = r.path.rfind('.');
        const std::string rp = dot == std::string::npos ? "" : r.path.substr(0, dot);
        if (rp == parent && r.path.find("[]", rp.size()) == std::string::npos)
          expected += (expected.empty() ? "" : ", ") + r.path.substr(dot == std::string::npos ? 0 : dot + 1);
      }
      throw InputError(config.origin(path).str() + ": unknown key '" + path + "' (expected one of: " + expected + ")");
    }
    check_scalar(config, path, *rule, node);
    if (rule->kind == K::kFreeMap) return;
  }
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it)
      validate_node(config, it->second, (path.empty() ? "" : path + ".") + it->first.as<std::string>());
  } else if (node.IsSequence() && (!rule || rule->kind == K::kList)) {
    for (size_t i = 0; i < node.size(); ++i) validate_node(config, node[i], path + "." + std::to_string(i));
  }
}

}  // namespace

void validate_config(const Config& config) {
  validate_node(config, config.root(), "");
  // Sweep axes must be known keys with lists of values of the key's type.
  const YAML::Node sweep = config.root()["sweep"];
  if (sweep && sweep.IsMap()) {
    for (auto it = sweep.begin(); it != sweep.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      const std::string where = config.origin("sweep." + key).str();
      const SchemaRule* rule = find_rule(schema_pattern(key));
      if (!rule || rule->kind == K::kMap || rule->kind == K::kList)
        throw InputError(where + ": sweep key '" + key + "' is not a sweepable config key");
      if (!it->second.IsSequence() || it->second.size() == 0)
        throw InputError(where + ": sweep." + key + ": expected a non-empty list of values");
      // A named copy: `it->` returns a temporary proxy, and a range over its member would
      // outlive it (ASan: stack-use-after-scope).
      const YAML::Node values = it->second;
      for (const auto& v : values) check_scalar(config, "sweep." + key, *rule, v);
    }
  }
}

}  // namespace entcam
