#include "report/figures.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "metrics/registry.h"
#include "report/report.h"

namespace entcam {

namespace {

const cv::Scalar kWhite(255, 255, 255), kBlack(0, 0, 0), kGrey(90, 90, 90), kBoxColour(60, 255, 60);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

// Text shrunk until it fits `max_width`.
void put_text_fit(cv::Mat& img, const std::string& text, cv::Point org, double scale, int max_width,
                  const cv::Scalar& colour, int thickness = 1) {
  int base = 0;
  while (scale > 0.3 && cv::getTextSize(text, kFont, scale, thickness, &base).width > max_width) scale *= 0.9;
  cv::putText(img, text, org, kFont, scale, colour, thickness, cv::LINE_AA);
}

cv::Mat to_bgr_u8(const cv::Mat& image) {
  cv::Mat out;
  if (image.empty()) return cv::Mat(64, 64, CV_8UC3, cv::Scalar(40, 40, 40));
  if (image.type() == CV_8UC3) return image;
  if (image.type() == CV_8UC1) {
    cv::cvtColor(image, out, cv::COLOR_GRAY2BGR);
    return out;
  }
  cv::Mat f;
  image.convertTo(f, CV_8U, image.depth() == CV_32F ? 255.0 : 1.0);
  if (f.channels() == 1) cv::cvtColor(f, f, cv::COLOR_GRAY2BGR);
  return f;
}

void draw_boxes(cv::Mat& cell, const std::vector<Box>& boxes, double sx, double sy, int thickness) {
  for (const Box& b : boxes)
    cv::rectangle(cell, cv::Point(int(b.xmin * sx), int(b.ymin * sy)),
                  cv::Point(int((b.xmax + 1) * sx) - 1, int((b.ymax + 1) * sy) - 1), kBoxColour, thickness, cv::LINE_AA);
}

}  // namespace

cv::Mat draw_grid(const std::vector<GridRow>& rows, const std::vector<std::string>& methods, int cell) {
  const int pad = 6, header = 34, label_h = 22;
  const int cols = 1 + int(methods.size());
  const int W = pad + cols * (cell + pad);
  const int H = header + int(rows.size()) * (cell + label_h + pad) + pad;
  cv::Mat canvas(std::max(H, header + pad), W, CV_8UC3, kWhite);
  auto col_x = [&](int c) { return pad + c * (cell + pad); };
  put_text_fit(canvas, "image + boxes", {col_x(0) + 4, header - 12}, 0.55, cell - 8, kBlack);
  for (size_t m = 0; m < methods.size(); ++m)
    put_text_fit(canvas, methods[m], {col_x(int(m) + 1) + 4, header - 12}, 0.55, cell - 8, kBlack);
  for (size_t r = 0; r < rows.size(); ++r) {
    const GridRow& row = rows[r];
    const int y = header + int(r) * (cell + label_h + pad);
    cv::Mat img = to_bgr_u8(row.image), small;
    cv::resize(img, small, {cell, cell}, 0, 0, cv::INTER_AREA);
    const double sx = double(cell) / img.cols, sy = double(cell) / img.rows;
    cv::Mat with_boxes = small.clone();
    draw_boxes(with_boxes, row.boxes, sx, sy, 2);
    with_boxes.copyTo(canvas(cv::Rect(col_x(0), y, cell, cell)));
    put_text_fit(canvas, row.label, {col_x(0) + 2, y + cell + 16}, 0.45, cell - 4, kGrey);
    for (size_t m = 0; m < methods.size(); ++m) {
      cv::Mat overlay = small.clone();
      if (m < row.maps.size() && !row.maps[m].empty()) {
        cv::Mat f;
        row.maps[m].convertTo(f, CV_32F);
        cv::patchNaNs(f, 0.0);
        cv::resize(f, f, {cell, cell}, 0, 0, cv::INTER_LINEAR);
        double lo = 0, hi = 0;
        cv::minMaxLoc(f, &lo, &hi);
        cv::Mat u8;
        if (hi > lo)
          f.convertTo(u8, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
        else
          u8 = cv::Mat::zeros(cell, cell, CV_8U);
        cv::Mat heat;
        cv::applyColorMap(u8, heat, cv::COLORMAP_JET);
        cv::addWeighted(small, 0.5, heat, 0.5, 0, overlay);
      } else {
        put_text_fit(overlay, "no map", {8, cell / 2}, 0.6, cell - 16, kWhite, 2);
      }
      draw_boxes(overlay, row.boxes, sx, sy, 1);
      overlay.copyTo(canvas(cv::Rect(col_x(int(m) + 1), y, cell, cell)));
    }
  }
  return canvas;
}

cv::Mat draw_bar_chart(const std::string& metric, const std::vector<std::pair<std::string, Summary>>& methods) {
  const int label_w = 200, plot_w = 420, value_w = 170, bar_h = 26, gap = 10, top = 56, bottom = 40;
  const int W = label_w + plot_w + value_w + 20;
  const int H = top + int(methods.size()) * (bar_h + gap) + bottom;
  cv::Mat img(H, W, CV_8UC3, kWhite);
  // `metric` may be a title ending in the metric id ("grad_entropy_cam insertion_auc"):
  // direction and units come from the id.
  const std::string id =
      find_metric(metric) || metric.find(' ') == std::string::npos ? metric : metric.substr(metric.rfind(' ') + 1);
  const bool up = higher_is_better(id);
  const MetricInfo* info = find_metric(id);
  cv::putText(img, metric + (up ? "  (higher is better)" : "  (lower is better)"), {12, 26}, kFont, 0.7, kBlack, 2,
              cv::LINE_AA);
  cv::putText(img, "mean with 95% bootstrap CI", {12, 46}, kFont, 0.45, kGrey, 1, cv::LINE_AA);
  // Axis range: [0, 1] for fractions, [0, 100] for percentages, widened to the data.
  double lo = 0, hi = info && info->percent ? 100.0 : 1.0;
  double best = std::nan("");
  for (const auto& [name, s] : methods) {
    for (double v : {s.mean, s.ci_lo, s.ci_hi})
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (std::isfinite(s.mean) && (!std::isfinite(best) || (up ? s.mean > best : s.mean < best))) best = s.mean;
  }
  const int x0 = label_w;
  auto X = [&](double v) { return x0 + int(std::lround((v - lo) / (hi - lo) * plot_w)); };
  // Grid lines at quarters of the range.
  for (int q = 0; q <= 4; ++q) {
    const double v = lo + (hi - lo) * q / 4.0;
    const int x = X(v);
    cv::line(img, {x, top - 4}, {x, H - bottom + 4}, cv::Scalar(225, 225, 225), 1);
    char t[32];
    std::snprintf(t, sizeof t, "%g", std::round(v * 1000) / 1000);
    cv::putText(img, t, {x - 10, H - bottom + 22}, kFont, 0.4, kGrey, 1, cv::LINE_AA);
  }
  cv::line(img, {X(0.0 < lo ? lo : 0.0), top - 4}, {X(0.0 < lo ? lo : 0.0), H - bottom + 4}, kBlack, 1);
  for (size_t i = 0; i < methods.size(); ++i) {
    const auto& [name, s] = methods[i];
    const int y = top + int(i) * (bar_h + gap);
    put_text_fit(img, name, {8, y + bar_h - 8}, 0.55, label_w - 16, kBlack);
    if (!std::isfinite(s.mean)) {
      cv::putText(img, "n/a", {x0 + 6, y + bar_h - 8}, kFont, 0.5, kGrey, 1, cv::LINE_AA);
      continue;
    }
    const bool is_best = s.mean == best;
    const cv::Scalar colour = is_best ? cv::Scalar(40, 140, 230) : cv::Scalar(200, 150, 90);
    const int xa = X(std::min(0.0, s.mean) < lo ? lo : std::min(0.0, s.mean)), xb = X(std::max(0.0, s.mean));
    cv::rectangle(img, {std::min(xa, xb), y}, {std::max(std::max(xa, xb), std::min(xa, xb) + 1), y + bar_h}, colour,
                  cv::FILLED);
    if (std::isfinite(s.ci_lo) && std::isfinite(s.ci_hi)) {
      const int yc = y + bar_h / 2, l = X(s.ci_lo), r = X(s.ci_hi);
      cv::line(img, {l, yc}, {r, yc}, kBlack, 2, cv::LINE_AA);
      cv::line(img, {l, yc - 7}, {l, yc + 7}, kBlack, 2, cv::LINE_AA);
      cv::line(img, {r, yc - 7}, {r, yc + 7}, kBlack, 2, cv::LINE_AA);
    }
    std::string text =
        format_value(id, s.mean) + " [" + format_value(id, s.ci_lo) + ", " + format_value(id, s.ci_hi) + "]";
    put_text_fit(img, text, {label_w + plot_w + 14, y + bar_h - 8}, 0.45, value_w, is_best ? kBlack : kGrey,
                 is_best ? 2 : 1);
  }
  return img;
}

void write_png(const std::filesystem::path& path, const cv::Mat& image) {
  std::vector<unsigned char> bytes;
  if (image.empty() || !cv::imencode(".png", image, bytes)) throw file_error(path.string(), "could not encode PNG");
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace entcam
