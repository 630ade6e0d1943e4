#pragma once
// Dataset manifests, datasets/<name>.yaml (docs/spec.md §3b).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace entcam {

struct ManifestFile {
  std::string url;
  std::string name;    // local file name: `name:` if given, else the URL's last path segment
  std::string sha256;  // empty: unknown in advance; the first download records it
  std::optional<int64_t> size;
};

// Options of the offline `fashion-scenes` layout (manifest key `scenes:`).
struct SceneOptions {
  int count = 3000;         // number of scenes
  int canvas = 96;          // square canvas side in pixels
  int min_items = 1, max_items = 4;
  int min_scale = 28, max_scale = 48;  // item side in pixels (Fashion-MNIST items are 28x28)
  int clutter = 2;          // max clutter fragments from other classes per scene
  uint64_t seed = 7;
  std::vector<std::string> classes;  // Fashion-MNIST class names; empty = all ten
};

struct Manifest {
  std::filesystem::path source;  // the YAML file it was read from
  std::string name;
  std::string layout;  // stanford-dogs | image-folder | kaggle-fruits | kaggle-goldfish | fashion-scenes
  std::string auth = "none";  // none | kaggle
  std::vector<ManifestFile> files;
  std::filesystem::path boxes;  // optional BOXES.json, resolved against the manifest's folder
  SceneOptions scenes;
  // `path: DIR`: a dataset already on disk, read in place (resolved against the manifest's
  // folder); empty when the data comes from `files:`.
  std::filesystem::path path;
  // `imagenet: {class: WNID}`: the ImageNet-1k class of each class name (matched
  // case-insensitively); an empty WNID (`none` or null) marks a class with no counterpart.
  std::vector<std::pair<std::string, std::string>> imagenet;
};

// Reads and validates a manifest. Malformed YAML or a wrong key throws InputError
// "<file>:<line>:<column>: <key>: expected ...".
Manifest load_manifest(const std::filesystem::path& path);

// The fashion-scenes generator settings of a manifest's `scenes:` (section "scenes") or an
// experiment's `datasets[].options`, validated; InputError naming file:line:column and key.
void parse_scene_options(const std::filesystem::path& file, const YAML::Node& node, SceneOptions& options,
                         const std::string& section);

// The datasets/ folder shipped with entcam: ./datasets when it exists, else the first
// datasets/ found walking up from the binary's folder (build/bin -> repo). Empty if none.
std::filesystem::path shipped_datasets_dir();

// NAME (a shipped manifest, datasets/NAME.yaml) or a path to a manifest.
std::filesystem::path resolve_manifest(const std::string& name_or_path);

// Cache root: explicit --root, else $ENTCAM_DATA, else <repo>/datasets/cache.
std::filesystem::path cache_root(const std::string& explicit_root);

}  // namespace entcam
