#include "report/figures.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "metrics/registry.h"
#include "report/report.h"

namespace entcam {

namespace {

// DejaVu Sans ships with Debian (fonts-dejavu-core), so figures look the same everywhere.
constexpr const char* kFontFamily = "DejaVu Sans";

struct Rgb {
  double r, g, b;
};
const Rgb kInk{0.11, 0.14, 0.19}, kMuted{0.40, 0.44, 0.52}, kGridLine{0.89, 0.9, 0.92}, kBoxColour{0.24, 1.0, 0.24},
    kBar{0.36, 0.59, 0.80}, kBestBar{0.90, 0.55, 0.16}, kWhite{1, 1, 1};

void set_colour(cairo_t* cr, const Rgb& c, double alpha = 1.0) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

enum class Align { left, centre, right };

// `text` set in the figures' font at `size` points (bold or not) for `cr`; the caller unrefs it.
PangoLayout* text_layout(cairo_t* cr, const std::string& text, double size, bool bold) {
  PangoLayout* layout = pango_cairo_create_layout(cr);
  PangoFontDescription* font = pango_font_description_new();
  pango_font_description_set_family(font, kFontFamily);
  pango_font_description_set_weight(font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
  pango_layout_set_font_description(layout, font);
  pango_font_description_free(font);
  pango_layout_set_text(layout, text.c_str(), -1);
  return layout;
}

// Text with its top-left (or top-centre / top-right) at (x, y); ellipsised past max_width.
// Returns the height of the laid-out text.
double draw_text(cairo_t* cr, const std::string& text, double x, double y, double size, const Rgb& colour,
                 bool bold = false, double max_width = 0, Align align = Align::left) {
  PangoLayout* layout = text_layout(cr, text, size, bold);
  if (max_width > 0) {
    pango_layout_set_width(layout, int(max_width * PANGO_SCALE));
    pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
  }
  int w = 0, h = 0;
  pango_layout_get_pixel_size(layout, &w, &h);
  const double dx = align == Align::left ? 0 : align == Align::centre ? -w / 2.0 : -double(w);
  set_colour(cr, colour);
  cairo_move_to(cr, x + dx, y);
  pango_cairo_show_layout(cr, layout);
  g_object_unref(layout);
  return h;
}

// The width of `text` as draw_text sets it (regular weight).
double text_width(const std::string& text, double size) {
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
  cairo_t* cr = cairo_create(s);
  PangoLayout* layout = text_layout(cr, text, size, false);
  int w = 0, h = 0;
  pango_layout_get_pixel_size(layout, &w, &h);
  g_object_unref(layout);
  cairo_destroy(cr);
  cairo_surface_destroy(s);
  return w;
}

// Text read bottom to top whose end is at (x, y), hanging below it: x labels under a plot.
void draw_text_upwards(cairo_t* cr, const std::string& text, double x, double y, double size, const Rgb& colour) {
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, -M_PI / 2);
  draw_text(cr, text, 0, -0.62 * size, size, colour, false, 0, Align::right);
  cairo_restore(cr);
}

// A BGR image as a cairo surface (cairo owns the pixels, so PDF/SVG output may keep it).
cairo_surface_t* to_surface(const cv::Mat& bgr) {
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, bgr.cols, bgr.rows);
  cairo_surface_flush(s);
  unsigned char* data = cairo_image_surface_get_data(s);
  const int stride = cairo_image_surface_get_stride(s);
  for (int y = 0; y < bgr.rows; ++y) {
    const cv::Vec3b* src = bgr.ptr<cv::Vec3b>(y);
    auto* dst = reinterpret_cast<uint32_t*>(data + size_t(y) * stride);
    for (int x = 0; x < bgr.cols; ++x) dst[x] = (uint32_t(src[x][2]) << 16) | (uint32_t(src[x][1]) << 8) | src[x][0];
  }
  cairo_surface_mark_dirty(s);
  return s;
}

void free_bytes(void* bytes) { delete static_cast<std::vector<unsigned char>*>(bytes); }

// Draws `bgr` into the square (x, y, size, size). PDF and SVG embed it as a JPEG (quality 92;
// a grid of photographs stays a few hundred kB), the PNG uses the pixels.
void draw_image(cairo_t* cr, const cv::Mat& bgr, double x, double y, double size) {
  cairo_surface_t* s = to_surface(bgr);
  auto* jpeg = new std::vector<unsigned char>();
  if (cv::imencode(".jpg", bgr, *jpeg, {cv::IMWRITE_JPEG_QUALITY, 92}))
    cairo_surface_set_mime_data(s, CAIRO_MIME_TYPE_JPEG, jpeg->data(), jpeg->size(), free_bytes, jpeg);
  else
    delete jpeg;
  cairo_save(cr);
  cairo_rectangle(cr, x, y, size, size);
  cairo_clip(cr);
  cairo_translate(cr, x, y);
  cairo_scale(cr, size / bgr.cols, size / bgr.rows);
  cairo_set_source_surface(cr, s, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
  cairo_paint(cr);
  cairo_restore(cr);
  cairo_surface_destroy(s);
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

// Box outlines (image pixels, corners inclusive) inside the cell at (x, y) of `size` points.
void draw_boxes(cairo_t* cr, const std::vector<Box>& boxes, double x, double y, double sx, double sy, double width) {
  set_colour(cr, kBoxColour);
  cairo_set_line_width(cr, width);
  for (const Box& b : boxes)
    cairo_rectangle(cr, x + b.xmin * sx + width / 2, y + b.ymin * sy + width / 2,
                    (b.xmax + 1 - b.xmin) * sx - width, (b.ymax + 1 - b.ymin) * sy - width);
  cairo_stroke(cr);
}

// The map as a JET overlay on the image, at `side` x `side` pixels; empty map -> empty Mat.
cv::Mat overlay(const cv::Mat& small, const cv::Mat& map) {
  if (map.empty()) return {};
  cv::Mat f;
  map.convertTo(f, CV_32F);
  cv::patchNaNs(f, 0.0);
  cv::resize(f, f, small.size(), 0, 0, cv::INTER_LINEAR);
  double lo = 0, hi = 0;
  cv::minMaxLoc(f, &lo, &hi);
  cv::Mat u8;
  if (hi > lo)
    f.convertTo(u8, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
  else
    u8 = cv::Mat::zeros(small.size(), CV_8U);
  cv::Mat heat, out;
  cv::applyColorMap(u8, heat, cv::COLORMAP_JET);
  cv::addWeighted(small, 0.5, heat, 0.5, 0, out);
  return out;
}

struct Drawing {
  double width = 0, height = 0;
  double png_scale = 1;  // PNG pixels per point
  std::function<void(cairo_t*)> paint;
};

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

void paint_on(cairo_surface_t* surface, const Drawing& d, double scale = 1.0) {
  cairo_t* cr = cairo_create(surface);
  cairo_scale(cr, scale, scale);
  set_colour(cr, kWhite);
  cairo_paint(cr);
  d.paint(cr);
  const cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  if (status != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cairo: ") + cairo_status_to_string(status));
}

cairo_surface_t* raster(const Drawing& d) {
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, int(std::ceil(d.width * d.png_scale)),
                                                  int(std::ceil(d.height * d.png_scale)));
  paint_on(s, d, d.png_scale);
  cairo_surface_flush(s);
  return s;
}

std::string render(const Drawing& d, FigureFormat format) {
  std::string bytes;
  cairo_surface_t* s = nullptr;
  switch (format) {
    case FigureFormat::png: {
      s = raster(d);
      cairo_surface_write_to_png_stream(s, append_bytes, &bytes);
      cairo_surface_destroy(s);
      return bytes;
    }
    case FigureFormat::pdf:
      s = cairo_pdf_surface_create_for_stream(append_bytes, &bytes, d.width, d.height);
      cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "entcam");
      break;
    case FigureFormat::svg:
      s = cairo_svg_surface_create_for_stream(append_bytes, &bytes, d.width, d.height);
      break;
  }
  paint_on(s, d);
  cairo_surface_finish(s);
  const cairo_status_t status = cairo_surface_status(s);
  cairo_surface_destroy(s);
  if (status != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cairo: ") + cairo_status_to_string(status));
  return bytes;
}

cv::Mat to_mat(const Drawing& d) {
  cairo_surface_t* s = raster(d);
  const int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
  cv::Mat bgra(h, w, CV_8UC4, cairo_image_surface_get_data(s), size_t(cairo_image_surface_get_stride(s)));
  cv::Mat bgr;
  cv::cvtColor(bgra, bgr, cv::COLOR_BGRA2BGR);  // RGB24 is B,G,R,x in memory on little-endian
  cairo_surface_destroy(s);
  return bgr;
}

void write_all(const std::filesystem::path& stem, const Drawing& d) {
  for (auto [format, ext] : {std::pair{FigureFormat::png, ".png"}, std::pair{FigureFormat::pdf, ".pdf"},
                             std::pair{FigureFormat::svg, ".svg"}}) {
    std::filesystem::path file = stem;
    file += ext;
    write_file_atomic(file, render(d, format));
  }
}

Drawing grid_drawing(const std::vector<GridRow>& rows, const std::vector<std::string>& methods, int cell) {
  const double pad = 6, header = 30, label_h = 20;
  const int cols = 1 + int(methods.size());
  Drawing d;
  d.width = pad + cols * (cell + pad);
  d.height = std::max(header + rows.size() * (cell + label_h + pad) + pad, header + pad);
  // Raster cells at the image's own resolution, kept between one and two pixels per point.
  d.paint = [rows, methods, cell, pad, header, label_h](cairo_t* cr) {
    auto col_x = [&](int c) { return pad + c * (cell + pad); };
    draw_text(cr, "image + boxes", col_x(0) + cell / 2.0, 8, 12, kInk, true, cell, Align::centre);
    for (size_t m = 0; m < methods.size(); ++m)
      draw_text(cr, methods[m], col_x(int(m) + 1) + cell / 2.0, 8, 12, kInk, true, cell, Align::centre);
    for (size_t r = 0; r < rows.size(); ++r) {
      const GridRow& row = rows[r];
      const double y = header + r * (cell + label_h + pad);
      const cv::Mat img = to_bgr_u8(row.image);
      const int side = std::clamp(std::max(img.cols, img.rows), cell, 2 * cell);
      cv::Mat small;
      cv::resize(img, small, {side, side}, 0, 0, side < std::max(img.cols, img.rows) ? cv::INTER_AREA : cv::INTER_LINEAR);
      const double sx = double(cell) / img.cols, sy = double(cell) / img.rows;
      draw_image(cr, small, col_x(0), y, cell);
      draw_boxes(cr, row.boxes, col_x(0), y, sx, sy, 2.0);
      draw_text(cr, row.label, col_x(0) + 2, y + cell + 3, 10, kMuted, false, cell - 4);
      for (size_t m = 0; m < methods.size(); ++m) {
        const double x = col_x(int(m) + 1);
        const cv::Mat over = m < row.maps.size() ? overlay(small, row.maps[m]) : cv::Mat();
        draw_image(cr, over.empty() ? small : over, x, y, cell);
        if (over.empty()) {
          set_colour(cr, kInk, 0.6);
          cairo_rectangle(cr, x, y, cell, cell);
          cairo_fill(cr);
          draw_text(cr, "no map", x + cell / 2.0, y + cell / 2.0 - 8, 13, kWhite, true, cell, Align::centre);
        }
        draw_boxes(cr, row.boxes, x, y, sx, sy, 1.0);
      }
    }
  };
  return d;
}

Drawing bar_drawing(const std::string& metric, const std::vector<std::pair<std::string, Summary>>& methods) {
  const double label_w = 190, plot_w = 420, value_w = 180, bar_h = 22, gap = 10, top = 62, bottom = 36;
  Drawing d;
  d.png_scale = 2;  // small charts: crisp text in the README and the page
  d.width = label_w + plot_w + value_w + 20;
  d.height = top + methods.size() * (bar_h + gap) + bottom;
  // `metric` may be a title ending in the metric id ("grad_entropy_cam insertion_auc"):
  // direction and units come from the id.
  const std::string id =
      find_metric(metric) || metric.find(' ') == std::string::npos ? metric : metric.substr(metric.rfind(' ') + 1);
  const double height = d.height;
  d.paint = [=](cairo_t* cr) {
    const bool up = higher_is_better(id);
    const MetricInfo* info = find_metric(id);
    draw_text(cr, metric, 12, 10, 16, kInk, true);
    draw_text(cr, std::string("mean with 95% bootstrap CI · ") + (up ? "higher is better" : "lower is better"), 12, 34,
              11, kMuted);
    // Axis range: [0, 1] for fractions, [0, 100] for percentages, widened to the data.
    double lo = 0, hi = info && info->percent ? 100.0 : 1.0;
    double best = std::nan("");
    for (const auto& [name, s] : methods) {
      for (double v : {s.mean, s.ci_lo, s.ci_hi})
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
      if (std::isfinite(s.mean) && (!std::isfinite(best) || (up ? s.mean > best : s.mean < best))) best = s.mean;
    }
    const double x0 = label_w, y_end = height - bottom;
    auto X = [&](double v) { return x0 + (v - lo) / (hi - lo) * plot_w; };
    cairo_set_line_width(cr, 0.8);
    for (int q = 0; q <= 4; ++q) {  // grid lines at quarters of the range
      const double v = lo + (hi - lo) * q / 4.0, x = X(v);
      set_colour(cr, kGridLine);
      cairo_move_to(cr, x, top - 4);
      cairo_line_to(cr, x, y_end + 4);
      cairo_stroke(cr);
      char t[32];
      std::snprintf(t, sizeof t, "%g", std::round(v * 1000) / 1000);
      draw_text(cr, t, x, y_end + 8, 10, kMuted, false, 0, Align::centre);
    }
    set_colour(cr, kInk);
    cairo_move_to(cr, X(0.0 < lo ? lo : 0.0), top - 4);
    cairo_line_to(cr, X(0.0 < lo ? lo : 0.0), y_end + 4);
    cairo_stroke(cr);
    for (size_t i = 0; i < methods.size(); ++i) {
      const auto& [name, s] = methods[i];
      const double y = top + i * (bar_h + gap);
      draw_text(cr, name, label_w - 10, y + 3, 12, kInk, false, label_w - 16, Align::right);
      if (!std::isfinite(s.mean)) {
        draw_text(cr, "n/a", x0 + 6, y + 3, 12, kMuted);
        continue;
      }
      const bool is_best = s.mean == best;
      const double xa = X(std::max(lo, std::min(0.0, s.mean))), xb = X(std::max(0.0, s.mean));
      set_colour(cr, is_best ? kBestBar : kBar);
      cairo_rectangle(cr, std::min(xa, xb), y, std::max(std::fabs(xb - xa), 1.0), bar_h);
      cairo_fill(cr);
      if (std::isfinite(s.ci_lo) && std::isfinite(s.ci_hi)) {
        const double yc = y + bar_h / 2, l = X(s.ci_lo), r = X(s.ci_hi);
        set_colour(cr, kInk);
        cairo_set_line_width(cr, 1.4);
        cairo_move_to(cr, l, yc);
        cairo_line_to(cr, r, yc);
        cairo_move_to(cr, l, yc - 6);
        cairo_line_to(cr, l, yc + 6);
        cairo_move_to(cr, r, yc - 6);
        cairo_line_to(cr, r, yc + 6);
        cairo_stroke(cr);
      }
      const std::string text =
          format_value(id, s.mean) + "  [" + format_value(id, s.ci_lo) + ", " + format_value(id, s.ci_hi) + "]";
      draw_text(cr, text, label_w + plot_w + 14, y + 4, 11, is_best ? kInk : kMuted, is_best, value_w);
    }
  };
  return d;
}

Drawing curve_panels_drawing(const CurvePanels& figure) {
  const std::string title = figure.title, subtitle = figure.subtitle;
  const std::vector<std::string> steps = figure.steps;
  const std::vector<CurveSeries> series = figure.series;
  const size_t n = series.size();
  const size_t mark = size_t(std::find(steps.begin(), steps.end(), figure.marked) - steps.begin());
  const int cols = int(std::clamp<size_t>(n, 1, 4)), rows = int((std::max<size_t>(n, 1) + cols - 1) / cols);
  const double left = 58, top = 80, right = 16, panel_w = std::max(190.0, 10.0 * double(steps.size())), panel_h = 118,
               panel_title = 20, gap_x = 18, gap_y = 16, tick_size = 8.5;
  // Step names go under the panels with no panel below them; a row makes room for them when
  // it has such a panel.
  auto has_labels = [n, cols](size_t k) { return k + size_t(cols) >= n; };
  double label_h = 0;
  for (const auto& s : steps) label_h = std::max(label_h, text_width(s, tick_size) + 10);
  std::vector<double> row_top{top};
  for (int r = 0; r < rows; ++r)
    row_top.push_back(row_top.back() + panel_title + panel_h + gap_y +
                      (has_labels(std::min(n - 1, size_t(r + 1) * cols - 1)) ? label_h : 0.0));
  Drawing d;
  d.png_scale = 2;
  d.width = left + cols * panel_w + (cols - 1) * gap_x + right;
  d.height = row_top.back();
  // y from min(0, the lowest CI bound) rounded down to a tenth, to 1 (the original map itself).
  double lo = 0;
  for (const auto& s : series)
    for (const auto& p : s.points)
      if (std::isfinite(p.ci_lo)) lo = std::min(lo, p.ci_lo);
  lo = std::floor(lo * 10.0) / 10.0;
  d.paint = [=](cairo_t* cr) {
    draw_text(cr, title, 12, 10, 16, kInk, true);
    draw_text(cr, subtitle, 12, 34, 11, kMuted);
    auto x_of = [&](double x0, size_t i) {
      return x0 + (steps.size() <= 1 ? panel_w / 2 : double(i) * panel_w / double(steps.size() - 1));
    };
    auto y_of = [&](double y0, double v) { return y0 + (1.0 - std::clamp(v, lo, 1.0)) / (1.0 - lo) * panel_h; };
    auto trace_means = [&](double x0, double y0, const std::vector<Summary>& pts) {  // NaN breaks the line
      bool open = false;
      for (size_t i = 0; i < pts.size() && i < steps.size(); ++i) {
        const double v = pts[i].mean;
        if (!std::isfinite(v)) {
          open = false;
          continue;
        }
        open ? cairo_line_to(cr, x_of(x0, i), y_of(y0, v)) : cairo_move_to(cr, x_of(x0, i), y_of(y0, v));
        open = true;
      }
    };
    for (size_t k = 0; k < n; ++k) {
      const int r = int(k) / cols, c = int(k) % cols;
      const double x0 = left + c * (panel_w + gap_x), y0 = row_top[size_t(r)] + panel_title;
      const auto& pts = series[k].points;
      double last = std::nan("");
      for (const auto& p : pts) last = std::isfinite(p.mean) ? p.mean : last;
      char value[32];
      std::snprintf(value, sizeof value, "  %.2f", last);
      draw_text(cr, series[k].label + (std::isfinite(last) ? value : ""), x0, y0 - panel_title + 2, 11.5, kInk, true,
                panel_w);
      // Frame, grid lines every 0.5 and the zero line.
      set_colour(cr, kGridLine);
      cairo_set_line_width(cr, 0.7);
      for (double v = std::ceil(lo * 2) / 2; v <= 1.0 + 1e-9; v += 0.5) {
        cairo_move_to(cr, x0, y_of(y0, v));
        cairo_line_to(cr, x0 + panel_w, y_of(y0, v));
      }
      for (size_t i = 0; i < steps.size(); ++i) {
        cairo_move_to(cr, x_of(x0, i), y0 + panel_h);
        cairo_line_to(cr, x_of(x0, i), y0 + panel_h + 3);
      }
      cairo_stroke(cr);
      if (mark < steps.size()) {
        const double dash[] = {3.0, 2.5};
        cairo_set_dash(cr, dash, 2, 0);
        set_colour(cr, kBestBar);
        cairo_set_line_width(cr, 1.0);
        cairo_move_to(cr, x_of(x0, mark), y0);
        cairo_line_to(cr, x_of(x0, mark), y0 + panel_h);
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
        cairo_set_line_width(cr, 0.7);
      }
      set_colour(cr, kMuted);
      cairo_rectangle(cr, x0, y0, panel_w, panel_h);
      cairo_stroke(cr);
      if (c == 0)
        for (double v = std::ceil(lo * 2) / 2; v <= 1.0 + 1e-9; v += 0.5) {
          char t[16];
          std::snprintf(t, sizeof t, "%g", std::fabs(v) < 1e-9 ? 0.0 : v);
          draw_text(cr, t, x0 - 5, y_of(y0, v) - 6, 9.5, kMuted, false, 0, Align::right);
        }
      if (has_labels(k))
        for (size_t i = 0; i < steps.size(); ++i) draw_text_upwards(cr, steps[i], x_of(x0, i), y0 + panel_h + 6, tick_size, kMuted);
      // The other series for context, then this one's CI band, mean line and points.
      cairo_save(cr);
      cairo_rectangle(cr, x0, y0 - 3, panel_w, panel_h + 6);
      cairo_clip(cr);
      cairo_set_line_width(cr, 0.8);
      set_colour(cr, kMuted, 0.25);
      for (size_t o = 0; o < n; ++o)
        if (o != k) {
          trace_means(x0, y0, series[o].points);
          cairo_stroke(cr);
        }
      for (size_t i = 0; i + 1 < pts.size() && i + 1 < steps.size(); ++i) {
        const Summary &a = pts[i], &b = pts[i + 1];
        if (!std::isfinite(a.ci_lo) || !std::isfinite(a.ci_hi) || !std::isfinite(b.ci_lo) || !std::isfinite(b.ci_hi))
          continue;
        cairo_move_to(cr, x_of(x0, i), y_of(y0, a.ci_hi));
        cairo_line_to(cr, x_of(x0, i + 1), y_of(y0, b.ci_hi));
        cairo_line_to(cr, x_of(x0, i + 1), y_of(y0, b.ci_lo));
        cairo_line_to(cr, x_of(x0, i), y_of(y0, a.ci_lo));
        cairo_close_path(cr);
      }
      set_colour(cr, kBar, 0.22);
      cairo_fill(cr);
      set_colour(cr, kBar);
      cairo_set_line_width(cr, 1.8);
      cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
      trace_means(x0, y0, pts);
      cairo_stroke(cr);
      for (size_t i = 0; i < pts.size() && i < steps.size(); ++i)
        if (std::isfinite(pts[i].mean)) {
          cairo_arc(cr, x_of(x0, i), y_of(y0, pts[i].mean), 1.9, 0, 2 * M_PI);
          cairo_fill(cr);
        }
      cairo_restore(cr);
    }
  };
  return d;
}

}  // namespace

std::string render_grid(const std::vector<GridRow>& rows, const std::vector<std::string>& methods, FigureFormat format,
                        int cell) {
  return render(grid_drawing(rows, methods, cell), format);
}

std::string render_bar_chart(const std::string& metric, const std::vector<std::pair<std::string, Summary>>& methods,
                             FigureFormat format) {
  return render(bar_drawing(metric, methods), format);
}

void write_grid(const std::filesystem::path& stem, const std::vector<GridRow>& rows,
                const std::vector<std::string>& methods, int cell) {
  write_all(stem, grid_drawing(rows, methods, cell));
}

void write_bar_chart(const std::filesystem::path& stem, const std::string& metric,
                     const std::vector<std::pair<std::string, Summary>>& methods) {
  write_all(stem, bar_drawing(metric, methods));
}

std::string render_curve_panels(const CurvePanels& figure, FigureFormat format) {
  return render(curve_panels_drawing(figure), format);
}

void write_curve_panels(const std::filesystem::path& stem, const CurvePanels& figure) {
  write_all(stem, curve_panels_drawing(figure));
}

cv::Mat draw_grid(const std::vector<GridRow>& rows, const std::vector<std::string>& methods, int cell) {
  return to_mat(grid_drawing(rows, methods, cell));
}

cv::Mat draw_bar_chart(const std::string& metric, const std::vector<std::pair<std::string, Summary>>& methods) {
  return to_mat(bar_drawing(metric, methods));
}

cv::Mat draw_curve_panels(const CurvePanels& figure) { return to_mat(curve_panels_drawing(figure)); }

void write_png(const std::filesystem::path& path, const cv::Mat& image) {
  std::vector<unsigned char> bytes;
  if (image.empty() || !cv::imencode(".png", image, bytes)) throw file_error(path.string(), "could not encode PNG");
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace entcam
