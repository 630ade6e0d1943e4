#include "report/run_report.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>

#include "core/fs.h"
#include "data/loader.h"
#include "report/figures.h"
#include "report/html.h"
#include "report/report.h"
#include "report/sanity_report.h"
#include "report/stats.h"

namespace entcam {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The network input [3,H,W] back to an 8-bit BGR image (the input spec's normalisation undone).
cv::Mat input_to_bgr(const torch::Tensor& chw, const InputSpec& in) {
  auto mean = torch::tensor(std::vector<float>(in.mean.begin(), in.mean.end())).view({3, 1, 1});
  auto sd = torch::tensor(std::vector<float>(in.std.begin(), in.std.end())).view({3, 1, 1});
  auto img = ((chw * sd + mean).permute({1, 2, 0}).clamp(0, 1) * 255).to(torch::kUInt8).contiguous();
  cv::Mat rgb(int(img.size(0)), int(img.size(1)), CV_8UC3, img.data_ptr<uint8_t>());
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

// An explained item as the figures draw it: the image fed to the network (normalisation
// undone), its boxes and each method's map. False when the loader skips the image.
bool load_grid_row(Loader& loader, const DatasetResult& d, const ItemRecord& item, GridRow& row) {
  Batch b = loader.load({item.sample});
  if (b.indices.empty()) return false;
  row.label = item.id;
  row.image = input_to_bgr(b.images[0], d.input);
  row.boxes = b.boxes[0];
  row.maps.clear();
  for (const auto& m : d.records.methods) {
    const MethodRecord& r = item.methods.at(m);
    row.maps.push_back(cv::Mat(int(r.height), int(r.width), CV_32F, const_cast<float*>(r.map.data())).clone());
  }
  return true;
}

// The figures of one dataset: a grid like the seed paper's Figure 1 and a bar chart per metric,
// each as PNG, PDF and SVG.
void write_figures(const fs::path& dir, const DatasetResult& d, const ReportSettings& s,
                   const std::vector<MethodAggregate>& aggregates) {
  std::map<std::string, std::vector<std::pair<std::string, Summary>>> by_metric;
  for (const auto& a : aggregates)
    for (const auto& [metric, summary] : a.metrics) by_metric[metric].emplace_back(a.method, summary);
  for (const auto& [metric, rows] : by_metric) write_bar_chart(dir / ("bars-" + d.name + "-" + metric), metric, rows);
  const auto& items = d.records.items;
  if (!d.dataset || s.grid_images <= 0 || items.empty()) return;
  Loader loader(*d.dataset, {}, eval_loader_options(d.input, 1, s.seed));
  std::vector<GridRow> rows;
  // Rows spread evenly over the explained images, so that every class tends to appear.
  const size_t stride = std::max<size_t>(1, items.size() / size_t(s.grid_images));
  for (size_t i = 0; i < items.size() && int(rows.size()) < s.grid_images; i += stride) {
    GridRow row;
    if (load_grid_row(loader, d, items[i], row)) rows.push_back(std::move(row));
  }
  if (!rows.empty()) write_grid(dir / ("grid-" + d.name), rows, d.records.methods);
}

// report.html's gallery thumbnails of every explained image of one dataset (report/html.h)
// and what the page shows under each image.
void write_gallery(const fs::path& run_dir, const DatasetResult& d, const ReportSettings& s, HtmlOptions& html) {
  auto class_name = [&](int64_t k) {
    return k >= 0 && size_t(k) < d.classes.size() ? d.classes[size_t(k)] : std::to_string(k);
  };
  auto& info = html.image_info[d.name];
  for (const ItemRecord& item : d.records.items)
    info[item.id] = {{"class", class_name(item.label)}, {"explained", class_name(item.explained)}};
  if (!d.dataset || d.records.items.empty()) return;
  Loader loader(*d.dataset, {}, eval_loader_options(d.input, 1, s.seed));
  for (const ItemRecord& item : d.records.items) {
    GridRow row;
    if (load_grid_row(loader, d, item, row)) write_thumbnails(run_dir, d.name, row.label, row.image, row.boxes, row.maps);
  }
  html.thumb_methods[d.name] = d.records.methods;
}

// The rows of `scores` (image positions) kept, in order.
DatasetScores subset_scores(const DatasetScores& scores, const std::vector<size_t>& rows) {
  DatasetScores out;
  out.dataset = scores.dataset;
  for (size_t r : rows) out.image_ids.push_back(scores.image_ids[r]);
  for (const auto& m : scores.methods) {
    MethodScores ms{m.method, {}};
    for (const auto& [metric, values] : m.metrics) {
      std::vector<double> v;
      for (size_t r : rows) v.push_back(values[r]);
      ms.metrics.emplace_back(metric, v);
    }
    out.methods.push_back(std::move(ms));
  }
  return out;
}

// summary.md lines on where a pool's images came from and which classes were left out.
std::string sources_markdown(const std::string& dataset, const json& pool) {
  std::string md = "### " + dataset + ": sources (label space " + pool.value("label_space", std::string("union")) +
                   ")\n\n| source | images | train | test | classes |\n|---|---|---|---|---|\n";
  for (const auto& src : pool["sources"])
    md += "| " + src["name"].get<std::string>() + " | " + std::to_string(src["images"].get<int64_t>()) + " | " +
          std::to_string(src["n_train"].get<int64_t>()) + " | " + std::to_string(src["n_test"].get<int64_t>()) + " | " +
          std::to_string(src["classes"].size()) + " |\n";
  if (pool["excluded_classes"].empty()) return md + "\nNo class was left out.\n\n";
  md += "\nLeft out (no ImageNet-1k class):\n\n| source | class | images |\n|---|---|---|\n";
  for (const auto& e : pool["excluded_classes"])
    md += "| " + e["source"].get<std::string>() + " | " + e["class"].get<std::string>() + " | " +
          std::to_string(e["images"].get<int64_t>()) + " |\n";
  return md + "\n";
}

// by_source (docs/spec.md §3c): every metric per source, with n/mean/ci95 as the pooled ones; the
// sources a pool lists appear even when none of their images was explained. Items without
// a source belong to the dataset itself.
json by_source_section(const DatasetResult& d, const DatasetScores& scores, const json& methods,
                       const BootstrapOptions& bo, std::string& summary) {
  std::map<std::string, std::vector<size_t>> rows;
  if (d.pool.contains("sources"))
    for (const auto& src : d.pool["sources"]) rows[src["name"].get<std::string>()];
  const auto& items = d.records.items;
  for (size_t i = 0; i < items.size(); ++i) rows[items[i].source.empty() ? d.name : items[i].source].push_back(i);
  json out = json::object();
  for (const auto& [source, r] : rows) {
    json m = json::object();
    if (r.size() == items.size()) {
      m = methods;  // one source: the pooled numbers
    } else if (!r.empty()) {
      const auto sub = aggregate_methods(subset_scores(scores, r), bo);
      m = aggregates_json(sub);
      summary += summary_markdown(d.name + " / " + source, sub) + "\n";
    }
    out[source] = {{"n_explained", r.size()}, {"methods", m}};
  }
  return out;
}

// report.json's section of one dataset, plus its lines of per_image.jsonl and summary.md.
json dataset_section(const ReportSettings& s, const DatasetResult& d, std::string& jsonl, std::string& summary,
                     const fs::path& figures_dir) {
  const DatasetScores scores = score_records(d.records, s.localization, s.skip_difficult);
  BootstrapOptions bo;
  bo.resamples = s.bootstrap;
  bo.seed = s.seed;
  const auto aggregates = aggregate_methods(scores, bo);
  const auto paired = paired_against(scores, "grad_cam", bo);
  jsonl += per_image_jsonl(scores);
  summary += summary_markdown(d.name, aggregates, paired.empty() ? nullptr : &paired) + "\n";
  if (!figures_dir.empty() && s.figures) write_figures(figures_dir, d, s, aggregates);
  // The sanity checks' MPRT curve per method (docs/spec.md §3: sanity.mprt.<method>) and its figure.
  json sanity = json::object();
  const MprtValues mprt = mprt_values(d.records);
  if (!mprt.layers.empty()) {
    const auto curves = summarize_mprt(mprt, d.records.methods, bo);
    sanity = {{"layers", mprt.layers}, {"mprt", mprt_json(mprt.layers, curves)}};
    if (!figures_dir.empty() && s.figures)
      write_curve_panels(figures_dir / ("mprt-" + d.name), mprt_figure(d.name, mprt.layers, curves, d.records.layer));
  }
  const json methods = aggregates_json(aggregates);
  json section = {{"n_train", d.n_train}, {"n_test", d.n_test}, {"n_explained", d.records.items.size()},
                  {"classes", d.classes}, {"training", d.training}, {"layer", d.records.layer},
                  {"methods", methods}, {"paired", paired_json(paired, "grad_cam")},
                  {"degenerate_maps", d.records.degenerate_counts()}, {"warnings", d.records.warnings},
                  {"seconds", d.records.seconds}, {"sanity", sanity}};
  for (const char* key : {"label_space", "sources", "excluded_classes", "class_indices"})
    if (d.pool.contains(key)) section[key] = d.pool[key];
  section["by_source"] = by_source_section(d, scores, methods, bo, summary);
  if (d.pool.contains("sources")) summary += sources_markdown(d.name, d.pool);
  return section;
}

Summary summary_from_json(const json& agg) {
  auto num = [](const json& v) { return v.is_null() ? std::nan("") : v.get<double>(); };
  Summary sm;
  sm.n = agg["n"];
  sm.mean = num(agg["mean"]);
  sm.ci_lo = num(agg["ci95"][0]);
  sm.ci_hi = num(agg["ci95"][1]);
  return sm;
}

// One chart per dataset, entropy method and metric against the swept values.
void write_sweep_charts(const fs::path& figures_dir, const json& datasets, const json& sweep) {
  for (const auto& [dname, _] : datasets.items()) {
    std::map<std::pair<std::string, std::string>, std::vector<std::pair<std::string, Summary>>> series;
    for (const auto& pt : sweep)
      for (const auto& [method, metrics] : pt["datasets"][dname]["methods"].items())
        for (const auto& [metric, agg] : metrics.items())
          series[{method, metric}].emplace_back(pt["point"].get<std::string>(), summary_from_json(agg));
    for (const auto& [key, rows] : series) {
      const auto& [method, metric] = key;
      if (method != "grad_entropy_cam" && method != "feature_entropy_cam") continue;  // what sweeps vary
      write_bar_chart(figures_dir / ("sweep-" + dname + "-" + method + "-" + metric), method + " " + metric, rows);
    }
  }
}

}  // namespace

json write_run_report(const fs::path& run_dir, const std::string& experiment, const std::string& run_id,
                      const json& config, const std::vector<PointResult>& points, const json& environment,
                      json timing) {
  const auto t0 = std::chrono::steady_clock::now();
  json report = {{"schema_version", 1}, {"experiment", experiment}, {"run_id", run_id},
                 {"config", config}, {"environment", environment}, {"datasets", json::object()}};
  std::string jsonl, summary = "# " + experiment + " (" + run_id + ")\n\n";
  json sweep = json::array();
  for (size_t p = 0; p < points.size(); ++p) {
    const PointResult& point = points[p];
    if (points.size() > 1) summary += "## sweep point " + point.label + "\n\n";
    json point_datasets = json::object();
    for (const auto& d : point.datasets)
      point_datasets[d.name] = dataset_section(point.settings, d, jsonl, summary, p == 0 ? run_dir / "figures" : fs::path());
    if (p == 0) report["datasets"] = point_datasets;
    if (points.size() > 1) {
      json values = json::object();
      for (const auto& [k, v] : point.values) values[k] = v;
      sweep.push_back({{"point", point.label}, {"values", values}, {"datasets", point_datasets}});
    }
  }
  if (points.size() > 1) {
    report["sweep"] = sweep;
    if (points.front().settings.figures) write_sweep_charts(run_dir / "figures", report["datasets"], sweep);
  }
  // "total" arrives as the stages before the report; it covers the report's tables and figures
  // too, so that it is the sum of the stages and the time a user waited up to report.json.
  const double report_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  timing["report"] = report_seconds;
  timing["total"] = timing.value("total", 0.0) + report_seconds;
  report["timing"] = timing;
  write_file_atomic(run_dir / "per_image.jsonl", jsonl);
  write_file_atomic(run_dir / "summary.md", summary);
  write_file_atomic(run_dir / "report.json", report.dump(2) + "\n");
  HtmlOptions html;
  if (!points.empty() && points.front().settings.figures)
    for (const auto& d : points.front().datasets) write_gallery(run_dir, d, points.front().settings, html);
  write_report_html(run_dir, report, read_per_image_jsonl(run_dir / "per_image.jsonl"), html);
  return report;
}

}  // namespace entcam
