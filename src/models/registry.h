#pragma once
// Model architectures by name, in the spirit of timm's register_model: one table row per
// architecture. A row's name is the `NAME:FILE` prefix of a model spec (docs/spec.md §1), the
// `model.arch` of an experiment and the `entcam.arch` metadata of the checkpoints entcam
// writes, so a name means the same network everywhere.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/classifier.h"

namespace entcam {

// What builds a model before weights are loaded: the architecture, the class count and the
// architecture's shape options as safetensors metadata ("entcam.width_divisor" -> "4", ...;
// missing keys take the architecture's defaults).
struct ModelShape {
  std::string arch = "xception";
  int64_t num_classes = 1000;
  std::map<std::string, std::string> options;
};

struct ModelEntry {
  const char* name;
  // A model with the architecture's own initial weights, drawn from LibTorch's global RNG
  // (seed it first). `origin` names the file or key the shape came from, for errors.
  // nullptr: the architecture is only loaded, never built (TorchScript).
  std::unique_ptr<Classifier> (*create)(const ModelShape& shape, const std::string& origin);
  // Loads `path` as this architecture; `description` is the spec the user gave.
  std::unique_ptr<Classifier> (*load)(const ModelEntry& entry, const std::string& path, const std::string& description);
  InputSpec input;  // the architecture's input (size, eval crop, normalisation)
  const char* reference;
};

// Every architecture, in the order help texts list them.
const std::vector<ModelEntry>& model_table();
// nullptr when `name` is not registered.
const ModelEntry* model_entry(const std::string& name);
// Throws InputError naming `what` and the valid names when `name` is unknown.
const ModelEntry& find_model(const std::string& name, const std::string& what = "model");
// Names of every registered architecture, in table order.
std::vector<std::string> model_names();

// A fresh model of `shape` (seed LibTorch's RNG first for reproducible weights).
std::unique_ptr<Classifier> create_model(const ModelShape& shape, const std::string& origin);

// `NAME:FILE` for a registered NAME, or a bare `.safetensors` written by entcam (its
// metadata names the architecture).
std::unique_ptr<Classifier> load_classifier(const std::string& spec);

// The loader of module architectures: shape options from the file's metadata, the class
// count from `fc.weight`, then every parameter and buffer by name (models/weights.h).
std::unique_ptr<Classifier> load_module_weights(const ModelEntry& entry, const std::string& path,
                                                const std::string& description);

}  // namespace entcam
