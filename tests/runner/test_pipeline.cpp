#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "core/error.h"
#include "core/fs.h"
#include "runner/pipeline.h"
#include "support/test_support.h"

using namespace entcam;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A tiny experiment: 60 generated scenes of 64 px, a very small xception-mini, a few methods.
std::string tiny_experiment(const fs::path& results, const std::string& extra = "") {
  return "experiment: tiny\n"
         "results: " + results.string() + "\n"
         "datasets:\n"
         "  - name: fashion-scenes\n"
         "    options: {count: 60, canvas: 64, min_scale: 24, max_scale: 32, seed: 3, classes: [trouser, bag, sneaker]}\n"
         "model: {arch: xception-mini, width_divisor: 16, middle_blocks: 0, output_stride: 16, input_size: 64}\n"
         "train: {epochs: 0}\n"
         "cam: {methods: [grad_cam, hires_cam, grad_entropy_cam, feature_entropy_cam, eigen_cam], layer: conv4, batch_size: 8}\n"
         "metrics: {faithfulness: false, bootstrap: 1000}\n"
         "report: {figures: false}\n" + extra;
}

struct Tiny {
  test::TempDir dir;
  fs::path file = dir / "tiny.yaml";
  explicit Tiny(const std::string& extra = "") { write_file_atomic(file, tiny_experiment(dir / "results", extra)); }
  RunResult run(std::vector<std::string> sets = {}, int shard = 0, int shards = 1, const std::string& id = "") {
    RunOptions o;
    o.overrides = std::move(sets);
    o.data_root = (dir / "data").string();
    o.shard_index = shard;
    o.shard_count = shards;
    o.run_id = id;
    return run_experiment(file, o);
  }
};

}  // namespace

TEST(Pipeline, WritesTheReportOfSpecSection4) {
  Tiny t;
  RunResult r = t.run({}, 0, 1, "first");
  const json& rep = r.report;
  EXPECT_EQ(rep["schema_version"], 1);
  EXPECT_EQ(rep["experiment"], "tiny");
  EXPECT_EQ(rep["run_id"], "first");
  EXPECT_EQ(rep["config"]["model"]["width_divisor"], 16);
  EXPECT_EQ(rep["environment"]["device"], "cpu");
  const json& d = rep["datasets"]["fashion-scenes"];
  EXPECT_EQ(d["n_train"].get<int>() + d["n_test"].get<int>(), 60);
  EXPECT_EQ(d["classes"], json({"bag", "sneaker", "trouser"}));  // sorted folder names
  EXPECT_TRUE(d["training"].contains("test_accuracy"));
  const json& pg = d["methods"]["grad_cam"]["pointing_game"];
  EXPECT_EQ(pg["n"], d["n_test"]);
  EXPECT_GE(pg["mean"].get<double>(), pg["ci95"][0].get<double>());
  EXPECT_LE(pg["mean"].get<double>(), pg["ci95"][1].get<double>());
  EXPECT_TRUE(fs::exists(r.run_dir / "report.json"));
  EXPECT_TRUE(fs::exists(r.run_dir / "summary.md"));
  EXPECT_TRUE(fs::exists(r.run_dir / "per_image.jsonl"));
  // The total covers every stage, the report included (it once stopped before the report).
  const json& timing = rep["timing"];
  double stages = 0;
  for (const char* stage : {"download+split", "train", "explain", "report"}) stages += timing.at(stage).get<double>();
  EXPECT_GE(timing.at("total").get<double>(), stages - 1e-9);
}

TEST(Pipeline, RerunSkipsFinishedStagesAndAChangeRedoesOnlyWhatDependsOnIt) {
  Tiny t;
  RunResult first = t.run();
  EXPECT_EQ(first.stats.models_trained, 1);
  EXPECT_EQ(first.stats.explain_stages_run, 1);
  EXPECT_GT(first.stats.capture_passes, 0);
  RunResult again = t.run();
  EXPECT_EQ(again.stats.models_trained, 0);
  EXPECT_EQ(again.stats.explain_stages_cached, 1);
  EXPECT_EQ(again.stats.capture_passes, 0);
  EXPECT_EQ(again.report["datasets"], first.report["datasets"]);
  RunResult cam_changed = t.run({"cam.entropy.bins=8"});
  EXPECT_EQ(cam_changed.stats.models_trained, 0);  // the trained model is reused
  EXPECT_EQ(cam_changed.stats.explain_stages_run, 1);
  RunResult train_changed = t.run({"train.lr=0.01"});
  EXPECT_EQ(train_changed.stats.models_trained, 1);
}

TEST(Pipeline, SweepPointsReuseCapturedActivations) {
  Tiny plain;
  const int passes = plain.run().stats.capture_passes;
  Tiny t("sweep:\n  cam.entropy.bins: [4, 16, auto]\n");
  RunResult r = t.run();
  EXPECT_EQ(r.stats.capture_passes, passes);  // one set of forward+backward passes for three points
  EXPECT_EQ(r.stats.explain_stages_run, 3);
  ASSERT_EQ(r.report["sweep"].size(), 3u);
  EXPECT_EQ(r.report["sweep"][1]["point"], "cam.entropy.bins=16");
  EXPECT_NE(r.report["sweep"][0]["datasets"]["fashion-scenes"]["methods"]["feature_entropy_cam"],
            r.report["sweep"][1]["datasets"]["fashion-scenes"]["methods"]["feature_entropy_cam"]);
  EXPECT_EQ(r.report["sweep"][0]["datasets"]["fashion-scenes"]["methods"]["grad_cam"],
            r.report["sweep"][1]["datasets"]["fashion-scenes"]["methods"]["grad_cam"]);
}

TEST(Pipeline, ShardsMergedEqualAnUnshardedRun) {
  Tiny t;
  RunResult full = t.run({}, 0, 1, "full");
  RunResult s0 = t.run({}, 0, 2, "part");
  RunResult s1 = t.run({}, 1, 2, "part");
  EXPECT_LT(s0.report["datasets"]["fashion-scenes"]["n_explained"].get<int>(),
            full.report["datasets"]["fashion-scenes"]["n_explained"].get<int>());
  json merged = merge_shards({s1.run_dir, s0.run_dir}, t.dir / "merged");
  EXPECT_EQ(merged["datasets"]["fashion-scenes"]["methods"], full.report["datasets"]["fashion-scenes"]["methods"]);
  EXPECT_EQ(merged["datasets"]["fashion-scenes"]["paired"], full.report["datasets"]["fashion-scenes"]["paired"]);
  EXPECT_THROW(merge_shards({s0.run_dir}, t.dir / "half"), InputError);  // a shard missing
}

TEST(Pipeline, BadExperimentsFailBeforeAnythingRuns) {
  Tiny t;
  write_file_atomic(t.file, tiny_experiment(t.dir / "results", "cam_layer: act4\n"));
  try {
    t.run();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tiny.yaml:11:1: unknown key 'cam_layer'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(t.dir / "results"));
}

TEST(Pipeline, TrainsWithTheDataLoaderWhenEpochsAreSet) {
  Tiny t;
  RunResult r = t.run({"train.epochs=1", "train.batch_size=16", "train.crop_scale_min=0.5"});
  EXPECT_EQ(r.stats.models_trained, 1);
  const json& training = r.report["datasets"]["fashion-scenes"]["training"];
  EXPECT_EQ(training["epochs"], 1);
  ASSERT_EQ(training["history"].size(), 1u);
  ASSERT_EQ(training["confusion_matrix"].size(), 3u);
  // The accuracy is the confusion matrix's diagonal over its total, and the last epoch's.
  int64_t total = 0, correct = 0;
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 3; ++j) {
      const int64_t c = training["confusion_matrix"][i][j];
      total += c;
      correct += i == j ? c : 0;
    }
  EXPECT_EQ(total, int64_t(r.report["datasets"]["fashion-scenes"]["n_test"]));
  EXPECT_DOUBLE_EQ(training["test_accuracy"].get<double>(), double(correct) / double(total));
  EXPECT_DOUBLE_EQ(training["history"][0]["test_accuracy"].get<double>(), training["test_accuracy"].get<double>());
  RunResult again = t.run({"train.epochs=1", "train.batch_size=16", "train.crop_scale_min=0.5"});
  EXPECT_EQ(again.stats.models_trained, 0);
}

TEST(Pipeline, WritesFiguresInThreeFormatsAndReportHtmlWithAThumbnailPerImage) {
  Tiny t;
  RunResult r = t.run({"report.figures=true", "report.grid_images=3"}, 0, 1, "html");
  for (const std::string ext : {".png", ".pdf", ".svg"}) {
    EXPECT_TRUE(fs::exists(r.run_dir / ("figures/grid-fashion-scenes" + ext))) << ext;
    EXPECT_TRUE(fs::exists(r.run_dir / ("figures/bars-fashion-scenes-pointing_game" + ext))) << ext;
  }
  const std::string html = read_file(r.run_dir / "report.html");
  const size_t data = html.find("id=\"report-data\">");
  ASSERT_NE(data, std::string::npos);
  const size_t begin = html.find('>', data) + 1;
  const json page = json::parse(html.substr(begin, html.find("</script>", begin) - begin));
  const json& gallery = page["datasets"][0]["gallery"];
  // One strip cell per method of the run (the page finds a method's cell by name).
  auto strip = gallery["strip"].get<std::vector<std::string>>();
  std::sort(strip.begin(), strip.end());
  EXPECT_EQ(strip, (std::vector<std::string>{"eigen_cam", "feature_entropy_cam", "grad_cam", "grad_entropy_cam", "hires_cam"}));
  EXPECT_EQ(gallery["images"].size(), r.report["datasets"]["fashion-scenes"]["n_explained"].get<size_t>());
  for (const json& im : gallery["images"]) {
    EXPECT_TRUE(fs::exists(r.run_dir / im["img"].get<std::string>())) << im["img"];
    EXPECT_TRUE(fs::exists(r.run_dir / im["maps"].get<std::string>())) << im["maps"];
    EXPECT_TRUE(im["info"].contains("class"));
  }
  EXPECT_NE(std::find(page["figures"].begin(), page["figures"].end(), "figures/grid-fashion-scenes.png"),
            page["figures"].end());
}

// The same binary and seed round differently under another OpenBLAS kernel set, so report.json
// records the CPU and the kernel-choosing variables that are set (and only those).
TEST(Pipeline, EnvironmentRecordsTheCpuAndTheKernelChoosingVariablesThatAreSet) {
  const char* outer = std::getenv("OPENBLAS_CORETYPE");  // the caller's value, put back at the end
  const bool had_outer = outer != nullptr;
  const std::string saved = had_outer ? outer : "";
  ::setenv("OPENBLAS_CORETYPE", "Haswell", 1);
  json env = run_environment("cpu");
  EXPECT_EQ(env["numerics_variables"]["OPENBLAS_CORETYPE"], "Haswell");
  EXPECT_EQ(env["device"], "cpu");
  const std::string cpu = env["cpu"].get<std::string>();
  EXPECT_NE(cpu, "unknown");  // /proc/cpuinfo has a model name on x86-64 Linux
  EXPECT_NE(cpu.find("(family "), std::string::npos) << cpu;
  ::unsetenv("OPENBLAS_CORETYPE");
  EXPECT_FALSE(run_environment("cpu")["numerics_variables"].contains("OPENBLAS_CORETYPE"));
  EXPECT_TRUE(run_environment("merged")["numerics_variables"].is_object());
  if (had_outer) ::setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
}
