#include "cli/inputs.h"

#include <cstdio>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/npy.h"
#include "data/image_transform.h"
#include "data/loader.h"

namespace entcam::cli {

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
  t.size = int(spec.size);
  t.crop_pct = spec.crop_pct;
  t.mean = float(spec.mean[0]);
  t.std = float(spec.std[0]);
  std::vector<torch::Tensor> items;
  std::set<std::string> used;
  for (size_t i = 0; i < images.size(); ++i) {
    const cv::Mat rgb = read_rgb(images[i]);
    const cv::Mat crop = apply_geometry(rgb, plan_transform(rgb.cols, rgb.rows, t, nullptr));
    items.push_back(to_tensor(crop, t));
    in.images.push_back(crop);
    std::string stem = std::filesystem::path(images[i]).stem().string();
    if (stem.empty() || used.count(stem)) stem += "_" + std::to_string(i);
    used.insert(stem);
    in.stems.push_back(stem);
  }
  in.batch = torch::stack(items);
  return in;
}

void add_model_input_options(CLI::App* sub, ModelInputArgs& a) {
  sub->add_option("--model", a.model, "xception:FILE.safetensors | xception-mini:FILE | torchscript:FILE.pt | FILE.safetensors")
      ->required();
  auto* img = sub->add_option("--image", a.images, "Image files (eval transform of the model)");
  auto* ten = sub->add_option("--tensor", a.tensor, "float32 .npy batch [N,3,H,W], fed as is");
  img->excludes(ten);
  sub->add_option("--device", a.device, "auto | cpu | cuda[:N]")->capture_default_str();
}

torch::Device parse_device(const std::string& text) {
  if (text == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (text == "cpu") return torch::kCPU;
  if (text.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw InputError("--device " + text + ": this LibTorch build or machine has no CUDA device (use cpu or auto)");
    try {
      return torch::Device(text);
    } catch (const c10::Error&) {
      throw InputError("--device '" + text + "' is not cuda or cuda:N");
    }
  }
  throw InputError("--device '" + text + "' is not one of auto, cpu, cuda, cuda:N");
}

}  // namespace entcam::cli
