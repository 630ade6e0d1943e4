#include "runner/config.h"

#include <functional>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "core/text.h"
#include "data/yaml_input.h"

namespace entcam {
namespace fs = std::filesystem;

std::string ConfigOrigin::str() const {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 6 && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

void Config::merge(const YAML::Node& from, YAML::Node& into, const std::string& prefix, const std::string& file) {
  for (auto it = from.begin(); it != from.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (prefix.empty() && key == "extends") continue;
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    const YAML::Mark mark = it->first.Mark();
    origins_[path] = ConfigOrigin{file, mark.line + 1, mark.column + 1};
    const YAML::Node value = it->second;  // a copy: the iterator hands out a temporary
    if (value.IsMap() && into[key].IsMap()) {
      YAML::Node child = into[key];
      merge(value, child, path, file);
    } else {
      into[key] = YAML::Clone(value);
      // Record origins of everything below a replaced value (lists of maps included).
      std::function<void(const YAML::Node&, const std::string&)> record = [&](const YAML::Node& n, const std::string& p) {
        if (n.IsMap()) {
          for (auto c = n.begin(); c != n.end(); ++c) {
            const YAML::Mark m = c->first.Mark();
            const std::string cp = p + "." + c->first.as<std::string>();
            origins_[cp] = ConfigOrigin{file, m.line + 1, m.column + 1};
            record(c->second, cp);
          }
        } else if (n.IsSequence()) {
          for (size_t i = 0; i < n.size(); ++i) {
            const YAML::Mark m = n[i].Mark();
            const std::string cp = p + "." + std::to_string(i);
            origins_[cp] = ConfigOrigin{file, m.line + 1, m.column + 1};
            record(n[i], cp);
          }
        }
      };
      record(value, path);
    }
  }
}

Config Config::from_yaml(const std::string& text, const std::string& name) {
  Config c;
  c.main_file_ = name;
  YAML::Node doc = parse_yaml(text, name);
  if (doc.IsNull()) return c;
  if (!doc.IsMap()) throw InputError(name + ":1:1: the experiment file must be a YAML mapping (key: value)");
  c.merge(doc, c.root_, "", name);
  return c;
}

Config Config::load(const fs::path& file, const std::vector<fs::path>& base_files, const std::vector<std::string>& overrides) {
  Config c;
  c.main_file_ = file.string();
  std::vector<fs::path> stack;
  std::function<void(const fs::path&)> load_one = [&](const fs::path& path) {
    const fs::path canonical = fs::weakly_canonical(path);
    for (const auto& p : stack)
      if (p == canonical) throw file_error(path.string(), "extends itself (an `extends:` cycle)");
    if (!fs::exists(path)) throw file_error(path.string(), "config file does not exist");
    stack.push_back(canonical);
    YAML::Node doc = parse_yaml(read_file(path), path.string());
    if (!doc.IsNull() && !doc.IsMap())
      throw InputError(path.string() + ":1:1: a config file must be a YAML mapping (key: value)");
    if (doc.IsMap() && doc["extends"]) {
      const YAML::Node ext = doc["extends"];
      const YAML::Mark m = ext.Mark();
      const std::string where = path.string() + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
      std::vector<std::string> parents;
      if (ext.IsScalar()) parents.push_back(ext.as<std::string>());
      else if (ext.IsSequence())
        for (const auto& e : ext) {
          if (!e.IsScalar()) throw InputError(where + ": extends: expected a path or a list of paths");
          parents.push_back(e.as<std::string>());
        }
      else throw InputError(where + ": extends: expected a path or a list of paths");
      for (const auto& parent : parents) {
        fs::path p = fs::path(parent).is_absolute() ? fs::path(parent) : path.parent_path() / parent;
        if (!fs::exists(p)) throw InputError(where + ": extends: '" + parent + "' does not exist (looked for " + p.string() + ")");
        load_one(p);
      }
    }
    if (doc.IsMap()) c.merge(doc, c.root_, "", path.string());
    stack.pop_back();
  };
  for (const auto& base : base_files) load_one(base);
  load_one(file);
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError("--set '" + o + "': expected key.path=value");
    const std::string origin = "--set " + printable(o);
    c.set(o.substr(0, eq), parse_yaml(o.substr(eq + 1), origin), origin);
  }
  return c;
}

void Config::set(const std::string& key_path, const YAML::Node& value, const std::string& origin) {
  const auto parts = split_path(key_path);
  YAML::Node node = root_;
  std::string path;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part.empty()) throw InputError(origin + ": empty segment in key path '" + key_path + "'");
    path += (path.empty() ? "" : ".") + part;
    const bool last = i + 1 == parts.size();
    if (node.IsSequence()) {
      if (!is_index(part) || std::stoul(part) >= node.size())
        throw InputError(origin + ": '" + path + "': " + key_path.substr(0, key_path.size() - 0) +
                         " indexes a list of " + std::to_string(node.size()) + " items (expected 0.." +
                         std::to_string(node.size() ? node.size() - 1 : 0) + ")");
      if (last) node[std::stoul(part)] = YAML::Clone(value);
      else node.reset(node[std::stoul(part)]);
    } else {
      if (!node.IsMap() && !node.IsNull())
        throw InputError(origin + ": '" + path + "' is inside a value that is not a mapping");
      if (last) node[part] = YAML::Clone(value);
      else {
        YAML::Node child = node[part];
        if (!child.IsDefined() || child.IsNull()) node[part] = YAML::Node(YAML::NodeType::Map);
        node.reset(node[part]);
      }
    }
  }
  origins_[key_path] = ConfigOrigin{origin, 0, 0};
}

ConfigOrigin Config::origin(const std::string& key_path) const {
  std::string p = key_path;
  while (true) {
    auto it = origins_.find(p);
    if (it != origins_.end()) return it->second;
    const auto dot = p.rfind('.');
    if (dot == std::string::npos) return ConfigOrigin{main_file_, 0, 0};
    p = p.substr(0, dot);
  }
}

nlohmann::json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& e : node) a.push_back(yaml_to_json(e));
      return a;
    }
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (auto it = node.begin(); it != node.end(); ++it) o[it->first.as<std::string>()] = yaml_to_json(it->second);
      return o;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted: a string, whatever it looks like
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      if (s == "null" || s == "~") return nullptr;
      int64_t i = 0;
      if (yaml_int(s, i)) return i;
      double d = 0;
      if (yaml_float(s, d)) return d;
      return s;
    }
  }
  return nullptr;
}

nlohmann::json Config::to_json() const { return yaml_to_json(root_); }

std::string config_hash(const nlohmann::json& value) { return sha256_hex(value.dump()).substr(0, 16); }

}  // namespace entcam
