#pragma once
// Pooled datasets and label spaces (docs/spec.md §3c): several parsed datasets become one, its
// classes either the union of their class names or their ImageNet-1k classes.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "data/imagenet.h"

namespace entcam {

struct PoolSource {
  std::string name;    // how reports name the source (the manifest's name)
  std::string layout;  // stanford-dogs maps by the WNID in its folder names
  std::vector<std::pair<std::string, std::string>> imagenet;  // the manifest's `imagenet:` table
  Dataset dataset;
};

struct ExcludedClass {
  std::string source, klass;
  int64_t images = 0;
};

struct PoolSourceInfo {
  std::string name;
  int64_t images = 0;                // images kept in the pool
  std::vector<std::string> classes;  // the pooled class names it contributes
};

struct PooledDataset {
  std::string label_space;  // union | imagenet
  // Labels are model output indices: under union the classes are the union of names (sorted);
  // under imagenet `classes` holds all 1000 ImageNet names, so a sample's label is its
  // ImageNet index and the pretrained 1000-way classifier is kept.
  Dataset dataset;
  std::vector<PoolSourceInfo> sources;
  std::vector<int> source_of;          // per sample: index into sources
  std::vector<std::string> classes;    // the classes present, by output index
  std::vector<int64_t> class_indices;  // the output index of each of `classes`
  std::vector<ExcludedClass> excluded; // source classes left out (no ImageNet counterpart)

  // Sample source names, by sample (for split.json).
  std::vector<std::string> sample_sources() const;
};

// Pools `sources` into one dataset called `name`. With one source its sample ids stay as
// they are; with several each id gets a "<source>/" prefix. label_space "imagenet" needs
// `imagenet`. Class names match an `imagenet:` table case-insensitively; a class a table
// maps to none, or that has no mapping, is excluded. Fewer than 2 classes left throws
// InputError naming what each source held (a classifier needs two).
PooledDataset pool_datasets(const std::string& name, std::vector<PoolSource> sources, const std::string& label_space,
                            const ImageNetClasses* imagenet);

}  // namespace entcam
