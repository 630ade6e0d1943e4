#include "report/html.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"
#include "metrics/registry.h"

namespace entcam {
namespace fs = std::filesystem;
using nlohmann::json;

// The page's stylesheet and script (the project's own, no third-party code).
extern const char* const kReportCss;
extern const char* const kReportJs;

std::string file_stem(const std::string& id) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '-' || (c == '.' && !out.empty())) {
      out += char(c);
    } else {
      out += '_';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out.empty() ? "_" : out;
}

std::string image_thumb_path(const std::string& dataset, const std::string& image_id) {
  return "thumbs/" + file_stem(dataset) + "/" + file_stem(image_id) + ".jpg";
}

std::string maps_thumb_path(const std::string& dataset, const std::string& image_id) {
  return "thumbs/" + file_stem(dataset) + "/" + file_stem(image_id) + ".maps.png";
}

namespace {

void write_encoded(const fs::path& path, const std::string& ext, const cv::Mat& image, const std::vector<int>& params) {
  std::vector<unsigned char> bytes;
  if (image.empty() || !cv::imencode(ext, image, bytes, params)) throw file_error(path.string(), "could not encode " + ext);
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

cv::Mat as_bgr_u8(const cv::Mat& image) {
  if (image.empty()) return cv::Mat(64, 64, CV_8UC3, cv::Scalar(40, 40, 40));
  cv::Mat out;
  if (image.type() == CV_8UC3) return image;
  if (image.type() == CV_8UC1) {
    cv::cvtColor(image, out, cv::COLOR_GRAY2BGR);
    return out;
  }
  image.convertTo(out, CV_8U, image.depth() == CV_32F ? 255.0 : 1.0);
  if (out.channels() == 1) cv::cvtColor(out, out, cv::COLOR_GRAY2BGR);
  return out;
}

// Map -> size x size greyscale, min-max normalised (0 everywhere for an empty or flat map).
cv::Mat map_cell(const cv::Mat& map, int size) {
  cv::Mat cell = cv::Mat::zeros(size, size, CV_8U);
  if (map.empty()) return cell;
  cv::Mat f;
  map.convertTo(f, CV_32F);
  cv::patchNaNs(f, 0.0);
  f.setTo(0.0f, f == std::numeric_limits<float>::infinity());
  f.setTo(0.0f, f == -std::numeric_limits<float>::infinity());
  cv::resize(f, f, {size, size}, 0, 0, cv::INTER_LINEAR);
  double lo = 0, hi = 0;
  cv::minMaxLoc(f, &lo, &hi);
  if (hi > lo) f.convertTo(cell, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
  return cell;
}

bool is_metric_key(const std::string& k) { return k != "dataset" && k != "method" && k != "image"; }

// Rounds to 4 significant digits so the embedded data stays small; NaN/inf -> null.
json compact(double v) {
  if (!std::isfinite(v)) return nullptr;
  if (v == 0) return 0;
  const double scale = std::pow(10.0, 3 - int(std::floor(std::log10(std::fabs(v)))));
  return std::round(v * scale) / scale;
}

// One dataset's gallery: images in per_image order, methods and metrics in first-seen order,
// values[image][method][metric].
json gallery_json(const std::string& dataset, const std::vector<json>& rows, const HtmlOptions& opt) {
  std::vector<std::string> images, methods, metrics;
  std::map<std::string, size_t> image_index, method_index, metric_index;
  std::map<std::string, json> info;  // non-numeric per-image fields (e.g. class names)
  auto index_of = [](std::map<std::string, size_t>& idx, std::vector<std::string>& order, const std::string& key) {
    auto [it, added] = idx.emplace(key, order.size());
    if (added) order.push_back(key);
    return it->second;
  };
  for (const json& r : rows) {
    if (r.value("dataset", std::string()) != dataset || !r.contains("image") || !r.contains("method")) continue;
    const std::string image = r["image"].is_string() ? r["image"].get<std::string>() : r["image"].dump();
    index_of(image_index, images, image);
    index_of(method_index, methods, r["method"].get<std::string>());
    for (const auto& [k, v] : r.items())
      if (is_metric_key(k)) {
        if (v.is_number() || v.is_null()) index_of(metric_index, metrics, k);
        else info[image][k] = v;
      }
  }
  // Metrics in the registry's order first (the order of the tables), unknown ones after.
  std::vector<std::string> ordered;
  for (const auto& m : metric_table())
    if (metric_index.count(m.id)) ordered.push_back(m.id);
  for (const auto& m : metrics)
    if (!find_metric(m)) ordered.push_back(m);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < ordered.size(); ++i) col[ordered[i]] = i;

  std::vector<std::vector<std::vector<json>>> values(
      images.size(), std::vector<std::vector<json>>(methods.size(), std::vector<json>(ordered.size(), nullptr)));
  for (const json& r : rows) {
    if (r.value("dataset", std::string()) != dataset || !r.contains("image") || !r.contains("method")) continue;
    const std::string image = r["image"].is_string() ? r["image"].get<std::string>() : r["image"].dump();
    auto& cell = values[image_index[image]][method_index[r["method"].get<std::string>()]];
    for (const auto& [k, v] : r.items())
      if (is_metric_key(k) && v.is_number()) cell[col[k]] = compact(v.get<double>());
  }
  json g = {{"methods", methods}, {"metrics", ordered}, {"values", values}};
  auto thumbs = opt.thumb_methods.find(dataset);
  json imgs = json::array();
  for (const auto& id : images) {
    json im = {{"id", id}};
    if (thumbs != opt.thumb_methods.end()) {
      im["img"] = image_thumb_path(dataset, id);
      im["maps"] = maps_thumb_path(dataset, id);
    }
    json fields = info.count(id) ? info[id] : json::object();
    if (auto d = opt.image_info.find(dataset); d != opt.image_info.end())
      if (auto it = d->second.find(id); it != d->second.end()) fields.update(it->second);
    if (!fields.empty()) im["info"] = fields;
    imgs.push_back(im);
  }
  g["images"] = imgs;
  if (thumbs != opt.thumb_methods.end()) g["strip"] = thumbs->second;
  return g;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// JSON that is safe inside <script type="application/json">: "</" never appears.
std::string script_safe(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

void write_thumbnails(const fs::path& run_dir, const std::string& dataset, const std::string& image_id,
                      const cv::Mat& image, const std::vector<Box>& boxes, const std::vector<cv::Mat>& maps,
                      const ThumbOptions& opt) {
  const cv::Mat img = as_bgr_u8(image);
  const double scale = double(opt.image_size) / std::max(img.cols, img.rows);
  const int w = std::max(1, int(std::lround(img.cols * scale))), h = std::max(1, int(std::lround(img.rows * scale)));
  cv::Mat small;
  cv::resize(img, small, {w, h}, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  for (const Box& b : boxes)
    cv::rectangle(small, cv::Point(int(b.xmin * scale), int(b.ymin * scale)),
                  cv::Point(int((b.xmax + 1) * scale) - 1, int((b.ymax + 1) * scale) - 1), cv::Scalar(60, 255, 60), 1,
                  cv::LINE_AA);
  write_encoded(run_dir / image_thumb_path(dataset, image_id), ".jpg", small,
                {cv::IMWRITE_JPEG_QUALITY, opt.jpeg_quality});
  if (maps.empty()) return;
  const int s = opt.map_size;
  cv::Mat strip(s, s * int(maps.size()), CV_8U, cv::Scalar(0));
  for (size_t m = 0; m < maps.size(); ++m) map_cell(maps[m], s).copyTo(strip(cv::Rect(int(m) * s, 0, s, s)));
  write_encoded(run_dir / maps_thumb_path(dataset, image_id), ".png", strip, {cv::IMWRITE_PNG_COMPRESSION, 9});
}

std::string render_report_html(const json& report, const std::vector<json>& per_image, const HtmlOptions& opt) {
  const std::string experiment = report.value("experiment", std::string("experiment"));
  const std::string run_id = report.value("run_id", std::string());
  const std::string title = opt.title.empty() ? experiment + (run_id.empty() ? "" : " · " + run_id) : opt.title;

  json data = {{"title", title},
               {"experiment", experiment},
               {"run_id", run_id},
               {"environment", report.value("environment", json::object())},
               {"timing", report.value("timing", json::object())},
               {"figures", opt.figures}};
  json metrics = json::object();
  for (const auto& m : metric_table())
    metrics[m.id] = {{"higher", m.higher_is_better}, {"percent", m.percent}};
  data["metric_info"] = metrics;
  std::vector<std::string> metric_order;
  for (const auto& m : metric_table()) metric_order.push_back(m.id);
  data["metric_order"] = metric_order;

  json datasets = json::array();
  if (report.contains("datasets") && report["datasets"].is_object())
    for (const auto& [name, d] : report["datasets"].items()) {
      json out = json::object();
      out["name"] = name;
      for (const char* key : {"n_train", "n_test", "n_explained", "classes", "training", "layer", "methods", "paired",
                              "by_source", "sources", "excluded_classes", "label_space", "degenerate_maps", "warnings",
                              "sanity"})
        if (d.contains(key)) out[key] = d[key];
      out["gallery"] = gallery_json(name, per_image, opt);
      datasets.push_back(out);
    }
  data["datasets"] = datasets;
  if (report.contains("sweep")) {
    json points = json::array();
    for (const auto& p : report["sweep"]) points.push_back(p.value("point", std::string()));
    data["sweep_points"] = points;
  }
  if (report.contains("sanity")) data["sanity"] = report["sanity"];

  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file: data:; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
       << "<title>" << html_escape(title) << " · entcam report</title>\n<style>\n"
       << kReportCss << "</style>\n</head>\n<body>\n"
       // Colour map for the greyscale map strips: a piecewise-linear approximation of JET
       // (OpenCV's COLORMAP_JET, the colours of the figures) applied per channel.
       << "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><filter id=\"jet\" "
          "color-interpolation-filters=\"sRGB\"><feComponentTransfer>"
          "<feFuncR type=\"table\" tableValues=\"0 0 0 0 0.5 1 1 1 0.5\"/>"
          "<feFuncG type=\"table\" tableValues=\"0 0 0.5 1 1 1 0.5 0 0\"/>"
          "<feFuncB type=\"table\" tableValues=\"0.5 1 1 1 0.5 0 0 0 0\"/>"
          "</feComponentTransfer></filter></svg>\n"
       << "<header><div class=\"wrap\"><h1>" << html_escape(title)
       << "</h1><div id=\"env\" class=\"muted\"></div><nav id=\"nav\"></nav></div></header>\n"
       << "<main class=\"wrap\" id=\"main\"><noscript>This report needs JavaScript for its tables; the same numbers "
          "are in summary.md and report.json.</noscript></main>\n"
       << "<script type=\"application/json\" id=\"report-data\">" << script_safe(data) << "</script>\n<script>\n"
       << kReportJs << "</script>\n</body>\n</html>\n";
  return html.str();
}

void write_report_html(const fs::path& run_dir, const json& report, const std::vector<json>& per_image,
                       HtmlOptions opt) {
  if (opt.figures.empty() && fs::is_directory(run_dir / "figures")) {
    for (const auto& e : fs::directory_iterator(run_dir / "figures"))
      if (e.path().extension() == ".png") opt.figures.push_back("figures/" + e.path().filename().string());
    std::sort(opt.figures.begin(), opt.figures.end());
  }
  write_file_atomic(run_dir / "report.html", render_report_html(report, per_image, opt));
}

std::vector<json> read_per_image_jsonl(const fs::path& file) {
  std::vector<json> rows;
  std::istringstream in(read_file(file));
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      rows.push_back(json::parse(line));
    } catch (const json::exception&) {
      throw file_error(file.string() + ":" + std::to_string(n), "malformed JSON line; expected one JSON object per line");
    }
    if (!rows.back().is_object())
      throw file_error(file.string() + ":" + std::to_string(n), "not a JSON object; expected one JSON object per line");
  }
  return rows;
}

}  // namespace entcam
