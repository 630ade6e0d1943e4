#include "models/registry.h"

#include <filesystem>

#include "core/error.h"
#include "core/safetensors.h"
#include "models/resnet.h"
#include "models/torchscript.h"
#include "models/weights.h"
#include "models/xception.h"

namespace entcam {

namespace {

InputSpec timm_inception_input(int64_t size) {  // mean = std = 0.5 (timm's Inception-style models)
  InputSpec s;
  s.size = size;
  return s;
}

std::string joined_names() {
  std::string list;
  for (const auto& e : model_table()) list += (list.empty() ? "" : ", ") + std::string(e.name);
  return list;
}

}  // namespace

const std::vector<ModelEntry>& model_table() {
  static const std::vector<ModelEntry> table = {
      {"xception", create_xception, load_module_weights, timm_inception_input(299),
       "timm legacy_xception (timm/models/xception.py)"},
      {"xception-mini", create_xception, load_module_weights, timm_inception_input(299),
       "legacy_xception with channels / width_divisor, a shorter middle flow, output stride 16 or 32"},
      {"resnet50", create_resnet50, load_module_weights, resnet50_input_spec(224), "torchvision resnet50 (torchvision/models/resnet.py)"},
      {"torchscript", nullptr, load_torchscript, InputSpec{}, "TorchScript module with features(x) and head(a)"},
  };
  return table;
}

const ModelEntry* model_entry(const std::string& name) {
  for (const auto& e : model_table())
    if (e.name == name) return &e;
  return nullptr;
}

const ModelEntry& find_model(const std::string& name, const std::string& what) {
  if (const ModelEntry* e = model_entry(name)) return *e;
  throw InputError(what + ": unknown architecture '" + name + "' (expected one of: " + joined_names() + ")");
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& e : model_table()) names.push_back(e.name);
  return names;
}

std::unique_ptr<Classifier> create_model(const ModelShape& shape, const std::string& origin) {
  const ModelEntry& entry = find_model(shape.arch, origin);
  if (!entry.create) throw InputError(origin + ": architecture '" + shape.arch + "' cannot be built or trained here");
  return entry.create(shape, origin);
}

std::unique_ptr<Classifier> load_module_weights(const ModelEntry& entry, const std::string& path,
                                                const std::string& description) {
  SafeTensorsFile file = SafeTensorsFile::load(path);
  if (!file.contains("fc.weight")) throw file_error(path, "no tensor 'fc.weight': cannot tell the number of classes");
  const auto& fc = file.info("fc.weight");
  if (fc.shape.size() != 2 || fc.shape[0] < 1 || fc.shape[0] > 1000000 || fc.shape[1] < 1) {
    std::string dims;
    for (int64_t d : fc.shape) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
    throw file_error(path, "fc.weight has shape [" + dims +
                               "]; expected [classes, features] with 1..1000000 classes and features >= 1");
  }
  ModelShape shape{entry.name, fc.shape[0], file.metadata()};
  std::unique_ptr<Classifier> model = entry.create(shape, path);
  load_state(*model->module(), file);
  model->set_description(description);
  return model;
}

std::unique_ptr<Classifier> load_classifier(const std::string& spec) {
  std::string arch, path = spec;
  const auto colon = spec.find(':');
  if (colon != std::string::npos) {
    arch = spec.substr(0, colon);
    path = spec.substr(colon + 1);
    if (!model_entry(arch))
      throw InputError("--model '" + spec + "': unknown kind '" + arch + "' (expected NAME:FILE with NAME one of " +
                       joined_names() + ", or FILE.safetensors written by entcam)");
  }
  if (!std::filesystem::exists(path)) throw file_error(path, "model file does not exist");
  if (arch.empty()) {
    const auto meta = SafeTensorsFile::load(path).metadata();
    auto it = meta.find("entcam.arch");
    if (it == meta.end())
      throw file_error(path, "the file's metadata does not name an architecture (entcam.arch); give one: --model xception:" + path);
    arch = it->second;
    const ModelEntry* entry = model_entry(arch);
    if (!entry || !entry->create) throw file_error(path, "unknown architecture '" + arch + "' in its metadata (expected one of: " + joined_names() + ")");
  }
  const ModelEntry& entry = find_model(arch);
  return entry.load(entry, path, spec);
}

}  // namespace entcam
