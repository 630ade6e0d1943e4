// The paper's experiment end to end without internet: a loopback mirror serves the three
// sources in their real archive layouts (Stanford Dogs tar files with VOC annotations, the
// Kaggle Fruits zip, a goldfish zip) and ImageNet Xception weights in timm's names (random
// values, generated here); `entcam run experiments/paper.yaml` runs with --set overrides that
// only shrink it (one epoch, two methods, few faithfulness images; the same model at 299 px).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "core/safetensors.h"
#include "models/weights.h"
#include "models/xception.h"
#include "support/dataset_fixtures.h"
#include "support/test_support.h"

namespace entcam::test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// Kaggle "Fruits Classification": Fruits Classification/{train,valid,test}/<Class>/, three
// images per class, one in each split folder.
std::string fruits_zip(const fs::path& scratch) {
  std::vector<ArchiveEntry> entries;
  const char* splits[] = {"train", "valid", "test"};
  int seed = 50;
  for (const char* klass : {"Apple", "Banana", "Grape", "Mango", "Strawberry"})
    for (int i = 0; i < 3; ++i)
      entries.push_back({std::string("Fruits Classification/") + splits[i] + "/" + klass + "/" + klass + "_" +
                             std::to_string(i) + ".jpeg",
                         make_jpeg(110 + 5 * i, 100, seed++), ""});
  return make_archive(entries, "zip", scratch);
}

// A goldfish set as detection datasets are packed: one top folder, images/ and YOLO labels/.
std::string goldfish_zip(const fs::path& scratch) {
  std::vector<ArchiveEntry> entries;
  for (int i = 0; i < 4; ++i) {
    const std::string stem = "goldfish_" + std::to_string(i);
    entries.push_back({"Goldfish/images/train/" + stem + ".jpg", make_jpeg(120, 90, 80 + i), ""});
    entries.push_back({"Goldfish/labels/train/" + stem + ".txt", "0 0.5 0.45 0.4 0.5\n", ""});
  }
  return make_archive(entries, "zip", scratch);
}

struct Command {
  int exit_code;
  std::string err;
};

Command sh(const std::string& cmd, const fs::path& err_file) {
  const int status = std::system((cmd + " >/dev/null 2>" + err_file.string() + " </dev/null").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), read_file(err_file)};
}

TEST(PaperCli, PooledImageNetExperimentOverALoopbackMirror) {
  TempDir tmp;
  FileServer server;
  const DogsFixture dogs = make_dogs_fixture(tmp / "scratch");
  server.put("/stanford-dogs/images.tar", dogs.images_tar);
  server.put("/stanford-dogs/annotation.tar", dogs.annotation_tar);
  server.put("/stanford-dogs/lists.tar", dogs.lists_tar);
  server.put("/fruits/fruits-classification.zip", fruits_zip(tmp / "scratch"));
  server.put("/goldfish/goldfish.zip", goldfish_zip(tmp / "scratch"));
  // The standard Xception with its 1000-way classifier, seeded random values, no metadata:
  // what timm's legacy_xception checkpoint looks like as safetensors.
  torch::manual_seed(3);
  Xception weights_model(XceptionConfig{});
  save_state(*weights_model, tmp / "model.safetensors", {});
  server.put("/xception-imagenet/model.safetensors", read_file(tmp / "model.safetensors"));

  fs::create_directories(tmp / "home");
  const std::string cmd =
      "cd " + tmp.path().string() + " && env -u KAGGLE_USERNAME -u KAGGLE_KEY -u KAGGLE_API_TOKEN -u KAGGLE_CONFIG_DIR" +
      " HOME=" + (tmp / "home").string() + " ENTCAM_MIRROR=" + server.url("") + " ENTCAM_DATA=" +
      (tmp / "cache").string() + " " + ENTCAM_BINARY + " run " + (source_dir() / "experiments/paper.yaml").string() +
      " --run-id loop --set results=" + (tmp / "results").string() +
      " --set threads=2 --set train.epochs=1 --set train.batch_size=8 --set train.warmup_epochs=0"
      " --set cam.methods=[grad_cam,grad_entropy_cam] --set cam.batch_size=8"
      " --set metrics.faithfulness_images=2 --set metrics.steps=4 --set report.grid_images=2";
  const Command r = sh(cmd, tmp / "err");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Fetched: each served file once, from the mirror, without credentials.
  std::map<std::string, int> fetched;
  for (const auto& hit : server.log()) {
    ++fetched[hit.path];
    EXPECT_EQ(hit.authorization, "") << hit.path;
  }
  EXPECT_EQ(fetched, (std::map<std::string, int>{{"/fruits/fruits-classification.zip", 1},
                                                 {"/goldfish/goldfish.zip", 1},
                                                 {"/stanford-dogs/annotation.tar", 1},
                                                 {"/stanford-dogs/images.tar", 1},
                                                 {"/stanford-dogs/lists.tar", 1},
                                                 {"/xception-imagenet/model.safetensors", 1}}));

  const fs::path run_dir = tmp / "results/paper/loop";
  const json report = json::parse(read_file(run_dir / "report.json"));
  EXPECT_EQ(report["schema_version"], 1);
  EXPECT_EQ(report["experiment"], "paper");
  EXPECT_EQ(report["environment"]["device"], "cpu");
  EXPECT_EQ(report["config"]["model"]["input_size"], 299);
  EXPECT_EQ(report["config"]["model"]["arch"], "xception");
  ASSERT_TRUE(report["datasets"].contains("paper-pool")) << report["datasets"].dump();
  const json& d = report["datasets"]["paper-pool"];

  // Label mapping: ImageNet names and indices; Grape and Mango left out with their counts.
  EXPECT_EQ(d["label_space"], "imagenet");
  EXPECT_EQ(d["classes"], json({"goldfish", "Chihuahua", "Japanese spaniel", "Granny Smith", "strawberry", "banana"}));
  EXPECT_EQ(d["class_indices"], json({1, 151, 152, 948, 949, 954}));
  EXPECT_EQ(d["excluded_classes"], json::parse(R"([{"source": "fruits", "class": "Grape", "images": 3},
                                                   {"source": "fruits", "class": "Mango", "images": 3}])"));
  ASSERT_EQ(d["sources"].size(), 3u);
  const std::vector<std::pair<std::string, int>> expected_sources = {{"stanford-dogs", 6}, {"fruits", 9}, {"goldfish", 4}};
  int n_train = 0, n_test = 0;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(d["sources"][i]["name"], expected_sources[i].first);
    EXPECT_EQ(d["sources"][i]["images"], expected_sources[i].second);
    n_train += d["sources"][i]["n_train"].get<int>();
    n_test += d["sources"][i]["n_test"].get<int>();
  }
  EXPECT_EQ(n_train, d["n_train"].get<int>());
  EXPECT_EQ(n_test, d["n_test"].get<int>());
  EXPECT_EQ(n_train + n_test, 19);
  EXPECT_EQ(d["sources"][2]["classes"], json({"goldfish"}));

  // Per source: every metric, n adding up to the pooled n. Dogs (VOC) and goldfish (YOLO) have
  // boxes, the fruits none, so their localisation metrics count no image.
  int explained = 0, pointed = 0;
  ASSERT_EQ(d["by_source"].size(), 3u);
  for (const auto& [name, s] : d["by_source"].items()) {
    explained += s["n_explained"].get<int>();
    json copy = s;
    const json pg = copy["methods"]["grad_cam"]["pointing_game"];
    const int n = pg.is_object() ? pg.value("n", 0) : 0;
    pointed += n;
    EXPECT_EQ(n, name == "fruits" ? 0 : s["n_explained"].get<int>()) << name << " " << s.dump();
  }
  EXPECT_EQ(explained, d["n_explained"].get<int>());
  EXPECT_EQ(pointed, d["methods"]["grad_cam"]["pointing_game"]["n"].get<int>());

  // One epoch of fine-tuning; the pretrained 1000-way classifier kept, not re-initialised.
  EXPECT_EQ(d["training"]["epochs"], 1);
  EXPECT_EQ(d["training"]["confusion_matrix"].size(), 6u);
  fs::path trained;
  for (const auto& e : fs::recursive_directory_iterator(tmp / "results/cache/paper-pool"))
    if (e.path().filename() == "model.safetensors") trained = e.path();
  ASSERT_FALSE(trained.empty());
  const SafeTensorsFile served = SafeTensorsFile::load(tmp / "model.safetensors"), tuned = SafeTensorsFile::load(trained);
  const torch::Tensor fc0 = tensor_from(served, "fc.weight"), fc1 = tensor_from(tuned, "fc.weight");
  ASSERT_EQ(fc1.sizes(), fc0.sizes());
  EXPECT_EQ(fc1.size(0), 1000);
  EXPECT_LT((fc1 - fc0).norm().item<double>(), 0.1 * fc0.norm().item<double>());

  // The split over the pool records each image's source.
  for (const auto& e : fs::directory_iterator(tmp / "results/cache/paper-pool"))
    if (e.path().filename().string().rfind("split-", 0) == 0) {
      const json split = json::parse(read_file(e.path()));
      for (const auto& item : split["test"]) {
        const std::string id = item["id"], source = item["source"];
        EXPECT_EQ(id.rfind(source + "/", 0), 0u) << id;
      }
    }

  // act4: the global-average-pool warning; conv4: none.
  ASSERT_EQ(report["sweep"].size(), 2u);
  EXPECT_EQ(report["sweep"][0]["point"], "cam.layer=act4");
  const json& act4 = report["sweep"][0]["datasets"]["paper-pool"]["warnings"];
  ASSERT_EQ(act4.size(), 1u);
  EXPECT_NE(act4[0].get<std::string>().find("gradients are constant over space at layer 'act4'"), std::string::npos);
  EXPECT_EQ(report["sweep"][1]["datasets"]["paper-pool"]["warnings"], json::array());

  const std::string summary = read_file(run_dir / "summary.md");
  EXPECT_NE(summary.find("| fruits | Grape | 3 |"), std::string::npos) << summary;
  EXPECT_NE(summary.find("| fruits | Mango | 3 |"), std::string::npos) << summary;
  EXPECT_TRUE(fs::exists(run_dir / "per_image.jsonl"));
}

}  // namespace
}  // namespace entcam::test
