#include "metrics/score.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "core/npy.h"

namespace entcam {

namespace {

using nlohmann::json;

// An integer JSON value (an integral float such as 12.0 is accepted too).
bool as_int(const json& v, long long& out) {
  if (v.is_number_integer()) {
    out = v.get<long long>();
    return true;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      out = static_cast<long long>(d);
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<BoxesImage> parse_boxes_json(const std::string& text, const std::string& name) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    throw file_error(name, std::string("not valid JSON (") + e.what() + ")");
  }
  if (!doc.is_object() || !doc.contains("images") || !doc["images"].is_array())
    throw file_error(name, "expected an object with an \"images\" array");
  const json& arr = doc["images"];
  if (arr.empty()) throw file_error(name, "\"images\" is empty; expected at least one image");
  std::vector<BoxesImage> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < arr.size(); ++i) {
    const json& im = arr[i];
    const std::string where = "images[" + std::to_string(i) + "]";
    if (!im.is_object()) throw file_error(name, where + ": expected an object");
    BoxesImage b;
    if (!im.contains("id") || !im["id"].is_string() || im["id"].get<std::string>().empty())
      throw file_error(name, where + ".id: expected a non-empty string");
    b.id = im["id"].get<std::string>();
    if (!seen.insert(b.id).second) throw file_error(name, where + ".id: \"" + b.id + "\" appears twice");
    long long w = 0, h = 0;
    if (!im.contains("width") || !as_int(im["width"], w) || w <= 0 || w > 1000000)
      throw file_error(name, where + ".width: expected a positive integer");
    if (!im.contains("height") || !as_int(im["height"], h) || h <= 0 || h > 1000000)
      throw file_error(name, where + ".height: expected a positive integer");
    b.width = int(w);
    b.height = int(h);
    if (!im.contains("boxes") || !im["boxes"].is_array() || im["boxes"].empty())
      throw file_error(name, where + ".boxes: expected a non-empty array of [xmin, ymin, xmax, ymax]");
    const json& boxes = im["boxes"];
    for (size_t k = 0; k < boxes.size(); ++k) {
      const std::string bwhere = where + ".boxes[" + std::to_string(k) + "]";
      const json& bx = boxes[k];
      long long c[4];
      if (!bx.is_array() || bx.size() != 4 || !as_int(bx[0], c[0]) || !as_int(bx[1], c[1]) || !as_int(bx[2], c[2]) ||
          !as_int(bx[3], c[3]))
        throw file_error(name, bwhere + ": expected [xmin, ymin, xmax, ymax] of 4 integers (0-based, inclusive)");
      if (c[0] < 0 || c[1] < 0 || c[0] > c[2] || c[1] > c[3] || c[2] > 10000000 || c[3] > 10000000)
        throw file_error(name, bwhere + ": expected 0 <= xmin <= xmax and 0 <= ymin <= ymax");
      if (c[0] >= w || c[1] >= h)
        throw file_error(name, bwhere + ": box starts outside the " + std::to_string(w) + "x" + std::to_string(h) +
                                   " image");
      b.boxes.push_back({int(c[0]), int(c[1]), int(c[2]), int(c[3])});
    }
    if (im.contains("class") && !im["class"].is_null()) {
      long long cls = 0;
      if (!as_int(im["class"], cls) || cls < 0 || cls > 100000000)
        throw file_error(name, where + ".class: expected a non-negative integer");
      b.cls = int(cls);
    }
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<BoxesImage> read_score_boxes(const std::filesystem::path& path) {
  return parse_boxes_json(read_file(path), path.string());
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
