#include "report/sanity_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

namespace entcam {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

// A qualitative palette (Tableau 10), BGR.
const cv::Scalar kPalette[] = {{180, 119, 31}, {14, 127, 255}, {44, 160, 44},  {40, 39, 214},  {189, 103, 148},
                               {75, 86, 140},  {194, 119, 227}, {127, 127, 127}, {34, 189, 188}, {207, 190, 23}};

// Text drawn upwards (rotated 90 degrees anticlockwise) with its baseline end at `anchor`.
void put_vertical_text(cv::Mat& img, const std::string& text, cv::Point anchor, double scale) {
  int base = 0;
  const cv::Size size = cv::getTextSize(text, kFont, scale, 1, &base);
  cv::Mat patch(size.height + base + 2, size.width + 2, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(patch, text, {1, size.height + 1}, kFont, scale, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  cv::Mat rotated;
  cv::rotate(patch, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  const cv::Rect r(anchor.x - rotated.cols / 2, anchor.y - rotated.rows, rotated.cols, rotated.rows);
  const cv::Rect clipped = r & cv::Rect(0, 0, img.cols, img.rows);
  if (clipped.area() > 0) rotated(cv::Rect(clipped.x - r.x, clipped.y - r.y, clipped.width, clipped.height)).copyTo(img(clipped));
}

}  // namespace

cv::Mat draw_curve_figure(const std::string& title, const std::string& y_label, const std::vector<std::string>& steps,
                          const std::vector<CurveSeries>& series) {
  const int plot_w = std::max(360, 34 * int(steps.size())), plot_h = 360;
  const int left = 70, top = 44, bottom = 110, legend_w = 210;
  cv::Mat canvas(top + plot_h + bottom, left + plot_w + 20 + legend_w, CV_8UC3, cv::Scalar(255, 255, 255));
  double lo = 0.0;
  for (const auto& s : series)
    for (const auto& p : s.points)
      if (std::isfinite(p.ci_lo)) lo = std::min(lo, p.ci_lo);
  lo = std::floor(lo * 10.0) / 10.0;
  const double hi = 1.0;
  auto x_of = [&](size_t i) {
    return left + (steps.size() <= 1 ? plot_w / 2 : int(std::lround(double(i) * plot_w / double(steps.size() - 1))));
  };
  auto y_of = [&](double v) { return top + int(std::lround((hi - std::clamp(v, lo, hi)) / (hi - lo) * plot_h)); };

  cv::putText(canvas, title, {left, 28}, kFont, 0.6, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  // Grid and y ticks every 0.1 (0.2 when the range is wide).
  const double step = (hi - lo) > 1.0 ? 0.2 : 0.1;
  for (double v = lo; v <= hi + 1e-9; v += step) {
    const int y = y_of(v);
    cv::line(canvas, {left, y}, {left + plot_w, y}, cv::Scalar(225, 225, 225), 1);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    cv::putText(canvas, buf, {left - 40, y + 4}, kFont, 0.4, cv::Scalar(60, 60, 60), 1, cv::LINE_AA);
  }
  put_vertical_text(canvas, y_label, {16, top + plot_h / 2 + 60}, 0.5);
  for (size_t i = 0; i < steps.size(); ++i) {
    cv::line(canvas, {x_of(i), top + plot_h}, {x_of(i), top + plot_h + 4}, cv::Scalar(0, 0, 0), 1);
    put_vertical_text(canvas, steps[i], {x_of(i), top + plot_h + 8 + 90}, 0.4);
  }
  cv::rectangle(canvas, {left, top}, {left + plot_w, top + plot_h}, cv::Scalar(0, 0, 0), 1);

  for (size_t s = 0; s < series.size(); ++s) {
    const cv::Scalar colour = kPalette[s % (sizeof kPalette / sizeof kPalette[0])];
    const auto& pts = series[s].points;
    // CI band: a translucent polygon over the finite points.
    std::vector<cv::Point> upper, lower;
    for (size_t i = 0; i < pts.size() && i < steps.size(); ++i)
      if (std::isfinite(pts[i].ci_lo) && std::isfinite(pts[i].ci_hi)) {
        upper.push_back({x_of(i), y_of(pts[i].ci_hi)});
        lower.push_back({x_of(i), y_of(pts[i].ci_lo)});
      }
    if (upper.size() >= 2) {
      std::vector<cv::Point> poly = upper;
      poly.insert(poly.end(), lower.rbegin(), lower.rend());
      cv::Mat overlay = canvas.clone();
      cv::fillPoly(overlay, std::vector<std::vector<cv::Point>>{poly}, colour, cv::LINE_AA);
      cv::addWeighted(overlay, 0.18, canvas, 0.82, 0, canvas);
    }
    std::vector<cv::Point> line;
    for (size_t i = 0; i < pts.size() && i < steps.size(); ++i)
      if (std::isfinite(pts[i].mean)) line.push_back({x_of(i), y_of(pts[i].mean)});
    if (line.size() >= 2) cv::polylines(canvas, line, false, colour, 2, cv::LINE_AA);
    for (const auto& p : line) cv::circle(canvas, p, 3, colour, cv::FILLED, cv::LINE_AA);
    const int ly = top + 14 + int(s) * 20;
    cv::line(canvas, {left + plot_w + 20, ly - 4}, {left + plot_w + 44, ly - 4}, colour, 3, cv::LINE_AA);
    cv::putText(canvas, series[s].label, {left + plot_w + 50, ly}, kFont, 0.45, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  return canvas;
}

MprtValues mprt_values(const ExplainRecords& records) {
  MprtValues mv;
  mv.layers = records.mprt_layers;
  if (mv.layers.empty()) return mv;
  for (const auto& method : records.methods) {
    auto& sp = mv.spearman[method];
    auto& ss = mv.ssim[method];
    sp.assign(mv.layers.size(), {});
    ss.assign(mv.layers.size(), {});
    for (const auto& item : records.items) {
      const auto& curves = item.methods.at(method).curves;
      const auto a = curves.find("mprt_spearman"), b = curves.find("mprt_ssim");
      if (a == curves.end() || b == curves.end()) continue;
      for (size_t step = 0; step < mv.layers.size(); ++step) {
        sp[step].push_back(step < a->second.size() ? a->second[step] : std::nan(""));
        ss[step].push_back(step < b->second.size() ? b->second[step] : std::nan(""));
      }
    }
  }
  return mv;
}

std::vector<MprtSummary> summarize_mprt(const MprtValues& values, const std::vector<std::string>& order,
                                        const BootstrapOptions& opt) {
  std::vector<MprtSummary> out;
  for (const auto& method : order) {
    auto sp = values.spearman.find(method), ss = values.ssim.find(method);
    if (sp == values.spearman.end() || ss == values.ssim.end()) continue;
    MprtSummary m{method, {}, {}};
    for (const auto& step : sp->second) m.spearman.push_back(summarize(step, opt));
    for (const auto& step : ss->second) m.ssim.push_back(summarize(step, opt));
    out.push_back(std::move(m));
  }
  return out;
}

nlohmann::json mprt_json(const std::vector<std::string>& layers, const std::vector<MprtSummary>& curves) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  auto summary = [&](const Summary& s) {
    return nlohmann::json{{"n", s.n}, {"mean", num(s.mean)}, {"ci95", nlohmann::json::array({num(s.ci_lo), num(s.ci_hi)})}};
  };
  nlohmann::json out = nlohmann::json::object();
  for (const auto& c : curves) {
    nlohmann::json steps = nlohmann::json::array();
    for (size_t i = 0; i < layers.size() && i < c.spearman.size() && i < c.ssim.size(); ++i)
      steps.push_back({{"layer", layers[i]}, {"spearman", summary(c.spearman[i])}, {"ssim", summary(c.ssim[i])}});
    out[c.method] = std::move(steps);
  }
  return out;
}

cv::Mat draw_mprt_figure(const std::string& dataset, const std::vector<std::string>& layers,
                         const std::vector<MprtSummary>& curves, bool spearman) {
  std::vector<std::string> steps{"original"};
  steps.insert(steps.end(), layers.begin(), layers.end());
  std::vector<CurveSeries> series;
  for (const auto& c : curves) {
    CurveSeries s{c.method, {}};
    Summary one;
    one.mean = one.ci_lo = one.ci_hi = 1.0;  // the original map compared with itself
    s.points.push_back(one);
    for (const auto& p : spearman ? c.spearman : c.ssim) s.points.push_back(p);
    series.push_back(std::move(s));
  }
  const std::string measure = spearman ? "Spearman" : "SSIM";
  return draw_curve_figure("Cascading model-parameter randomisation (MPRT), " + dataset,
                           measure + " to the original map", steps, series);
}

}  // namespace entcam
