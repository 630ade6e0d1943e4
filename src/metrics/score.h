#pragma once
// `entcam score` (docs/spec.md §1 "Boxes for score", §3): localisation metrics of maps made by any
// tool against BOXES.json.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/annotations.h"
#include "metrics/localization.h"

namespace entcam {

// BOXES.json through the one parser (data/annotations.h), with at least one image and one
// box per image. Throws InputError naming the file and the key.
std::vector<BoxesImage> read_score_boxes(const std::filesystem::path& path);

// Loads DIR/<id>.npy for every image ([h,w] or [1,h,w] float32), prepares it (resize,
// min-max) and scores it. Returns {"n_images", "metrics", "per_image"} as docs/spec.md §3.
nlohmann::json score_maps(const std::filesystem::path& maps_dir, const std::vector<BoxesImage>& images,
                          const LocalizationOptions& opt);

// A readable table of score_maps' result.
std::string format_score_table(const nlohmann::json& result);

}  // namespace entcam
