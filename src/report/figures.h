#pragma once
// Report figures (issue 5, issue 11): a grid like the seed paper's Figure 1 and a bar chart
// per metric with CI whiskers. Drawn once as vector graphics with cairo, text set by pango
// (real fonts), and rendered to PNG (README, report.html), PDF (drops into LaTeX with
// \includegraphics) and SVG. Every file is written atomically.
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

enum class FigureFormat { png, pdf, svg };

// The file bytes of a figure in one format. Sizes are in points (1/72 inch); the grid's PNG
// has one pixel per point, a bar chart's two.
// Grid: rows = images; columns = the image with its boxes, then each method's map as a JET
// colour overlay with the boxes drawn thinly on top. A header row names the columns. Cells
// are `cell` points square.
std::string render_grid(const std::vector<GridRow>& rows, const std::vector<std::string>& methods,
                        FigureFormat format, int cell = 180);
// One metric across methods: horizontal bars of the means with 95% CI whiskers and values
// printed, the best bar (by the metric's direction) highlighted. `metric` is the metric id,
// or a title whose last word is the id.
std::string render_bar_chart(const std::string& metric, const std::vector<std::pair<std::string, Summary>>& methods,
                             FigureFormat format);

// `stem`.png, `stem`.pdf and `stem`.svg.
void write_grid(const std::filesystem::path& stem, const std::vector<GridRow>& rows,
                const std::vector<std::string>& methods, int cell = 180);
void write_bar_chart(const std::filesystem::path& stem, const std::string& metric,
                     const std::vector<std::pair<std::string, Summary>>& methods);

// The PNG renderings as CV_8UC3 BGR images.
cv::Mat draw_grid(const std::vector<GridRow>& rows, const std::vector<std::string>& methods, int cell = 180);
cv::Mat draw_bar_chart(const std::string& metric, const std::vector<std::pair<std::string, Summary>>& methods);

// cv::imencode(".png") then write_file_atomic.
void write_png(const std::filesystem::path& path, const cv::Mat& image);

}  // namespace entcam
