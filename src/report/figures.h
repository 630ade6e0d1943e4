#pragma once
// Report figures drawn with OpenCV (issue 5): a grid like the seed paper's Figure 1 and a
// bar chart per metric with CI whiskers. PNGs are encoded in memory and written atomically.
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <utility>
#include <vector>

#include "metrics/localization.h"
#include "report/stats.h"

namespace entcam {

struct GridRow {
  std::string label;          // e.g. the image id
  cv::Mat image;              // CV_8UC3, BGR
  std::vector<Box> boxes;     // in image pixels
  std::vector<cv::Mat> maps;  // one CV_32F map per method (any size; resized and min-max normalised)
};

// Rows = images; columns = the image with its boxes, then each method's map as a JET colour
// overlay (boxes drawn thinly on top). A header row names the columns. Cells are `cell`
// pixels square. Returns a CV_8UC3 BGR image.
cv::Mat draw_grid(const std::vector<GridRow>& rows, const std::vector<std::string>& methods, int cell = 180);

// One metric across methods: horizontal bars of the means with 95% CI whiskers and values
// printed, the best bar (by the metric's direction) highlighted. `metric` is the metric id,
// or a title whose last word is the id. CV_8UC3 BGR.
cv::Mat draw_bar_chart(const std::string& metric, const std::vector<std::pair<std::string, Summary>>& methods);

// cv::imencode(".png") then write_file_atomic.
void write_png(const std::filesystem::path& path, const cv::Mat& image);

}  // namespace entcam
