// Runs over datasets a user brings (a manifest path, a folder read in place) and pooled
// datasets in both label spaces: report.json's sources, exclusions, class indices, by_source.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "runner/pipeline.h"
#include "support/test_support.h"

using namespace entcam;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A 48x40 JPEG: a coloured square (colour by class) on a noisy background, different per seed.
void write_image(const fs::path& p, int klass, int seed) {
  cv::Mat img(40, 48, CV_8UC3);
  cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(80 + seed % 40));
  const cv::Scalar colours[] = {{255, 40, 40}, {40, 255, 40}, {40, 40, 255}, {255, 255, 40}};
  cv::rectangle(img, cv::Rect(8 + seed % 10, 6 + seed % 8, 20, 18), colours[klass % 4], cv::FILLED);
  fs::create_directories(p.parent_path());
  ASSERT_TRUE(cv::imwrite(p.string(), img));
}

// <dir>/<top>/<class>/<n>.jpg for each class, n images each; a BOXES.json in <dir>/<top>/.
void write_folder(const fs::path& dir, const std::vector<std::string>& classes, int n) {
  json images = json::array();
  for (size_t c = 0; c < classes.size(); ++c)
    for (int i = 0; i < n; ++i) {
      write_image(dir / classes[c] / (std::to_string(i) + ".jpg"), int(c), i + 7 * int(c));
      images.push_back({{"id", classes[c] + "/" + std::to_string(i)}, {"width", 48}, {"height", 40},
                        {"boxes", {{8 + i % 10, 6 + (i + 7 * int(c)) % 8, 27 + i % 10, 23 + (i + 7 * int(c)) % 8}}}});
    }
  write_file_atomic(dir / "BOXES.json", json({{"images", images}}).dump());
}

std::string experiment(const fs::path& results, const std::string& datasets) {
  return "experiment: own\nresults: " + results.string() + "\ndatasets:\n" + datasets +
         "model: {arch: xception-mini, width_divisor: 16, middle_blocks: 0, output_stride: 16, input_size: 48}\n"
         "train: {epochs: 0}\n"
         "cam: {methods: [grad_cam, grad_entropy_cam], layer: conv4, batch_size: 8}\n"
         "metrics: {faithfulness: false, bootstrap: 1000}\n"
         "report: {figures: false}\n";
}

RunResult run(const test::TempDir& dir, const std::string& datasets) {
  write_file_atomic(dir / "exp.yaml", experiment(dir / "results", datasets));
  RunOptions o;
  o.data_root = (dir / "cache").string();
  o.run_id = "r";
  return run_experiment(dir / "exp.yaml", o);
}

std::string run_error(const test::TempDir& dir, const std::string& datasets) {
  try {
    run(dir, datasets);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

// Before: "filesystem error: cannot create directories: Not a directory [/.../digits.yaml]".
TEST(OwnData, ExperimentNamesItsDatasetByManifestPath) {
  test::TempDir dir;
  write_folder(dir / "photos/digits", {"0", "1"}, 6);  // one top folder, BOXES.json inside it
  write_file_atomic(dir / "digits.yaml", "name: digits\nlayout: image-folder\npath: photos\n");
  const RunResult r = run(dir, "  - name: " + (dir / "digits.yaml").string() + "\n");
  const json& d = r.report["datasets"]["digits"];
  EXPECT_EQ(d["n_train"].get<int>() + d["n_test"].get<int>(), 12);
  EXPECT_EQ(d["classes"], json({"0", "1"}));
  EXPECT_EQ(d["label_space"], "union");
  EXPECT_EQ(d["class_indices"], json({0, 1}));
  EXPECT_EQ(d["excluded_classes"], json::array());
  EXPECT_EQ(d["sources"][0]["name"], "digits");
  EXPECT_EQ(d["sources"][0]["images"], 12);
  EXPECT_EQ(d["by_source"]["digits"]["methods"], d["methods"]);
  EXPECT_EQ(d["methods"]["grad_cam"]["pointing_game"]["n"], d["n_test"]);  // the boxes were found
  EXPECT_TRUE(fs::exists(r.run_dir.parent_path().parent_path() / "cache/digits"));
}

TEST(Pool, UnionPoolReportsEverySourceAndItsMetrics) {
  test::TempDir dir;
  write_folder(dir / "a", {"cat", "dog"}, 6);
  write_folder(dir / "b", {"dog", "eel"}, 6);
  write_file_atomic(dir / "a.yaml", "name: a\nlayout: image-folder\npath: a\n");
  write_file_atomic(dir / "b.yaml", "name: b\nlayout: image-folder\npath: b\n");
  const RunResult r = run(dir, "  - name: pets\n    sources: [" + (dir / "a.yaml").string() + ", " +
                                   (dir / "b.yaml").string() + "]\n");
  const json& d = r.report["datasets"]["pets"];
  EXPECT_EQ(d["classes"], json({"cat", "dog", "eel"}));
  ASSERT_EQ(d["sources"].size(), 2u);
  EXPECT_EQ(d["sources"][1]["name"], "b");
  EXPECT_EQ(d["sources"][1]["classes"], json({"dog", "eel"}));
  int train = 0, test = 0, explained = 0;
  for (const auto& s : d["sources"]) train += s["n_train"].get<int>(), test += s["n_test"].get<int>();
  EXPECT_EQ(train, d["n_train"].get<int>());
  EXPECT_EQ(test, d["n_test"].get<int>());
  for (const auto& [name, s] : d["by_source"].items()) {
    explained += s["n_explained"].get<int>();
    EXPECT_EQ(s["methods"]["grad_cam"]["pointing_game"]["n"], s["n_explained"]) << name;
  }
  EXPECT_EQ(explained, d["n_explained"].get<int>());
  const std::string summary = read_file(r.run_dir / "summary.md");
  EXPECT_NE(summary.find("### pets: sources (label space union)"), std::string::npos) << summary;
  EXPECT_NE(summary.find("| b | 12 |"), std::string::npos) << summary;
}

// ImageNet label space: the 1000-way head, classes at their ImageNet indices, Grape left out.
TEST(Pool, ImageNetPoolKeepsTheThousandWayHeadAndListsExclusions) {
  test::TempDir dir;
  write_folder(dir / "fruit", {"Apple", "Grape", "banana"}, 5);
  write_folder(dir / "fish", {"goldfish"}, 5);
  write_file_atomic(dir / "fruit.yaml",
                    "name: fruit\nlayout: image-folder\npath: fruit\nimagenet: {apple: n07742313, Banana: n07753592, Grape: none}\n");
  write_file_atomic(dir / "fish.yaml", "name: fish\nlayout: kaggle-goldfish\npath: fish\nimagenet: {goldfish: n01443537}\n");
  const RunResult r = run(dir, "  - name: mix\n    label_space: imagenet\n    sources: [" + (dir / "fruit.yaml").string() +
                                   ", " + (dir / "fish.yaml").string() + "]\n");
  const json& d = r.report["datasets"]["mix"];
  EXPECT_EQ(d["label_space"], "imagenet");
  EXPECT_EQ(d["classes"], json({"goldfish", "Granny Smith", "banana"}));
  EXPECT_EQ(d["class_indices"], json({1, 948, 954}));
  EXPECT_EQ(d["excluded_classes"], json::parse(R"([{"source": "fruit", "class": "Grape", "images": 5}])"));
  EXPECT_EQ(d["n_train"].get<int>() + d["n_test"].get<int>(), 15);
  EXPECT_EQ(d["training"]["confusion_matrix"].size(), 3u);
  EXPECT_EQ(d["training"]["predicted_other"].size(), 3u);
  const std::string summary = read_file(r.run_dir / "summary.md");
  EXPECT_NE(summary.find("| fruit | Grape | 5 |"), std::string::npos) << summary;
}

// A one-class head is refused before anything trains.
TEST(Pool, OneClassDatasetIsRefused) {
  test::TempDir dir;
  write_folder(dir / "fish", {"goldfish"}, 3);
  write_file_atomic(dir / "fish.yaml", "name: fish\nlayout: kaggle-goldfish\npath: fish\n");
  EXPECT_EQ(run_error(dir, "  - name: " + (dir / "fish.yaml").string() + "\n"),
            "dataset 'fish': 1 class after mapping (label_space union); source 'fish' (kaggle-goldfish, " +
                fs::canonical(dir / "fish").string() +
                "): classes [goldfish], folders [goldfish/]; expected at least 2 classes to train a classifier "
                "(image-folder: one folder per class)");
  EXPECT_FALSE(fs::exists(dir / "results/cache/fish/train"));
}
