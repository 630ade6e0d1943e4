#pragma once
// report.html (docs/spec.md §4): one self-contained page beside report.json that opens offline from
// the run folder. Tables, charts and a gallery of every explained image; the page's data is
// embedded as JSON, its script is the project's own (report/html_page.inc), and every file it
// links lies inside the run folder (figures/*.png, thumbs/...).
//
// Thumbnails are cheap on purpose (2,000 images x 12 methods must stay small and quick to
// write): per image one JPEG of the image with its boxes and one 8-bit greyscale PNG strip
// holding every method's map side by side at a low resolution. The page shows one strip cell
// per method, colours it with an SVG colour-map filter and lays it over the image, so no
// colour overlay is ever encoded per (image, method), and an image costs two files.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <utility>
#include <vector>

#include "metrics/localization.h"

namespace entcam {

// Where an image's thumbnails live, relative to the run folder:
//   thumbs/<dataset stem>/<image stem>.jpg             the image with its boxes
//   thumbs/<dataset stem>/<image stem>.maps.png       the maps, one square cell per method
// A stem keeps [A-Za-z0-9.-] and writes any other byte as _XX (hex), so distinct ids never
// collide and no id can leave the folder.
std::string file_stem(const std::string& id);
std::string image_thumb_path(const std::string& dataset, const std::string& image_id);
std::string maps_thumb_path(const std::string& dataset, const std::string& image_id);

struct ThumbOptions {
  int image_size = 128;  // longer side of the image thumbnail, pixels
  int map_size = 32;     // the map is resized (bilinear) to this square before encoding
  int jpeg_quality = 85;
};

// Writes the two thumbnails of one image under `run_dir` (atomic writes). `image` is CV_8UC3
// BGR (any size), boxes in its pixels; `maps` are CV_32F at any resolution, one per method in
// the order the page is told (HtmlOptions::thumb_methods), each resized bilinearly and
// min-max normalised here (non-finite values become 0; an all-equal or empty map is black).
void write_thumbnails(const std::filesystem::path& run_dir, const std::string& dataset, const std::string& image_id,
                      const cv::Mat& image, const std::vector<Box>& boxes, const std::vector<cv::Mat>& maps,
                      const ThumbOptions& opt = {});

struct HtmlOptions {
  std::string title;  // default: "<experiment> · <run id>"
  // Datasets whose gallery has thumbnails (written by write_thumbnails), with the methods of
  // their map strips in strip order; a dataset not listed gets a gallery of metrics only.
  std::map<std::string, std::vector<std::string>> thumb_methods;
  // Shown under each gallery image: dataset -> image id -> {"<field>": value} (e.g. the true
  // and the explained class).
  std::map<std::string, std::map<std::string, nlohmann::json>> image_info;
  // Figures (relative paths under the run folder, e.g. "figures/bars-x-pointing_game.png")
  // shown in the page; the writer lists run_dir/figures itself when empty.
  std::vector<std::string> figures;
};

// The page as a string. `report` is report.json's object; `per_image` the rows of
// per_image.jsonl ({"dataset", "method", "image", "<metric>": value, ...}).
std::string render_report_html(const nlohmann::json& report, const std::vector<nlohmann::json>& per_image,
                               const HtmlOptions& opt = {});

// render_report_html written atomically to run_dir/report.html. Lists run_dir/figures/*.png
// when opt.figures is empty.
void write_report_html(const std::filesystem::path& run_dir, const nlohmann::json& report,
                       const std::vector<nlohmann::json>& per_image, HtmlOptions opt = {});

// Reads per_image.jsonl (one JSON object per line; blank lines skipped). Bad JSON exits 2
// naming the file and line.
std::vector<nlohmann::json> read_per_image_jsonl(const std::filesystem::path& file);

}  // namespace entcam
