#include "models/weights.h"

#include <set>

#include "core/error.h"

namespace entcam {
namespace {

bool is_counter(const std::string& key) {
  const std::string suffix = "num_batches_tracked";
  return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string shape_str(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string join_some(const std::vector<std::string>& items, size_t most = 12) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < most; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > most) out += ", ... (" + std::to_string(items.size() - most) + " more)";
  return out;
}

}  // namespace

void read_metadata_int(const std::map<std::string, std::string>& meta, const std::string& key,
                       const std::string& file, int64_t& out) {
  auto it = meta.find("entcam." + key);
  if (it == meta.end()) return;
  try {
    size_t used = 0;
    out = std::stoll(it->second, &used);
    if (used != it->second.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw file_error(file, "metadata entcam." + key + " = '" + it->second + "' is not an integer");
  }
}

torch::Tensor tensor_from(const SafeTensorsFile& file, const std::string& key) {
  torch::Tensor t = torch::empty(file.info(key).shape, torch::kFloat32);
  file.read_f32_into(key, t.data_ptr<float>());
  return t;
}

LoadReport load_state(torch::nn::Module& module, const SafeTensorsFile& file,
                      const std::vector<std::string>& reinit_on_mismatch) {
  LoadReport report;
  std::vector<std::string> missing, wrong_shape, unexpected, non_finite;
  std::set<std::string> expected;
  torch::NoGradGuard no_grad;
  auto copy_into = [&](const std::string& key, torch::Tensor& target) {
    expected.insert(key);
    if (!file.contains(key)) {
      if (!is_counter(key)) missing.push_back(key);
      return;
    }
    const auto& info = file.info(key);
    if (at::IntArrayRef(info.shape) != target.sizes()) {
      for (const auto& prefix : reinit_on_mismatch)
        if (key.rfind(prefix, 0) == 0) {
          report.skipped.push_back(key + " " + shape_str(info.shape) + " (model needs " + shape_str(target.sizes()) + ")");
          return;
        }
      wrong_shape.push_back(key + " is " + shape_str(info.shape) + ", model needs " + shape_str(target.sizes()));
      return;
    }
    const torch::Tensor value = tensor_from(file, key);
    // NaN/inf weights give NaN logits and an arbitrary top-k downstream: refuse them here
    if (!torch::isfinite(value).all().item<bool>()) {
      non_finite.push_back(key);
      return;
    }
    target.copy_(value.to(target.dtype()));
  };
  for (auto& p : module.named_parameters()) copy_into(p.key(), p.value());
  for (auto& b : module.named_buffers()) copy_into(b.key(), b.value());
  for (const auto& [key, info] : file.tensors())
    if (!expected.count(key) && !is_counter(key)) unexpected.push_back(key);
  if (!non_finite.empty())
    throw file_error(file.name(), "tensor " + join_some(non_finite) + " holds NaN or infinite values; expected finite weights");
  if (!missing.empty() || !wrong_shape.empty() || !unexpected.empty()) {
    std::string msg = "weights do not match the model:";
    if (!missing.empty()) msg += " missing keys: " + join_some(missing) + ";";
    if (!unexpected.empty()) msg += " unexpected keys: " + join_some(unexpected) + ";";
    if (!wrong_shape.empty()) msg += " wrong shapes: " + join_some(wrong_shape) + ";";
    msg.pop_back();
    throw file_error(file.name(), msg);
  }
  return report;
}

void save_state(const torch::nn::Module& module, const std::filesystem::path& path,
                const std::map<std::string, std::string>& metadata) {
  std::vector<torch::Tensor> keep;  // owns the contiguous CPU copies while writing
  std::vector<SafeTensorView> views;
  auto add = [&](const std::string& key, const torch::Tensor& t) {
    if (is_counter(key)) return;
    keep.push_back(t.detach().to(torch::kCPU, torch::kFloat32).contiguous());
    views.push_back({key, keep.back().sizes().vec(), keep.back().data_ptr<float>()});
  };
  for (const auto& p : module.named_parameters()) add(p.key(), p.value());
  for (const auto& b : module.named_buffers()) add(b.key(), b.value());
  write_safetensors(path, views, metadata);
}

}  // namespace entcam
