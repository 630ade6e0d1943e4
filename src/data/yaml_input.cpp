#include "data/yaml_input.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>
#include <vector>

#include "core/error.h"
#include "core/text.h"

namespace entcam {
namespace {

class Checker {
 public:
  Checker(const std::string& name, const YamlLimits& limits) : name_(name), limits_(limits) {}

  void check(const YAML::Node& node) {
    if (++values_ > limits_.max_values)
      throw InputError(name_ + ": the YAML expands to more than " + std::to_string(limits_.max_values) +
                       " values (aliases repeat what they refer to); expected a smaller document "
                       "(ENTCAM_YAML_MAX_VALUES raises the limit)");
    for (const YAML::Node& a : ancestors_)
      if (a.is(node))
        throw InputError(yaml_where(name_, node) +
                         ": an alias refers to a value that contains it (a cycle); expected aliases to complete values");
    if (int(ancestors_.size()) >= limits_.max_depth)
      throw InputError(yaml_where(name_, node) + ": values nested more than " + std::to_string(limits_.max_depth) +
                       " levels deep; expected a flatter document");
    if (node.IsScalar()) {
      if (!is_valid_utf8(node.Scalar()))
        throw InputError(yaml_where(name_, node) + ": '" + printable(node.Scalar()) +
                         "' is not valid UTF-8; expected UTF-8 text");
      return;
    }
    ancestors_.push_back(node);
    if (node.IsSequence()) {
      for (const auto& e : node) check(e);
    } else if (node.IsMap()) {
      std::set<std::string> keys;
      for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first;
        if (!key.IsScalar())
          throw InputError(yaml_where(name_, key) + ": a mapping key is a " + (key.IsMap() ? "mapping" : "list") +
                           "; expected a plain name");
        check(key);
        if (!keys.insert(key.Scalar()).second)
          throw InputError(yaml_where(name_, key) + ": key '" + key.Scalar() +
                           "' appears twice in the same mapping; expected each key once");
        check(it->second);
      }
    }
    ancestors_.pop_back();
  }

 private:
  const std::string& name_;
  const YamlLimits& limits_;
  int64_t values_ = 0;
  std::vector<YAML::Node> ancestors_;
};

}  // namespace

YamlLimits yaml_limits() {
  YamlLimits l;
  if (const char* v = std::getenv("ENTCAM_YAML_MAX_VALUES"); v && *v) {
    int64_t n = 0;
    if (!yaml_int(v, n) || n < 1)
      throw InputError(std::string("environment variable ENTCAM_YAML_MAX_VALUES='") + printable(v) +
                       "': expected a positive integer");
    l.max_values = n;
  }
  return l;
}

std::string yaml_where(const std::string& name, const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.is_null() || m.line < 0) return name;
  return name + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

YAML::Node parse_yaml(const std::string& text, const std::string& name, const YamlLimits& limits) {
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string where = name;
    if (!e.mark.is_null() && e.mark.line >= 0)
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    throw InputError(where + ": malformed YAML: " + printable(e.msg));
  }
  Checker(name, limits).check(doc);
  return doc;
}

bool yaml_int(const std::string& s, int64_t& out) {
  static const std::regex re("[-+]?[0-9]+");
  if (!std::regex_match(s, re)) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0') return false;
  out = v;
  return true;
}

bool yaml_float(const std::string& s, double& out) {
  static const std::regex re("[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?");
  if (!std::regex_match(s, re)) return false;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (*end != '\0' || !std::isfinite(v)) return false;
  out = v;
  return true;
}

bool yaml_bool(const std::string& s, bool& out) {
  if (s == "true" || s == "True") out = true;
  else if (s == "false" || s == "False") out = false;
  else return false;
  return true;
}

}  // namespace entcam
