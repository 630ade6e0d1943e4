#pragma once
// The one way entcam reads YAML written by users (experiment files, --set values, manifests):
// parsed, then checked before anything walks it, so that a hostile or careless file gives a
// one-line error naming file:line:column instead of a crash or an exhausted machine:
// - aliases may not refer to a value that contains them (yaml-cpp builds a cycle);
// - aliases may not expand to more than a limit of values in all (a "billion laughs" file);
// - mapping keys are plain scalars and appear once per mapping;
// - every scalar is valid UTF-8 (the values end up in JSON).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

namespace entcam {

struct YamlLimits {
  int64_t max_values = 100000;  // values after alias expansion (ENTCAM_YAML_MAX_VALUES)
  int max_depth = 64;           // nesting depth
};

// Limits from the environment: ENTCAM_YAML_MAX_VALUES overrides max_values.
YamlLimits yaml_limits();

// Parses `text` (named `name` in errors) and checks it as above. Throws InputError.
YAML::Node parse_yaml(const std::string& text, const std::string& name, const YamlLimits& limits = yaml_limits());

// "name:line:column" of a node (just `name` when the node has no position).
std::string yaml_where(const std::string& name, const YAML::Node& node);

// Strict YAML scalars, one reading for validation, hashing and use: decimal integers
// ("010" is ten, never octal), decimal floats (no hex floats, no inf/nan), true/false.
bool yaml_int(const std::string& s, int64_t& out);
bool yaml_float(const std::string& s, double& out);
bool yaml_bool(const std::string& s, bool& out);

}  // namespace entcam
