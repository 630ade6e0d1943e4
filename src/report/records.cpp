#include "report/records.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "metrics/localization.h"
#include "metrics/registry.h"

namespace entcam {

using nlohmann::json;

void ExplainRecords::merge(const ExplainRecords& other) {
  if (mprt_layers.empty()) mprt_layers = other.mprt_layers;
  items.insert(items.end(), other.items.begin(), other.items.end());
  std::stable_sort(items.begin(), items.end(), [](const ItemRecord& a, const ItemRecord& b) { return a.index < b.index; });
}

std::map<std::string, int> ExplainRecords::degenerate_counts() const {
  std::map<std::string, int> counts;
  for (const auto& m : methods) {
    int n = 0;
    for (const auto& it : items) n += it.methods.at(m).degenerate;
    counts[m] = n;
  }
  return counts;
}

void to_json(json& j, const ExplainRecords& r) {
  json items = json::array();
  for (const auto& it : r.items) {
    json boxes = json::array();
    for (const Box& b : it.boxes) boxes.push_back({b.xmin, b.ymin, b.xmax, b.ymax, b.difficult ? 1 : 0});
    json methods = json::object();
    for (const auto& [id, m] : it.methods) {
      json curves = json::object();
      for (const auto& [name, values] : m.curves) {
        json c = json::array();
        for (double v : values) c.push_back(std::isfinite(v) ? json(v) : json(nullptr));  // JSON has no NaN
        curves[name] = std::move(c);
      }
      methods[id] = {{"shape", {m.height, m.width}}, {"map", m.map},       {"degenerate", m.degenerate},
                     {"scores", m.scores},           {"curves", curves}};
    }
    items.push_back({{"index", it.index}, {"sample", it.sample}, {"id", it.id}, {"label", it.label},
                     {"class", it.explained}, {"score", it.score}, {"width", it.width}, {"height", it.height},
                     {"boxes", boxes}, {"methods", methods}});
    if (!it.source.empty()) items.back()["source"] = it.source;
  }
  j = {{"format", kRecordsFormat}, {"dataset", r.dataset}, {"layer", r.layer}, {"methods", r.methods},
       {"classes", r.classes}, {"n_explain", r.n_explain}, {"shard", {r.shard_index, r.shard_count}},
       {"warnings", r.warnings}, {"seconds", r.seconds}, {"mprt_layers", r.mprt_layers}, {"items", items}};
}

void from_json(const json& j, ExplainRecords& r) {
  if (j.value("format", 0) != kRecordsFormat)
    throw std::invalid_argument("explain records of format " + std::to_string(j.value("format", 0)) + ", expected " +
                                std::to_string(kRecordsFormat));
  r.dataset = j.at("dataset");
  r.layer = j.at("layer");
  r.methods = j.at("methods").get<std::vector<std::string>>();
  r.classes = j.at("classes").get<std::vector<std::string>>();
  r.n_explain = j.at("n_explain");
  r.shard_index = j.at("shard").at(0);
  r.shard_count = j.at("shard").at(1);
  r.warnings = j.at("warnings").get<std::vector<std::string>>();
  r.seconds = j.at("seconds").get<std::map<std::string, double>>();
  r.mprt_layers = j.at("mprt_layers").get<std::vector<std::string>>();
  r.items.clear();
  for (const auto& ji : j.at("items")) {
    ItemRecord it;
    it.index = ji.at("index");
    it.sample = ji.at("sample");
    it.id = ji.at("id");
    it.source = ji.value("source", std::string());
    it.label = ji.at("label");
    it.explained = ji.at("class");
    it.score = ji.at("score");
    it.width = ji.at("width");
    it.height = ji.at("height");
    for (const auto& b : ji.at("boxes")) it.boxes.push_back(Box{b.at(0), b.at(1), b.at(2), b.at(3), b.at(4).get<int>() != 0});
    for (const auto& [id, jm] : ji.at("methods").items()) {
      MethodRecord m;
      m.height = jm.at("shape").at(0);
      m.width = jm.at("shape").at(1);
      m.map = jm.at("map").get<std::vector<float>>();
      m.degenerate = jm.at("degenerate");
      m.scores = jm.at("scores").get<std::map<std::string, double>>();
      for (const auto& [name, values] : jm.at("curves").items())
        for (const auto& v : values) m.curves[name].push_back(v.is_number() ? v.get<double>() : std::nan(""));
      it.methods.emplace(id, std::move(m));
    }
    r.items.push_back(std::move(it));
  }
}

DatasetScores score_records(const ExplainRecords& records, const LocalizationOptions& options, bool skip_difficult) {
  DatasetScores out;
  out.dataset = records.dataset;
  for (const auto& it : records.items) out.image_ids.push_back(it.id);
  const size_t n = records.items.size();
  const double nan = std::nan("");
  // Model-computed metrics in the metric table's order, then any others by name.
  std::vector<std::string> model_metrics;
  std::set<std::string> seen;
  for (const auto& it : records.items)
    for (const auto& [id, m] : it.methods)
      for (const auto& [metric, v] : m.scores) seen.insert(metric);
  for (const auto& info : metric_table())
    if (seen.erase(info.id)) model_metrics.push_back(info.id);
  model_metrics.insert(model_metrics.end(), seen.begin(), seen.end());

  for (const auto& method : records.methods) {
    std::vector<LocalizationInput> inputs;
    std::vector<size_t> which;
    for (size_t i = 0; i < n; ++i) {
      const ItemRecord& it = records.items[i];
      std::vector<Box> boxes;
      for (const Box& b : it.boxes)
        if (!(skip_difficult && b.difficult)) boxes.push_back(b);
      if (boxes.empty()) continue;
      const MethodRecord& m = it.methods.at(method);
      LocalizationInput in;
      in.id = it.id;
      in.map = prepare_map(m.map.data(), int(m.height), int(m.width), it.width, it.height, it.id + "/" + method);
      in.boxes = boxes;
      in.cls = int(it.label);
      inputs.push_back(std::move(in));
      which.push_back(i);
    }
    MethodScores ms;
    ms.method = method;
    if (!inputs.empty()) {
      LocalizationScores ls = score_localization(inputs, options);
      for (size_t k = 0; k < ls.metric_names.size(); ++k) {
        std::vector<double> v(n, nan);
        for (size_t j = 0; j < which.size(); ++j) v[which[j]] = ls.per_image[j][k];
        ms.metrics.emplace_back(ls.metric_names[k], v);
      }
    }
    for (const auto& metric : model_metrics) {
      std::vector<double> v(n, nan);
      bool any = false;
      for (size_t i = 0; i < n; ++i) {
        const auto& scores = records.items[i].methods.at(method).scores;
        auto f = scores.find(metric);
        if (f != scores.end()) v[i] = f->second, any = true;
      }
      if (any) ms.metrics.emplace_back(metric, v);
    }
    out.methods.push_back(std::move(ms));
  }
  return out;
}

}  // namespace entcam
