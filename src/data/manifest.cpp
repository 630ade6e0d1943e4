#include "data/manifest.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <regex>

#include "core/error.h"
#include "core/fs.h"
#include "data/yaml_input.h"

namespace entcam {
namespace fs = std::filesystem;

namespace {

const char* const kLayouts[] = {"stanford-dogs", "image-folder", "kaggle-fruits", "kaggle-goldfish", "fashion-scenes"};

// "<file>:<line>:<col>: <key>: <what>", yaml-cpp marks are 0-based.
InputError yaml_error(const fs::path& file, const YAML::Node& node, const std::string& key, const std::string& what) {
  const YAML::Mark m = node.Mark();
  std::string where = file.string();
  if (m.line >= 0) where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  return InputError(where + ": " + key + ": " + what);
}

std::string scalar(const fs::path& file, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) throw yaml_error(file, node, key, "expected a string");
  return node.Scalar();
}

int64_t integer(const fs::path& file, const YAML::Node& node, const std::string& key, int64_t lo, int64_t hi) {
  const std::string s = scalar(file, node, key);
  try {
    size_t used = 0;
    const long long v = std::stoll(s, &used);
    if (used == s.size() && v >= lo && v <= hi) return v;
  } catch (const std::exception&) {
  }
  throw yaml_error(file, node, key,
                   "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" + s + "'");
}

std::string last_segment(const std::string& url) {
  std::string u = url.substr(0, url.find_first_of("?#"));
  while (!u.empty() && u.back() == '/') u.pop_back();
  const auto slash = u.rfind('/');
  return slash == std::string::npos ? u : u.substr(slash + 1);
}

}  // namespace

void parse_scene_options(const fs::path& file, const YAML::Node& node, SceneOptions& o, const std::string& section) {
  if (!node.IsMap()) throw yaml_error(file, node, section, "expected a mapping (count, canvas, seed, ...)");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    const std::string k = section + "." + key;
    if (key == "count") o.count = int(integer(file, v, k, 1, 10000000));
    else if (key == "canvas") o.canvas = int(integer(file, v, k, 32, 1024));
    else if (key == "min_items") o.min_items = int(integer(file, v, k, 1, 16));
    else if (key == "max_items") o.max_items = int(integer(file, v, k, 1, 16));
    else if (key == "min_scale") o.min_scale = int(integer(file, v, k, 8, 1024));
    else if (key == "max_scale") o.max_scale = int(integer(file, v, k, 8, 1024));
    else if (key == "clutter") o.clutter = int(integer(file, v, k, 0, 16));
    else if (key == "seed") o.seed = uint64_t(integer(file, v, k, 0, INT64_MAX));
    else if (key == "classes") {
      if (!v.IsSequence()) throw yaml_error(file, v, k, "expected a list of Fashion-MNIST class names");
      o.classes.clear();
      for (const auto& c : v) o.classes.push_back(scalar(file, c, k));
    } else {
      throw yaml_error(file, kv.first, k,
                       "unknown key (expected count, canvas, min_items, max_items, min_scale, max_scale, clutter, "
                       "seed, classes)");
    }
  }
  if (o.min_items > o.max_items) throw yaml_error(file, node, section, "expected min_items <= max_items");
  if (o.min_scale > o.max_scale) throw yaml_error(file, node, section, "expected min_scale <= max_scale");
  if (o.max_scale > o.canvas) throw yaml_error(file, node, section + ".max_scale", "expected at most " + section + ".canvas");
}

Manifest load_manifest(const fs::path& path) {
  if (!fs::is_regular_file(path)) throw file_error(path.string(), "manifest not found (expected a YAML file)");
  const YAML::Node root = parse_yaml(read_file(path), path.string());
  if (!root.IsMap()) throw yaml_error(path, root, "(top level)", "expected a mapping with name, layout, files");
  Manifest m;
  m.source = path;
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "name") {
      m.name = scalar(path, v, key);
      if (!std::regex_match(m.name, std::regex("[A-Za-z0-9][A-Za-z0-9._-]*")))
        throw yaml_error(path, v, key, "expected a plain name (letters, digits, '.', '_', '-'), got '" + m.name + "'");
    } else if (key == "layout") {
      m.layout = scalar(path, v, key);
      bool ok = false;
      for (const char* l : kLayouts) ok = ok || m.layout == l;
      if (!ok)
        throw yaml_error(path, v, key,
                         "expected one of stanford-dogs, image-folder, kaggle-fruits, kaggle-goldfish, "
                         "fashion-scenes; got '" + m.layout + "'");
    } else if (key == "auth") {
      m.auth = scalar(path, v, key);
      if (m.auth != "none" && m.auth != "kaggle")
        throw yaml_error(path, v, key, "expected 'none' or 'kaggle', got '" + m.auth + "'");
    } else if (key == "files") {
      if (v.IsNull()) continue;
      if (!v.IsSequence()) throw yaml_error(path, v, key, "expected a list of {url, sha256, size}");
      for (size_t i = 0; i < v.size(); ++i) {
        const YAML::Node& f = v[i];
        const std::string fk = "files[" + std::to_string(i) + "]";
        if (!f.IsMap()) throw yaml_error(path, f, fk, "expected a mapping {url, sha256, size}");
        ManifestFile mf;
        for (const auto& fkv : f) {
          const std::string sub = fkv.first.Scalar();
          const std::string k = fk + "." + sub;
          if (sub == "url") mf.url = scalar(path, fkv.second, k);
          else if (sub == "name") mf.name = scalar(path, fkv.second, k);
          else if (sub == "sha256") {
            mf.sha256 = scalar(path, fkv.second, k);
            for (auto& c : mf.sha256) c = char(std::tolower(static_cast<unsigned char>(c)));
            if (!std::regex_match(mf.sha256, std::regex("[0-9a-f]{64}")))
              throw yaml_error(path, fkv.second, k, "expected 64 hexadecimal digits");
          } else if (sub == "size") mf.size = integer(path, fkv.second, k, 0, INT64_MAX);
          else throw yaml_error(path, fkv.first, k, "unknown key (expected url, sha256, size, name)");
        }
        if (mf.url.empty()) throw yaml_error(path, f, fk + ".url", "missing (expected an http(s) URL)");
        if (mf.url.rfind("http://", 0) != 0 && mf.url.rfind("https://", 0) != 0 && mf.url.rfind("file://", 0) != 0)
          throw yaml_error(path, f["url"], fk + ".url", "expected an http://, https:// or file:// URL");
        if (mf.name.empty()) mf.name = last_segment(mf.url);
        if (mf.name.empty() || mf.name == "." || mf.name == ".." || mf.name.find('/') != std::string::npos)
          throw yaml_error(path, f, fk + ".name", "expected a plain file name (set name: explicitly)");
        m.files.push_back(mf);
      }
    } else if (key == "boxes") {
      fs::path b = scalar(path, v, key);
      m.boxes = b.is_absolute() ? b : path.parent_path() / b;
    } else if (key == "scenes") {
      parse_scene_options(path, v, m.scenes, "scenes");
    } else if (key == "path") {
      fs::path d = scalar(path, v, key);
      if (d.empty()) throw yaml_error(path, v, key, "expected a folder");
      m.path = d.is_absolute() ? d : path.parent_path() / d;
    } else if (key == "imagenet") {
      if (!v.IsMap()) throw yaml_error(path, v, key, "expected a mapping {<class name>: <WNID> or none}");
      for (const auto& c : v) {
        const std::string klass = c.first.Scalar();
        const std::string k = "imagenet." + klass;
        std::string wnid = c.second.IsNull() ? "none" : scalar(path, c.second, k);
        if (wnid == "none") wnid.clear();
        else if (!std::regex_match(wnid, std::regex("n[0-9]{8}")))
          throw yaml_error(path, c.second, k, "expected a WordNet id like n01443537 or none, got '" + wnid + "'");
        m.imagenet.emplace_back(klass, wnid);
      }
    } else if (key == "description" || key == "license" || key == "homepage") {
      // free text for people
    } else {
      throw yaml_error(path, kv.first, key,
                       "unknown key (expected name, layout, auth, files, path, boxes, imagenet, scenes, "
                       "description, license, homepage)");
    }
  }
  if (m.name.empty()) throw yaml_error(path, root, "name", "missing (expected the dataset's name)");
  if (m.layout.empty()) throw yaml_error(path, root, "layout", "missing (expected the parser to use)");
  if (!m.path.empty() && !m.files.empty())
    throw yaml_error(path, root["path"], "path", "given together with files (expected one of them)");
  if (!m.path.empty() && m.layout == "fashion-scenes")
    throw yaml_error(path, root["path"], "path", "not used by the fashion-scenes layout (it renders its own data)");
  if (m.files.empty() && m.path.empty() && m.layout != "fashion-scenes")
    throw yaml_error(path, root, "files", "missing or empty (expected a list of {url, sha256, size}, or path: DIR)");
  return m;
}

static fs::path exe_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

fs::path shipped_datasets_dir() {
  std::error_code ec;
  if (fs::is_directory("datasets", ec)) return fs::absolute("datasets");
  for (fs::path d = exe_dir(); !d.empty(); d = d.parent_path()) {
    if (fs::is_directory(d / "datasets", ec) && fs::exists(d / "CMakeLists.txt", ec)) return d / "datasets";
    if (d == d.parent_path()) break;
  }
  return {};
}

fs::path resolve_manifest(const std::string& name_or_path) {
  const fs::path p(name_or_path);
  std::error_code ec;
  if (p.extension() == ".yaml" || p.extension() == ".yml" || name_or_path.find('/') != std::string::npos) {
    if (!fs::is_regular_file(p, ec)) throw file_error(name_or_path, "manifest not found (expected a YAML file)");
    return p;
  }
  const fs::path dir = shipped_datasets_dir();
  if (!dir.empty() && fs::is_regular_file(dir / (name_or_path + ".yaml"), ec)) return dir / (name_or_path + ".yaml");
  std::string known;
  if (!dir.empty())
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".yaml") known += (known.empty() ? "" : ", ") + e.path().stem().string();
  throw InputError("dataset '" + name_or_path + "': no manifest " +
                   (dir.empty() ? std::string("(no datasets/ folder found)") : (dir / (name_or_path + ".yaml")).string()) +
                   "; expected a shipped name (" + (known.empty() ? "none found" : known) + ") or a path to a .yaml manifest");
}

fs::path cache_root(const std::string& explicit_root) {
  if (!explicit_root.empty()) return fs::absolute(explicit_root);
  if (const char* env = std::getenv("ENTCAM_DATA"); env && *env) return fs::absolute(env);
  const fs::path dir = shipped_datasets_dir();
  return dir.empty() ? fs::absolute("datasets/cache") : dir / "cache";
}

}  // namespace entcam
