#pragma once
// `entcam score` (SPEC §1 "Boxes for score", §3): localisation metrics of maps made by any
// tool against BOXES.json.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metrics/localization.h"

namespace entcam {

struct BoxesImage {
  std::string id;
  int width = 0, height = 0;
  std::vector<Box> boxes;
  int cls = -1;  // -1: no class given
};

// Parses BOXES.json = {"images": [{"id", "width", "height", "boxes": [[x0,y0,x1,y1],...],
// "class"?}]}. Anything else throws InputError naming `name`, the key and what was expected.
std::vector<BoxesImage> parse_boxes_json(const std::string& text, const std::string& name);
std::vector<BoxesImage> read_score_boxes(const std::filesystem::path& path);

// Loads DIR/<id>.npy for every image ([h,w] or [1,h,w] float32), prepares it (resize,
// min-max) and scores it. Returns {"n_images", "metrics", "per_image"} as SPEC §3.
nlohmann::json score_maps(const std::filesystem::path& maps_dir, const std::vector<BoxesImage>& images,
                          const LocalizationOptions& opt);

// A readable table of score_maps' result.
std::string format_score_table(const nlohmann::json& result);

}  // namespace entcam
