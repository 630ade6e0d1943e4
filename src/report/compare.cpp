#include "report/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "metrics/registry.h"

namespace entcam {

using nlohmann::json;

size_t CompareResult::regressions() const {
  return size_t(std::count_if(rows.begin(), rows.end(), [](const CompareRow& r) { return r.regressed; }));
}

namespace {

// (dataset, method, metric) -> mean (NaN for null)
using Means = std::map<std::tuple<std::string, std::string, std::string>, double>;

const json& require(const json& obj, const std::string& key, const std::string& where, const std::string& file) {
  if (!obj.is_object() || !obj.contains(key))
    throw file_error(file, where + (where.empty() ? "" : ".") + key + ": missing; expected a report.json (docs/spec.md §4)");
  return obj.at(key);
}

Means read_means(const json& doc, const std::string& file) {
  Means out;
  const json& datasets = require(doc, "datasets", "", file);
  if (!datasets.is_object()) throw file_error(file, "datasets: expected an object of datasets");
  for (const auto& [ds, dv] : datasets.items()) {
    const std::string where = "datasets." + ds;
    if (!dv.is_object()) throw file_error(file, where + ": expected an object");
    if (!dv.contains("methods")) continue;  // a dataset without evaluated methods has nothing to compare
    const json& methods = dv.at("methods");
    if (!methods.is_object()) throw file_error(file, where + ".methods: expected an object of methods");
    for (const auto& [method, mv] : methods.items()) {
      if (!mv.is_object()) throw file_error(file, where + ".methods." + method + ": expected an object of metrics");
      for (const auto& [metric, s] : mv.items()) {
        const std::string key = where + ".methods." + method + "." + metric;
        if (!s.is_object() || !s.contains("mean"))
          throw file_error(file, key + ": expected {\"n\", \"mean\", \"ci95\"}");
        const json& mean = s.at("mean");
        if (!mean.is_number() && !mean.is_null()) throw file_error(file, key + ".mean: expected a number or null");
        out[{ds, method, metric}] = mean.is_number() ? mean.get<double>() : std::nan("");
      }
    }
  }
  return out;
}

std::set<std::string> dataset_names(const json& doc) {
  std::set<std::string> s;
  for (const auto& [k, v] : doc.at("datasets").items()) s.insert(k);
  return s;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out.empty() ? "(none)" : out;
}

void check_header(const json& doc, const std::string& file) {
  if (!doc.is_object()) throw file_error(file, "expected a JSON object (report.json, docs/spec.md §4)");
  const json& v = require(doc, "schema_version", "", file);
  if (!v.is_number_integer()) throw file_error(file, "schema_version: expected an integer");
  if (v.get<long long>() != 1)
    throw file_error(file, "schema_version: " + v.dump() + " is not supported; expected 1");
  if (!require(doc, "experiment", "", file).is_string()) throw file_error(file, "experiment: expected a string");
}

}  // namespace

CompareResult compare_reports(const json& base, const std::string& base_name, const json& cand,
                              const std::string& cand_name, double tolerance) {
  if (!(tolerance >= 0) || !std::isfinite(tolerance))
    throw InputError("--tolerance: expected a non-negative number");
  check_header(base, base_name);
  check_header(cand, cand_name);
  const std::string eb = base.at("experiment").get<std::string>(), ec = cand.at("experiment").get<std::string>();
  if (eb != ec)
    throw InputError(cand_name + ": experiment \"" + ec + "\" does not match \"" + eb + "\" in " + base_name +
                     "; expected reports of the same experiment");
  const Means mb = read_means(base, base_name), mc = read_means(cand, cand_name);
  const auto db = dataset_names(base), dc = dataset_names(cand);
  if (db != dc)
    throw InputError(cand_name + ": datasets {" + join(dc) + "} do not match {" + join(db) + "} in " + base_name +
                     "; expected the same datasets");

  CompareResult r;
  r.experiment = eb;
  r.tolerance = tolerance;
  for (const auto& [key, b] : mb) {
    auto it = mc.find(key);
    const auto& [ds, method, metric] = key;
    if (it == mc.end()) {
      r.only_in_one.push_back(ds + "/" + method + "/" + metric + " (only in baseline)");
      // a metric the baseline has and the candidate lost (e.g. `methods: {}`) is a regression
      if (std::isfinite(b)) r.rows.push_back({ds, method, metric, b, std::nan(""), std::nan(""), higher_is_better(metric), true});
      continue;
    }
    const double c = it->second;
    if (!std::isfinite(b)) continue;  // nothing to regress from
    CompareRow row{ds, method, metric, b, c, c - b, higher_is_better(metric), false};
    if (!std::isfinite(c))
      row.regressed = true;  // a metric that could be computed no longer can
    else
      row.regressed = row.higher_is_better ? row.diff < -tolerance : row.diff > tolerance;
    r.rows.push_back(row);
  }
  for (const auto& [key, c] : mc)
    if (!mb.count(key))
      r.only_in_one.push_back(std::get<0>(key) + "/" + std::get<1>(key) + "/" + std::get<2>(key) +
                              " (only in candidate)");
  return r;
}

CompareResult compare_report_files(const std::filesystem::path& baseline, const std::filesystem::path& candidate,
                                   double tolerance) {
  auto load = [](const std::filesystem::path& p) {
    const std::string text = read_file(p);
    try {
      return json::parse(text);
    } catch (const json::exception& e) {
      throw file_error(p.string(), std::string("not valid JSON (") + e.what() + ")");
    }
  };
  const json b = load(baseline);
  const json c = load(candidate);
  return compare_reports(b, baseline.string(), c, candidate.string(), tolerance);
}

std::string format_compare_table(const CompareResult& r) {
  std::string s;
  char line[512];
  std::snprintf(line, sizeof line, "entcam compare: experiment %s, tolerance %g\n\n", r.experiment.c_str(), r.tolerance);
  s += line;
  std::snprintf(line, sizeof line, "%-16s %-20s %-24s %11s %11s %11s  %s\n", "dataset", "method", "metric", "baseline",
                "candidate", "diff", "status");
  s += line;
  s += std::string(112, '-') + "\n";
  for (const auto& row : r.rows) {
    const char* status = row.regressed                                 ? "REGRESSED"
                         : row.diff == 0                                 ? "same"
                         : (row.diff > 0) == row.higher_is_better        ? "better"
                                                                         : "worse, within tolerance";
    std::snprintf(line, sizeof line, "%-16s %-20s %-24s %11.5f %11.5f %+11.5f  %s\n", row.dataset.c_str(),
                  row.method.c_str(), (row.metric + (row.higher_is_better ? " (+)" : " (-)")).c_str(), row.baseline,
                  row.candidate, row.diff, status);
    s += line;
  }
  for (const auto& o : r.only_in_one) s += "not compared: " + o + "\n";
  std::snprintf(line, sizeof line, "\n%zu compared, %zu regressed\n", r.rows.size(), r.regressions());
  s += line;
  return s;
}

json compare_json(const CompareResult& r) {
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json rows = json::array(), regressions = json::array();
  for (const auto& row : r.rows) {
    json j = {{"dataset", row.dataset},
              {"method", row.method},
              {"metric", row.metric},
              {"baseline", num(row.baseline)},
              {"candidate", num(row.candidate)},
              {"diff", num(row.diff)},
              {"higher_is_better", row.higher_is_better},
              {"regressed", row.regressed}};
    if (row.regressed) regressions.push_back(j);
    rows.push_back(std::move(j));
  }
  return {{"experiment", r.experiment},
          {"tolerance", r.tolerance},
          {"compared", rows.size()},
          {"regressions", std::move(regressions)},
          {"rows", std::move(rows)},
          {"not_compared", r.only_in_one}};
}

}  // namespace entcam
