#include "report/report.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "metrics/registry.h"

namespace entcam {

using nlohmann::json;

namespace {

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

const std::vector<double>* find_values(const MethodScores& m, const std::string& metric) {
  for (const auto& [id, values] : m.metrics)
    if (id == metric) return &values;
  return nullptr;
}

// Metrics in first-seen order over the methods.
std::vector<std::string> metric_columns(const std::vector<MethodAggregate>& aggregates) {
  std::vector<std::string> cols;
  std::set<std::string> seen;
  for (const auto& m : aggregates)
    for (const auto& [id, s] : m.metrics)
      if (seen.insert(id).second) cols.push_back(id);
  return cols;
}

}  // namespace

std::string format_value(const std::string& metric, double v) {
  if (!std::isfinite(v)) return "n/a";
  const MetricInfo* info = find_metric(metric);
  char buf[64];
  std::snprintf(buf, sizeof buf, info && info->percent ? "%.2f" : "%.3f", v);
  return buf;
}

std::vector<MethodAggregate> aggregate_methods(const DatasetScores& scores, const BootstrapOptions& opt) {
  std::vector<MethodAggregate> out;
  for (const auto& m : scores.methods) {
    MethodAggregate a{m.method, {}};
    for (const auto& [id, values] : m.metrics) a.metrics.emplace_back(id, summarize(values, opt));
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<MethodPaired> paired_against(const DatasetScores& scores, const std::string& reference,
                                         const BootstrapOptions& opt) {
  const MethodScores* ref = nullptr;
  for (const auto& m : scores.methods)
    if (m.method == reference) ref = &m;
  std::vector<MethodPaired> out;
  if (!ref) return out;
  for (const auto& m : scores.methods) {
    if (&m == ref) continue;
    MethodPaired p{m.method, {}};
    for (const auto& [id, values] : m.metrics)
      if (const std::vector<double>* rv = find_values(*ref, id)) p.metrics.emplace_back(id, paired_compare(values, *rv, opt));
    out.push_back(std::move(p));
  }
  return out;
}

json aggregates_json(const std::vector<MethodAggregate>& aggregates) {
  json out = json::object();
  for (const auto& m : aggregates) {
    json metrics = json::object();
    for (const auto& [id, s] : m.metrics)
      metrics[id] = {{"n", s.n}, {"mean", num(s.mean)}, {"ci95", json::array({num(s.ci_lo), num(s.ci_hi)})}};
    out[m.method] = std::move(metrics);
  }
  return out;
}

json paired_json(const std::vector<MethodPaired>& paired, const std::string& reference) {
  json methods = json::object();
  for (const auto& m : paired) {
    json metrics = json::object();
    for (const auto& [id, c] : m.metrics)
      metrics[id] = {{"n", c.n},
                     {"mean_diff", num(c.mean_diff)},
                     {"ci95", json::array({num(c.ci_lo), num(c.ci_hi)})},
                     {"p_value", num(c.p_value)}};
    methods[m.method] = std::move(metrics);
  }
  return {{"reference", reference},
          {"test", "Wilcoxon signed-rank, two-sided, normal approximation, zero differences dropped, no continuity "
                   "correction (scipy.stats.wilcoxon zero_method='wilcox', correction=False, method='approx')"},
          {"methods", std::move(methods)}};
}

std::string per_image_jsonl(const DatasetScores& scores) {
  std::string out;
  for (const auto& m : scores.methods)
    for (size_t i = 0; i < scores.image_ids.size(); ++i) {
      json row = {{"dataset", scores.dataset}, {"method", m.method}, {"image", scores.image_ids[i]}};
      for (const auto& [id, values] : m.metrics) row[id] = i < values.size() ? num(values[i]) : json(nullptr);
      out += row.dump() + "\n";
    }
  return out;
}

std::string summary_markdown(const std::string& dataset, const std::vector<MethodAggregate>& aggregates,
                             const std::vector<MethodPaired>* paired, const std::string& reference) {
  const std::vector<std::string> cols = metric_columns(aggregates);
  auto lookup = [](const MethodAggregate& m, const std::string& id) -> const Summary* {
    for (const auto& [k, s] : m.metrics)
      if (k == id) return &s;
    return nullptr;
  };
  // Best mean per column, by the metric's direction.
  std::vector<double> best(cols.size(), std::nan(""));
  for (size_t c = 0; c < cols.size(); ++c) {
    const bool up = higher_is_better(cols[c]);
    for (const auto& m : aggregates)
      if (const Summary* s = lookup(m, cols[c]); s && std::isfinite(s->mean))
        if (!std::isfinite(best[c]) || (up ? s->mean > best[c] : s->mean < best[c])) best[c] = s->mean;
  }
  std::string md = "## " + dataset + "\n\n";
  md += "Mean and 95% bootstrap CI per method (rows) and metric (columns); the best mean of each column is in "
        "bold (↑ higher is better, ↓ lower is better).\n\n| method |";
  for (const auto& c : cols) md += " " + c + (higher_is_better(c) ? " ↑" : " ↓") + " |";
  md += "\n|---|";
  for (size_t c = 0; c < cols.size(); ++c) md += "---|";
  md += "\n";
  for (const auto& m : aggregates) {
    md += "| " + m.method + " |";
    for (size_t c = 0; c < cols.size(); ++c) {
      const Summary* s = lookup(m, cols[c]);
      if (!s || !std::isfinite(s->mean)) {
        md += " n/a |";
        continue;
      }
      std::string mean = format_value(cols[c], s->mean);
      if (s->mean == best[c]) mean = "**" + mean + "**";
      md += " " + mean + " [" + format_value(cols[c], s->ci_lo) + ", " + format_value(cols[c], s->ci_hi) + "] |";
    }
    md += "\n";
  }
  if (paired && !paired->empty()) {
    md += "\nPaired differences against `" + reference +
          "` on the same images: mean difference [95% bootstrap CI], Wilcoxon signed-rank p-value.\n\n| method |";
    for (const auto& c : cols) md += " " + c + " |";
    md += "\n|---|";
    for (size_t c = 0; c < cols.size(); ++c) md += "---|";
    md += "\n";
    for (const auto& m : *paired) {
      md += "| " + m.method + " |";
      for (const auto& c : cols) {
        const PairedComparison* pc = nullptr;
        for (const auto& [k, v] : m.metrics)
          if (k == c) pc = &v;
        if (!pc || !std::isfinite(pc->mean_diff)) {
          md += " n/a |";
          continue;
        }
        char p[32];
        std::snprintf(p, sizeof p, pc->p_value < 0.001 ? "%.1e" : "%.3f", pc->p_value);
        md += " " + format_value(c, pc->mean_diff) + " [" + format_value(c, pc->ci_lo) + ", " +
              format_value(c, pc->ci_hi) + "] p=" + p + " |";
      }
      md += "\n";
    }
  }
  return md;
}

}  // namespace entcam
