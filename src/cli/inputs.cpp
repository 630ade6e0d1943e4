#include "cli/inputs.h"

#include <cstdio>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/npy.h"
#include "core/text.h"
#include "data/image_transform.h"
#include "data/loader.h"
#include "models/registry.h"

namespace entcam::cli {
namespace {

// The folder name of an image's outputs under --out: its file stem, unless that would leave
// --out ("..", "."), hide the folder (".x"), collide with explain.json or another stem, or
// not be valid UTF-8 (explain.json holds it); then "item<i>" (and a suffix while taken).
std::string output_stem(const std::string& image, size_t i, std::set<std::string>& used) {
  std::string stem = std::filesystem::path(image).stem().string();
  const bool unsafe = stem.empty() || stem[0] == '.' || stem == "explain.json" || !is_valid_utf8(stem) ||
                      stem.find_first_of("/\\") != std::string::npos;
  if (unsafe) stem = "item" + std::to_string(i);
  if (used.count(stem)) stem += "_" + std::to_string(i);
  while (used.count(stem)) stem += "_";
  used.insert(stem);
  return stem;
}

}  // namespace

Inputs load_inputs(const std::vector<std::string>& images, const std::string& tensor, const InputSpec& spec) {
  if (images.empty() == tensor.empty()) throw InputError("give exactly one of --image FILE... or --tensor FILE.npy");
  Inputs in;
  if (!tensor.empty()) {
    NpyArray a = read_npy(tensor);
    if (a.shape.size() != 4 || a.shape[1] != 3 || a.shape[0] < 1 || a.shape[2] < 1 || a.shape[3] < 1)
      throw file_error(tensor, "expected a float32 batch [N,3,H,W], got shape " + [&] {
        std::string s = "(";
        for (size_t i = 0; i < a.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(a.shape[i]);
        return s + ")";
      }());
    for (float v : a.data)
      if (!std::isfinite(v)) throw file_error(tensor, "contains non-finite values");
    in.batch = torch::from_blob(a.data.data(), a.shape, torch::kFloat32).clone();
    char stem[32];
    for (int64_t i = 0; i < a.shape[0]; ++i) {
      std::snprintf(stem, sizeof stem, "%04lld", static_cast<long long>(i));
      in.stems.push_back(stem);
    }
    return in;
  }
  // The loader's eval transform (timm legacy_xception: resize, centre crop, normalise).
  TransformOptions t;
  t.input = spec;
  std::vector<torch::Tensor> items;
  std::set<std::string> used;
  for (size_t i = 0; i < images.size(); ++i) {
    const cv::Mat rgb = read_rgb(images[i]);
    const cv::Mat crop = apply_geometry(rgb, plan_transform(rgb.cols, rgb.rows, t, nullptr));
    items.push_back(to_tensor(crop, t));
    in.images.push_back(crop);
    in.stems.push_back(output_stem(images[i], i, used));
  }
  in.batch = torch::stack(items);
  return in;
}

void check_input_size(Classifier& model, const torch::Tensor& batch, const std::string& tensor) {
  const int64_t h = batch.size(2), w = batch.size(3), size = model.input_spec().size;
  if (tensor.empty() || (h >= size && w >= size)) return;
  torch::NoGradGuard no_grad;
  try {
    model.forward(torch::zeros({1, 3, h, w}, torch::TensorOptions().device(model.device())));
  } catch (const c10::Error&) {
    throw file_error(tensor, "inputs of " + std::to_string(h) + "x" + std::to_string(w) +
                                 " pixels are too small for the model's layers; expected larger inputs (the model's "
                                 "own size is " + std::to_string(size) + "x" + std::to_string(size) + ")");
  }
}

void check_finite_logits(const torch::Tensor& logits, const std::vector<std::string>& stems, const std::string& model) {
  const torch::Tensor finite = torch::isfinite(logits).all(1).cpu();
  for (int64_t i = 0; i < finite.size(0); ++i)
    if (!finite[i].item<bool>())
      throw InputError(model + ": the logits for input '" + stems.at(size_t(i)) +
                       "' are NaN or infinite; expected finite logits (check the input's value range)");
}

void add_model_input_options(CLI::App* sub, ModelInputArgs& a) {
  std::string specs;  // the model registry's names: ARCH:FILE for each, or a bare .safetensors
  for (const std::string& name : model_names()) specs += name + ":FILE | ";
  sub->add_option("--model", a.model, specs + "FILE.safetensors (its entcam.arch metadata names the architecture)")
      ->required();
  auto* img = sub->add_option("--image", a.images, "Image files (eval transform of the model)");
  auto* ten = sub->add_option("--tensor", a.tensor, "float32 .npy batch [N,3,H,W], fed as is");
  img->excludes(ten);
  sub->add_option("--device", a.device, "auto | cpu | cuda[:N]")->capture_default_str();
}

}  // namespace entcam::cli
