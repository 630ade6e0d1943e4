#pragma once
// Report figures (issue 5, issue 11): a grid like the seed paper's Figure 1, a bar chart per
// metric with CI whiskers, and curves in small multiples (the MPRT cascade). Drawn once as
// vector graphics with cairo, text set by pango (real fonts), and rendered to PNG (README,
// report.html), PDF (drops into LaTeX with \includegraphics) and SVG. Every file is written atomically.
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

struct CurveSeries {
  std::string label;            // e.g. the method
  std::vector<Summary> points;  // one per step (NaN means are left out of the line)
};

// Small multiples: one panel per series, its mean line with the 95% CI band, the other series'
// means in grey behind it and the last step's mean in the panel's title. `steps` label the x
// axis, left to right (e.g. "original", "classifier", "act4", ...); y runs from
// min(0, lowest CI bound) to 1 in every panel. The step `marked` (when one of `steps`) gets
// a dashed line in every panel.
struct CurvePanels {
  std::string title, subtitle;
  std::vector<std::string> steps;
  std::vector<CurveSeries> series;
  std::string marked;
};
std::string render_curve_panels(const CurvePanels& figure, FigureFormat format);

// `stem`.png, `stem`.pdf and `stem`.svg.
void write_grid(const std::filesystem::path& stem, const std::vector<GridRow>& rows,
                const std::vector<std::string>& methods, int cell = 180);
void write_bar_chart(const std::filesystem::path& stem, const std::string& metric,
                     const std::vector<std::pair<std::string, Summary>>& methods);
void write_curve_panels(const std::filesystem::path& stem, const CurvePanels& figure);

// The PNG renderings as CV_8UC3 BGR images.
cv::Mat draw_grid(const std::vector<GridRow>& rows, const std::vector<std::string>& methods, int cell = 180);
cv::Mat draw_bar_chart(const std::string& metric, const std::vector<std::pair<std::string, Summary>>& methods);
cv::Mat draw_curve_panels(const CurvePanels& figure);

// cv::imencode(".png") then write_file_atomic.
void write_png(const std::filesystem::path& path, const cv::Mat& image);

}  // namespace entcam
