#include "data/pool.h"

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "core/error.h"

namespace entcam {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The WNID a source class maps to: its `imagenet:` table entry ("" = none), else for
// Stanford Dogs the WNID its folder name starts with ("n02085620-Chihuahua"); nullopt = none.
std::optional<std::string> wnid_of(const PoolSource& s, const std::string& klass) {
  for (const auto& [k, w] : s.imagenet)
    if (lower(k) == lower(klass)) return w.empty() ? std::nullopt : std::optional<std::string>(w);
  static const std::regex folder("(n[0-9]{8})(-.*)?");
  std::smatch m;
  if (s.layout == "stanford-dogs" && std::regex_match(klass, m, folder)) return m[1].str();
  return std::nullopt;
}

std::string list(const std::vector<std::string>& v, size_t max = 12) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < max; ++i) out += (i ? ", " : "") + v[i];
  if (v.size() > max) out += ", ... (" + std::to_string(v.size()) + " in all)";
  return out.empty() ? "none" : out;
}

// The folders directly under a source's root: what a user sees when a class is missing.
std::vector<std::string> top_folders(const fs::path& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.is_directory() && e.path().filename().string()[0] != '.') out.push_back(e.path().filename().string() + "/");
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> PooledDataset::sample_sources() const {
  std::vector<std::string> out;
  out.reserve(source_of.size());
  for (int s : source_of) out.push_back(sources[size_t(s)].name);
  return out;
}

PooledDataset pool_datasets(const std::string& name, std::vector<PoolSource> sources, const std::string& label_space,
                            const ImageNetClasses* imagenet) {
  if (label_space != "union" && label_space != "imagenet")
    throw InputError("dataset '" + name + "': label_space '" + label_space + "'; expected union or imagenet");
  if (label_space == "imagenet" && !imagenet) throw std::logic_error("pool_datasets: label_space imagenet without an ImageNet class table");
  if (sources.empty()) throw InputError("dataset '" + name + "': sources: expected at least one dataset");
  {
    std::set<std::string> seen;
    for (const auto& s : sources)
      if (!seen.insert(s.name).second)
        throw InputError("dataset '" + name + "': sources: '" + s.name + "' given twice; expected each source once");
  }
  PooledDataset pool;
  pool.label_space = label_space;
  pool.dataset.name = name;
  if (sources.size() == 1) pool.dataset.root = sources[0].dataset.root;

  // Output index of each (source, source label); -1 = excluded.
  std::vector<std::vector<int>> output(sources.size());
  if (label_space == "union") {
    std::set<std::string> names;
    for (const auto& s : sources)
      for (const auto& c : s.dataset.classes) names.insert(c);
    pool.dataset.classes.assign(names.begin(), names.end());
    for (size_t i = 0; i < sources.size(); ++i)
      for (const auto& c : sources[i].dataset.classes)
        output[i].push_back(int(std::lower_bound(pool.dataset.classes.begin(), pool.dataset.classes.end(), c) -
                                pool.dataset.classes.begin()));
  } else {
    pool.dataset.classes = imagenet->names;
    for (size_t i = 0; i < sources.size(); ++i)
      for (const auto& c : sources[i].dataset.classes) {
        const auto wnid = wnid_of(sources[i], c);
        output[i].push_back(wnid ? imagenet->index_of(*wnid) : -1);
      }
  }

  std::set<int> present;
  for (size_t i = 0; i < sources.size(); ++i) {
    Dataset& ds = sources[i].dataset;
    PoolSourceInfo info{sources[i].name, 0, {}};
    std::vector<int64_t> dropped(ds.classes.size(), 0);
    std::set<int> contributed;
    for (Sample& smp : ds.samples) {
      const int out = output[i].at(size_t(smp.label));
      if (out < 0) {
        ++dropped[size_t(smp.label)];
        continue;
      }
      smp.label = out;
      if (sources.size() > 1) smp.id = sources[i].name + "/" + smp.id;
      pool.dataset.samples.push_back(std::move(smp));
      pool.source_of.push_back(int(i));
      ++info.images;
      contributed.insert(out);
      present.insert(out);
    }
    for (size_t k = 0; k < ds.classes.size(); ++k)
      if (output[i][k] < 0) pool.excluded.push_back({sources[i].name, ds.classes[k], dropped[k]});
    for (int c : contributed) info.classes.push_back(pool.dataset.classes[size_t(c)]);
    pool.dataset.skipped += ds.skipped;
    pool.dataset.warnings.insert(pool.dataset.warnings.end(), ds.warnings.begin(), ds.warnings.end());
    pool.sources.push_back(info);
  }
  for (int c : present) {
    pool.classes.push_back(pool.dataset.classes[size_t(c)]);
    pool.class_indices.push_back(c);
  }

  if (pool.classes.size() < 2) {
    std::string found;
    for (const auto& s : sources) {
      found += "; source '" + s.name + "' (" + s.layout + ", " + s.dataset.root.string() + "): classes [" +
               list(s.dataset.classes) + "], folders [" + list(top_folders(s.dataset.root)) + "]";
    }
    std::string excluded;
    for (const auto& e : pool.excluded) excluded += (excluded.empty() ? "" : ", ") + e.source + "/" + e.klass;
    throw InputError("dataset '" + name + "': " + std::to_string(pool.classes.size()) + " class" +
                     (pool.classes.size() == 1 ? "" : "es") + " after mapping (label_space " + label_space + ")" +
                     (excluded.empty() ? "" : ", left out for want of an ImageNet class: " + excluded) + found +
                     "; expected at least 2 classes to train a classifier (image-folder: one folder per class)");
  }

  // Samples sorted by id (the Dataset invariant), their sources following them.
  std::vector<size_t> order(pool.dataset.samples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return pool.dataset.samples[a].id < pool.dataset.samples[b].id; });
  std::vector<Sample> samples;
  std::vector<int> source_of;
  for (size_t i : order) {
    samples.push_back(std::move(pool.dataset.samples[i]));
    source_of.push_back(pool.source_of[i]);
  }
  pool.dataset.samples = std::move(samples);
  pool.source_of = std::move(source_of);
  return pool;
}

}  // namespace entcam
