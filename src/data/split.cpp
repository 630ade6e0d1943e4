#include "data/split.h"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"

namespace entcam {
namespace fs = std::filesystem;


Split stratified_split(const Dataset& ds, double train_fraction, uint64_t seed) {
  if (!(train_fraction > 0.0 && train_fraction < 1.0))
    throw InputError("split train fraction " + std::to_string(train_fraction) + ": expected a value in (0, 1)");
  std::vector<std::vector<size_t>> by_class(ds.classes.size());
  for (size_t i = 0; i < ds.samples.size(); ++i) by_class.at(size_t(ds.samples[i].label)).push_back(i);
  Split s;
  for (size_t k = 0; k < by_class.size(); ++k) {
    auto& idx = by_class[k];
    SplitMix64 rng(mix_seed(seed, k));  // per class: adding a class does not reshuffle the others
    seeded_shuffle(idx, rng);
    size_t n_train = size_t(std::llround(double(idx.size()) * train_fraction));
    if (idx.size() >= 2) n_train = std::min(std::max<size_t>(n_train, 1), idx.size() - 1);
    s.train.insert(s.train.end(), idx.begin(), idx.begin() + long(n_train));
    s.test.insert(s.test.end(), idx.begin() + long(n_train), idx.end());
  }
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.test.begin(), s.test.end());
  return s;
}

static nlohmann::json to_json(const Dataset& ds, const std::vector<size_t>& idx, const std::vector<std::string>& sources) {
  nlohmann::json a = nlohmann::json::array();
  for (size_t i : idx) {
    nlohmann::json e = {{"id", ds.samples[i].id}, {"class", ds.classes[size_t(ds.samples[i].label)]}};
    if (!sources.empty()) e["source"] = sources.at(i);
    a.push_back(e);
  }
  return a;
}

Split load_or_make_split(const Dataset& ds, const fs::path& path, double train_fraction, uint64_t seed,
                         const std::vector<std::string>& sample_sources) {
  if (fs::exists(path)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(path));
    } catch (const nlohmann::json::exception& e) {
      throw file_error(path.string(), std::string("malformed JSON: ") + e.what());
    }
    if (!j.is_object() || !j.contains("train") || !j.contains("test") || !j["train"].is_array() || !j["test"].is_array())
      throw file_error(path.string(), "expected {\"train\": [{\"id\", \"class\"}...], \"test\": [...]}");
    std::map<std::string, size_t> by_id;
    for (size_t i = 0; i < ds.samples.size(); ++i) by_id[ds.samples[i].id] = i;
    Split s;
    bool matches = j.value("train_fraction", -1.0) == train_fraction && j.value("seed", uint64_t(0)) == seed;
    size_t n = 0;
    for (const char* part : {"train", "test"}) {
      for (const auto& e : j[part]) {
        if (!e.is_object() || !e.contains("id") || !e["id"].is_string())
          throw file_error(path.string(), std::string(part) + ": expected entries {\"id\": ..., \"class\": ...}");
        auto it = by_id.find(e["id"].get<std::string>());
        if (it == by_id.end() || ds.classes[size_t(ds.samples[it->second].label)] != e.value("class", "")) {
          matches = false;
          break;
        }
        (std::string(part) == "train" ? s.train : s.test).push_back(it->second);
        ++n;
      }
    }
    if (matches && n == ds.samples.size()) {
      std::sort(s.train.begin(), s.train.end());
      std::sort(s.test.begin(), s.test.end());
      return s;
    }
    std::fprintf(stderr, "entcam: %s does not match the dataset or split options; writing a new split\n",
                 path.string().c_str());
  }
  Split s = stratified_split(ds, train_fraction, seed);
  nlohmann::json j = {{"dataset", ds.name},           {"seed", seed},
                      {"train_fraction", train_fraction}, {"classes", ds.classes},
                      {"train", to_json(ds, s.train, sample_sources)},
                      {"test", to_json(ds, s.test, sample_sources)}};
  write_file_atomic(path, j.dump(1) + "\n");
  return s;
}

}  // namespace entcam
