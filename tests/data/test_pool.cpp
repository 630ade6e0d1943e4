// The ImageNet class table, manifests' `imagenet:` and `path:`, pooled datasets and both
// label spaces, and the own-data cases a new user met (one top folder, one class, data on disk).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "data/archive.h"
#include "data/imagenet.h"
#include "data/layouts.h"
#include "data/manifest.h"
#include "data/pool.h"
#include "data/prepare.h"
#include "data/split.h"
#include "support/dataset_fixtures.h"
#include "support/test_support.h"

namespace entcam {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

const ImageNetClasses& shipped_table() {
  static const ImageNetClasses t = load_imagenet_classes(test::source_dir() / "datasets/imagenet-1k.tsv");
  return t;
}

TEST(ImageNetClasses, ShippedTableHasTheThousandClassesInIndexOrder) {
  const auto& t = shipped_table();
  ASSERT_EQ(t.wnids.size(), 1000u);
  // the indices docs/spec.md §3c pins, and the ends of the sorted WNID order
  EXPECT_EQ(t.index_of("n01443537"), 1);
  EXPECT_EQ(t.names[1], "goldfish");
  EXPECT_EQ(t.index_of("n07742313"), 948);
  EXPECT_EQ(t.names[948], "Granny Smith");
  EXPECT_EQ(t.index_of("n07745940"), 949);
  EXPECT_EQ(t.index_of("n07753592"), 954);
  EXPECT_EQ(t.names[954], "banana");
  EXPECT_EQ(t.wnids.front(), "n01440764");
  EXPECT_EQ(t.wnids.back(), "n15075141");
  EXPECT_TRUE(std::is_sorted(t.wnids.begin(), t.wnids.end()));
  // the 120 Stanford Dogs breeds are ImageNet classes 151..268 (Chihuahua .. African hunting dog)
  EXPECT_EQ(t.index_of("n02085620"), 151);
  EXPECT_EQ(t.index_of("n02116738"), 275);
  EXPECT_EQ(t.index_of("n09999999"), -1);
}

TEST(ImageNetClasses, MalformedTablesNameTheLine) {
  TempDir tmp;
  write_file_atomic(tmp / "a.tsv", "# c\n0\tn01440764\ttench\n2\tn01443537\tgoldfish\n");
  EXPECT_EQ(error_of([&] { load_imagenet_classes(tmp / "a.tsv"); }),
            (tmp / "a.tsv").string() + ":3: index 2 out of order; expected 1");
  write_file_atomic(tmp / "b.tsv", "0\tn01440764\ttench\n1\tn01440764\ttench\n");
  EXPECT_EQ(error_of([&] { load_imagenet_classes(tmp / "b.tsv"); }),
            (tmp / "b.tsv").string() + ":2: WNID n01440764 listed twice; expected each class once");
  write_file_atomic(tmp / "c.tsv", "0 n01440764 tench\n");
  EXPECT_EQ(error_of([&] { load_imagenet_classes(tmp / "c.tsv"); }),
            (tmp / "c.tsv").string() +
                ":1: expected <index> TAB <WNID like n01443537> TAB <name>, got '0 n01440764 tench'");
}

TEST(Manifest, ImageNetTableAndPathRelativeToTheManifest) {
  TempDir tmp;
  write_file_atomic(tmp / "m/digits.yaml",
                    "name: digits\nlayout: image-folder\npath: ../photos/digits\n"
                    "imagenet: {Apple: n07742313, grape: none, Mango: null}\n");
  const Manifest m = load_manifest(tmp / "m/digits.yaml");
  EXPECT_EQ(m.path, tmp / "m" / "../photos/digits");
  ASSERT_EQ(m.imagenet.size(), 3u);
  EXPECT_EQ(m.imagenet[0], (std::pair<std::string, std::string>{"Apple", "n07742313"}));
  EXPECT_EQ(m.imagenet[1].second, "");
  EXPECT_EQ(m.imagenet[2].second, "");

  write_file_atomic(tmp / "bad.yaml", "name: x\nlayout: image-folder\npath: d\nimagenet: {Apple: 07742313}\n");
  EXPECT_EQ(error_of([&] { load_manifest(tmp / "bad.yaml"); }),
            (tmp / "bad.yaml").string() + ":4:19: imagenet.Apple: expected a WordNet id like n01443537 or none, got '07742313'");
  write_file_atomic(tmp / "both.yaml", "name: x\nlayout: image-folder\npath: d\nfiles:\n  - url: http://x/a.zip\n");
  EXPECT_EQ(error_of([&] { load_manifest(tmp / "both.yaml"); }),
            (tmp / "both.yaml").string() + ":3:7: path: given together with files (expected one of them)");
}

// `tar czf digits.tar.gz digits/`: everything under one top folder, BOXES.json inside it.
// Before: one class "digits" and no boxes.
TEST(OwnData, ArchiveWithOneTopFolderIsReadFromThatFolder) {
  TempDir tmp;
  const std::string boxes = R"({"images": [{"id": "0/a", "width": 40, "height": 30, "boxes": [[2, 3, 20, 25]]}]})";
  const std::string tgz = test::make_archive({{"digits/0/a.jpg", test::make_jpeg(40, 30, 1), ""},
                                              {"digits/0/b.jpg", test::make_jpeg(40, 30, 2), ""},
                                              {"digits/1/c.jpg", test::make_jpeg(40, 30, 3), ""},
                                              {"digits/BOXES.json", boxes, ""}},
                                             "tar.gz", tmp / "scratch");
  write_file_atomic(tmp / "digits.tar.gz", tgz);
  ASSERT_TRUE(extract_archive(tmp / "digits.tar.gz", tmp / "data"));
  const Dataset ds = parse_dataset("image-folder", tmp / "data", {"digits", {}});
  EXPECT_EQ(ds.classes, (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(ds.samples.size(), 3u);
  EXPECT_EQ(ds.samples[0].id, "0/a");
  ASSERT_EQ(ds.samples[0].boxes.size(), 1u);
  EXPECT_EQ(ds.samples[0].boxes[0], (Box{2, 3, 20, 25, false}));
  EXPECT_EQ(ds.root, tmp / "data" / "digits");
}

// `path:` reads a folder in place: nothing is copied into the cache or written into the folder.
TEST(OwnData, PathManifestReadsTheFolderInPlace) {
  TempDir tmp;
  write_file_atomic(tmp / "photos/cats/a.jpg", test::make_jpeg(40, 30, 1));
  write_file_atomic(tmp / "photos/dogs/b.jpg", test::make_jpeg(40, 30, 2));
  write_file_atomic(tmp / "pets.yaml", "name: pets\nlayout: image-folder\npath: photos\n");
  auto listing = [&] {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(tmp / "photos")) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto before = listing();
  const PreparedDataset p = prepare_dataset(load_manifest(tmp / "pets.yaml"), tmp / "cache");
  EXPECT_EQ(p.dataset.classes, (std::vector<std::string>{"cats", "dogs"}));
  ASSERT_EQ(p.dataset.samples.size(), 2u);
  EXPECT_EQ(p.dataset.samples[0].path, fs::canonical(tmp / "photos/cats/a.jpg"));
  EXPECT_EQ(listing(), before);
  EXPECT_FALSE(fs::exists(tmp / "cache/pets/data"));  // nothing extracted or copied
  // the cached parse is used again, and a new image is noticed
  EXPECT_EQ(prepare_dataset(load_manifest(tmp / "pets.yaml"), tmp / "cache").dataset.samples.size(), 2u);
  write_file_atomic(tmp / "photos/dogs/c.jpg", test::make_jpeg(40, 30, 3));
  EXPECT_EQ(prepare_dataset(load_manifest(tmp / "pets.yaml"), tmp / "cache").dataset.samples.size(), 3u);

  write_file_atomic(tmp / "gone.yaml", "name: gone\nlayout: image-folder\npath: nowhere\n");
  EXPECT_EQ(error_of([&] { prepare_dataset(load_manifest(tmp / "gone.yaml"), tmp / "cache"); }),
            (tmp / "gone.yaml").string() + ": path: " + (tmp / "nowhere").string() +
                " is not a folder (expected the dataset's folder, relative to the manifest's folder or absolute)");
}

// A source from class names and per-class image counts (ids "<class>/<n>").
PoolSource source(const std::string& name, const std::string& layout, const std::vector<std::pair<std::string, int>>& classes,
                  std::vector<std::pair<std::string, std::string>> imagenet = {}) {
  PoolSource s;
  s.name = name;
  s.layout = layout;
  s.imagenet = std::move(imagenet);
  s.dataset.name = name;
  s.dataset.root = "/nonexistent/" + name;
  for (const auto& [c, n] : classes) s.dataset.classes.push_back(c);
  std::sort(s.dataset.classes.begin(), s.dataset.classes.end());
  for (const auto& [c, n] : classes)
    for (int i = 0; i < n; ++i) {
      Sample smp;
      smp.id = c + "/" + std::to_string(i);
      smp.label = int(std::find(s.dataset.classes.begin(), s.dataset.classes.end(), c) - s.dataset.classes.begin());
      s.dataset.samples.push_back(smp);
    }
  std::sort(s.dataset.samples.begin(), s.dataset.samples.end(), [](const Sample& a, const Sample& b) { return a.id < b.id; });
  return s;
}

TEST(Pool, OneSourceUnionKeepsTheDatasetAsItIs) {
  const PoolSource s = source("pets", "image-folder", {{"cat", 2}, {"dog", 3}});
  const PooledDataset p = pool_datasets("pets", {s}, "union", nullptr);
  EXPECT_EQ(p.dataset.classes, s.dataset.classes);
  ASSERT_EQ(p.dataset.samples.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(p.dataset.samples[i].id, s.dataset.samples[i].id);
    EXPECT_EQ(p.dataset.samples[i].label, s.dataset.samples[i].label);
  }
  EXPECT_EQ(p.class_indices, (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(p.excluded.empty());
}

TEST(Pool, UnionMergesEqualNamesAndRecordsSources) {
  const PooledDataset p = pool_datasets(
      "mix", {source("a", "image-folder", {{"cat", 2}, {"dog", 1}}), source("b", "image-folder", {{"dog", 2}, {"eel", 1}})},
      "union", nullptr);
  EXPECT_EQ(p.dataset.classes, (std::vector<std::string>{"cat", "dog", "eel"}));
  EXPECT_EQ(p.classes, p.dataset.classes);
  EXPECT_EQ(p.class_indices, (std::vector<int64_t>{0, 1, 2}));
  std::vector<std::string> ids, sources;
  std::vector<int> labels;
  for (size_t i = 0; i < p.dataset.samples.size(); ++i) {
    ids.push_back(p.dataset.samples[i].id);
    labels.push_back(p.dataset.samples[i].label);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"a/cat/0", "a/cat/1", "a/dog/0", "b/dog/0", "b/dog/1", "b/eel/0"}));
  EXPECT_EQ(labels, (std::vector<int>{0, 0, 1, 1, 1, 2}));
  EXPECT_EQ(p.sample_sources(), (std::vector<std::string>{"a", "a", "a", "b", "b", "b"}));
  ASSERT_EQ(p.sources.size(), 2u);
  EXPECT_EQ(p.sources[1].images, 3);
  EXPECT_EQ(p.sources[1].classes, (std::vector<std::string>{"dog", "eel"}));
}

// The paper's pool: Stanford Dogs by folder WNID, fruits and goldfish through their tables.
TEST(Pool, ImageNetLabelSpaceMapsToImageNetIndicesAndListsExclusions) {
  const auto& t = shipped_table();
  const std::vector<std::pair<std::string, std::string>> fruit_table = {
      {"Apple", "n07742313"}, {"Banana", "n07753592"}, {"Strawberry", "n07745940"}, {"Grape", ""}, {"Mango", ""}};
  const PooledDataset p = pool_datasets(
      "paper",
      {source("stanford-dogs", "stanford-dogs", {{"n02085620-Chihuahua", 2}, {"n02085782-Japanese_spaniel", 1}}),
       source("fruits", "kaggle-fruits", {{"apple", 1}, {"Banana", 2}, {"Grape", 3}, {"Mango", 4}}, fruit_table),
       source("goldfish", "kaggle-goldfish", {{"goldfish", 2}}, {{"goldfish", "n01443537"}})},
      "imagenet", &t);
  EXPECT_EQ(p.dataset.classes.size(), 1000u);  // the 1000-way classifier is kept
  EXPECT_EQ(p.class_indices, (std::vector<int64_t>{1, 151, 152, 948, 954}));
  EXPECT_EQ(p.classes, (std::vector<std::string>{"goldfish", "Chihuahua", "Japanese spaniel", "Granny Smith", "banana"}));
  ASSERT_EQ(p.excluded.size(), 2u);
  EXPECT_EQ(p.excluded[0].source, "fruits");
  EXPECT_EQ(p.excluded[0].klass, "Grape");
  EXPECT_EQ(p.excluded[0].images, 3);
  EXPECT_EQ(p.excluded[1].klass, "Mango");
  EXPECT_EQ(p.excluded[1].images, 4);
  ASSERT_EQ(p.dataset.samples.size(), 8u);  // 3 dogs + 3 fruits + 2 goldfish
  std::map<std::string, int> label_of;
  for (const auto& s : p.dataset.samples) label_of[s.id] = s.label;
  EXPECT_EQ(label_of.at("fruits/apple/0"), 948);  // matched case-insensitively
  EXPECT_EQ(label_of.at("fruits/Banana/1"), 954);
  EXPECT_EQ(label_of.at("goldfish/goldfish/0"), 1);
  EXPECT_EQ(label_of.at("stanford-dogs/n02085782-Japanese_spaniel/0"), 152);
  EXPECT_EQ(p.sources[1].images, 3);
  EXPECT_EQ(p.sources[1].classes, (std::vector<std::string>{"Granny Smith", "banana"}));
}

// A one-class head cannot be trained: the goldfish set alone, or a folder holding one class.
TEST(Pool, FewerThanTwoClassesNamesWhatWasFound) {
  TempDir tmp;
  write_file_atomic(tmp / "data/cats/a.jpg", test::make_jpeg(40, 30, 1));
  write_file_atomic(tmp / "data/cats/b.jpg", test::make_jpeg(40, 30, 2));
  PoolSource s;
  s.name = "pets";
  s.layout = "image-folder";
  s.dataset = parse_dataset("image-folder", tmp / "data", {"pets", {}});
  EXPECT_EQ(error_of([&] { pool_datasets("pets", {s}, "union", nullptr); }),
            "dataset 'pets': 1 class after mapping (label_space union); source 'pets' (image-folder, " +
                (tmp / "data").string() +
                "): classes [cats], folders [cats/]; expected at least 2 classes to train a classifier "
                "(image-folder: one folder per class)");

  const PoolSource gold = source("goldfish", "kaggle-goldfish", {{"goldfish", 3}}, {{"goldfish", "n01443537"}});
  EXPECT_EQ(error_of([&] { pool_datasets("goldfish", {gold}, "union", nullptr); }),
            "dataset 'goldfish': 1 class after mapping (label_space union); source 'goldfish' (kaggle-goldfish, "
            "/nonexistent/goldfish): classes [goldfish], folders [none]; expected at least 2 classes to train a "
            "classifier (image-folder: one folder per class)");
  const PoolSource fruit = source("fruits", "kaggle-fruits", {{"Grape", 1}, {"Mango", 1}}, {{"Grape", ""}});
  EXPECT_EQ(error_of([&] { pool_datasets("f", {fruit}, "imagenet", &shipped_table()); }),
            "dataset 'f': 0 classes after mapping (label_space imagenet), left out for want of an ImageNet class: "
            "fruits/Grape, fruits/Mango; source 'fruits' (kaggle-fruits, /nonexistent/fruits): classes [Grape, "
            "Mango], folders [none]; expected at least 2 classes to train a classifier (image-folder: one folder "
            "per class)");
  EXPECT_EQ(error_of([&] { pool_datasets("x", {gold, gold}, "union", nullptr); }),
            "dataset 'x': sources: 'goldfish' given twice; expected each source once");
}

// One stratified split over the pool, per class, each image's source recorded.
TEST(Pool, SplitIsStratifiedOverThePoolAndRecordsSources) {
  const PooledDataset p = pool_datasets(
      "mix", {source("a", "image-folder", {{"cat", 10}, {"dog", 4}}), source("b", "image-folder", {{"dog", 6}, {"eel", 10}})},
      "union", nullptr);
  TempDir tmp;
  const Split s = load_or_make_split(p.dataset, tmp / "split.json", 0.7, 5, p.sample_sources());
  std::map<int, int> train_per_class;
  for (size_t i : s.train) ++train_per_class[p.dataset.samples[i].label];
  EXPECT_EQ(train_per_class, (std::map<int, int>{{0, 7}, {1, 7}, {2, 7}}));  // dog: 10 images pooled from a and b
  EXPECT_EQ(s.train.size() + s.test.size(), 30u);
  const auto j = nlohmann::json::parse(read_file(tmp / "split.json"));
  for (const char* part : {"train", "test"})
    for (const auto& e : j[part]) {
      const std::string id = e["id"];
      EXPECT_EQ(e["source"], id.substr(0, 1)) << id;
    }
}

}  // namespace
}  // namespace entcam
