#include "metrics/score.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "core/npy.h"

namespace entcam {

using nlohmann::json;

std::vector<BoxesImage> read_score_boxes(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::vector<BoxesImage> images = read_boxes_json(path);
  // scoring needs something to score against
  if (images.empty()) throw file_error(name, "\"images\" is empty; expected at least one image");
  for (size_t i = 0; i < images.size(); ++i)
    if (images[i].boxes.empty())
      throw file_error(name, "images[" + std::to_string(i) +
                                 "].boxes: expected a non-empty array of [xmin, ymin, xmax, ymax]");
  return images;
}

json score_maps(const std::filesystem::path& maps_dir, const std::vector<BoxesImage>& images,
                const LocalizationOptions& opt) {
  if (!std::filesystem::is_directory(maps_dir)) throw file_error(maps_dir.string(), "expected a folder of <id>.npy maps");
  std::vector<LocalizationInput> inputs;
  inputs.reserve(images.size());
  for (const BoxesImage& im : images) {
    const std::filesystem::path file = maps_dir / (im.id + ".npy");
    if (!std::filesystem::exists(file))
      throw file_error(file.string(), "missing map for image \"" + im.id + "\" (expected float32 [h,w] .npy)");
    NpyArray a = read_npy(file);
    std::vector<int64_t> shape = a.shape;
    while (shape.size() > 2 && shape.front() == 1) shape.erase(shape.begin());
    if (shape.size() != 2 || shape[0] <= 0 || shape[1] <= 0)
      throw file_error(file.string(), "expected a 2-D float32 map [h,w]");
    LocalizationInput in;
    in.id = im.id;
    in.map = prepare_map(a.data.data(), int(shape[0]), int(shape[1]), im.width, im.height, file.string());
    in.boxes = im.boxes;
    in.cls = im.cls;
    inputs.push_back(std::move(in));
  }
  const LocalizationScores s = score_localization(inputs, opt);
  json metrics = json::object();
  for (const auto& [k, v] : s.aggregate) metrics[k] = v;
  json per_image = json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    json row = json::object();
    row["id"] = inputs[i].id;
    for (size_t m = 0; m < s.metric_names.size(); ++m) row[s.metric_names[m]] = s.per_image[i][m];
    per_image.push_back(std::move(row));
  }
  json out = json::object();
  out["n_images"] = inputs.size();
  out["metrics"] = std::move(metrics);
  out["per_image"] = std::move(per_image);
  return out;
}

std::string format_score_table(const json& result) {
  std::string s = "entcam score: " + std::to_string(result.at("n_images").get<long long>()) + " images\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-26s %8s\n", "metric", "value");
  s += line;
  s += std::string(35, '-') + "\n";
  for (const auto& [k, v] : result.at("metrics").items()) {
    std::snprintf(line, sizeof line, "%-26s %8.4f\n", k.c_str(), v.get<double>());
    s += line;
  }
  return s;
}

}  // namespace entcam
