#pragma once
// Experiment configuration: YAML files with `extends:`, `--set key.path=value` overrides,
// validation against a schema with errors that name file:line:column and the expected form.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace entcam {

// Where a value came from: "configs/defaults.yaml:12:3" or "--set train.epochs=3".
struct ConfigOrigin {
  std::string file;
  int line = 0, column = 0;  // 1-based; 0 for command-line values
  std::string str() const;
};

class Config {
 public:
  // Loads `file` on top of `base_files` (e.g. configs/defaults.yaml), resolving every
  // `extends:` (a path or list of paths, relative to the file that names it; later entries
  // win, the file itself wins over what it extends), then applies `overrides`
  // ("key.path=value", the value parsed as YAML). Throws InputError naming file:line:column.
  static Config load(const std::filesystem::path& file, const std::vector<std::filesystem::path>& base_files,
                     const std::vector<std::string>& overrides);
  static Config from_yaml(const std::string& text, const std::string& name);  // for tests

  const YAML::Node& root() const { return root_; }
  nlohmann::json to_json() const;  // the resolved config
  ConfigOrigin origin(const std::string& key_path) const;  // closest known origin of a key

  // Sets one value (used by sweeps); the origin is `origin`.
  void set(const std::string& key_path, const YAML::Node& value, const std::string& origin);

 private:
  void merge(const YAML::Node& from, YAML::Node& into, const std::string& prefix, const std::string& file);
  YAML::Node root_ = YAML::Node(YAML::NodeType::Map);
  std::map<std::string, ConfigOrigin> origins_;
  std::string main_file_ = "<config>";  // named by errors about keys that are missing
};

// YAML -> JSON (scalars typed: int, float, bool, null, string).
nlohmann::json yaml_to_json(const YAML::Node& node);
// Stable short hash of a JSON value (sha256 of its canonical dump, first 16 hex digits).
std::string config_hash(const nlohmann::json& value);

}  // namespace entcam
