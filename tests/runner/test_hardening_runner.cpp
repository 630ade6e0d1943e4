// Issue 13 (hardening), the cases that live in experiment YAML handling: each test is named
// after its case and failed before the fix.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <functional>

#include "core/error.h"
#include "core/fs.h"
#include "runner/config.h"
#include "runner/experiment.h"
#include "runner/schema.h"
#include "support/test_support.h"

using namespace entcam;
using test::error_of;

namespace {

Config load_text(const test::TempDir& dir, const std::string& yaml, const std::vector<std::string>& sets = {}) {
  write_file_atomic(dir / "exp.yaml", yaml);
  return Config::load(dir / "exp.yaml", {test::source_dir() / "configs/defaults.yaml"}, sets);
}

const char* kMinimal = "experiment: demo\ndatasets:\n  - name: fashion-scenes\n";

}  // namespace

TEST(Issue13Runner, Case01_SelfReferencingAliasIsAnErrorNotACrash) {
  test::TempDir dir;
  const std::string f = (dir / "exp.yaml").string();
  const std::string msg = error_of([&] { load_text(dir, "description: &a [*a]\n"); });
  EXPECT_EQ(msg.rfind(f + ":1:", 0), 0u) << msg;
  EXPECT_NE(msg.find(": an alias refers to a value that contains it (a cycle); expected aliases to complete values"),
            std::string::npos)
      << msg;
}

TEST(Issue13Runner, Case05_AliasExpansionIsLimitedAndConfigurable) {
  test::TempDir dir;
  // each level repeats the previous one 9 times: 9^8 = 43 million values from 300 bytes
  std::string y = std::string(kMinimal) + "x0: &a0 [1,1,1,1,1,1,1,1,1]\n";
  for (int i = 1; i <= 8; ++i) {
    y += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) y += std::string(k ? "," : "") + "*a" + std::to_string(i - 1);
    y += "]\n";
  }
  const std::string f = (dir / "exp.yaml").string();
  EXPECT_EQ(error_of([&] { load_text(dir, y); }),
            f + ": the YAML expands to more than 100000 values (aliases repeat what they refer to); expected a smaller "
                "document (ENTCAM_YAML_MAX_VALUES raises the limit)");
  // a real document with a few aliases passes; the limit can be lowered (and raised)
  const std::string small = std::string(kMinimal) + "a: &x [1, 2, 3]\nb: [*x, *x]\n";
  EXPECT_NO_THROW(load_text(dir, small));
  ::setenv("ENTCAM_YAML_MAX_VALUES", "8", 1);
  EXPECT_NE(error_of([&] { load_text(dir, small); }).find("more than 8 values"), std::string::npos);
  ::unsetenv("ENTCAM_YAML_MAX_VALUES");
}

TEST(Issue13Runner, Case05_SweepSizeIsLimitedBeforeThePointsAreBuilt) {
  test::TempDir dir;
  std::string y = std::string(kMinimal) + "sweep:\n";
  for (const char* key : {"metrics.steps", "metrics.blur_kernel", "metrics.bootstrap", "cam.batch_size",
                          "cam.perturbation_batch", "report.grid_images"}) {
    y += std::string("  ") + key + ": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
  }
  const Config c = load_text(dir, y);
  const std::string msg = error_of([&] { sweep_points(c); });
  EXPECT_EQ(msg, (dir / "exp.yaml").string() +
                     ":4:1: sweep: 10 x 10 x 10 x 10 x 10 x 10 values make more than 1000 points; expected at most 1000 "
                     "(set ENTCAM_MAX_SWEEP_POINTS for a larger sweep, and split it with --shard I/N)");
  ::setenv("ENTCAM_MAX_SWEEP_POINTS", "100", 1);
  const Config two = load_text(dir, std::string(kMinimal) + "sweep:\n  metrics.steps: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
                                                            "  cam.batch_size: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n");
  EXPECT_EQ(sweep_points(two).size(), 100u);
  ::setenv("ENTCAM_MAX_SWEEP_POINTS", "99", 1);
  EXPECT_NE(error_of([&] { sweep_points(two); }).find("more than 99 points"), std::string::npos);
  ::unsetenv("ENTCAM_MAX_SWEEP_POINTS");
}

TEST(Issue13Runner, Case07_NumbersAreDecimalAndTheStageKeyHoldsTheValueUsed) {
  test::TempDir dir;
  // yaml-cpp reads "010" as octal 8 while the resolved config said 10: one reading now
  const Config c = load_text(dir, kMinimal, {"metrics.steps=010", "seed=08"});
  validate_config(c);
  const ExperimentSettings s = experiment_settings(c);
  EXPECT_EQ(s.faithfulness_options.steps, 10);
  EXPECT_EQ(s.seed, 8u);
  EXPECT_EQ(c.to_json()["metrics"]["steps"], 10);
  EXPECT_EQ(explain_stage_key(s, s.datasets[0])["faithfulness"]["steps"], 10);
  // "-0" is zero, not a failed conversion to an unsigned seed
  EXPECT_EQ(experiment_settings(load_text(dir, std::string(kMinimal) + "seed: -0\n")).seed, 0u);
}

// A cache written by an entcam whose training or explain arithmetic differed must not be
// reused: the versions are part of the hashed keys, and the explain key holds the training one.
TEST(StageKeys, CarryTheNumericsVersionsOfTheirStages) {
  test::TempDir dir;
  const ExperimentSettings s = experiment_settings(load_text(dir, kMinimal));
  const nlohmann::json train = train_stage_key(s, s.datasets[0]), explain = explain_stage_key(s, s.datasets[0]);
  EXPECT_EQ(train["training_numerics"], kTrainingNumerics);
  EXPECT_FALSE(train.contains("explain_numerics"));  // a CAM change keeps the trained model
  EXPECT_EQ(explain["training_numerics"], kTrainingNumerics);
  EXPECT_EQ(explain["explain_numerics"], kExplainNumerics);
  nlohmann::json older = train;
  older["training_numerics"] = kTrainingNumerics - 1;
  EXPECT_NE(config_hash(older), config_hash(train));
}

TEST(Issue13Runner, Case07_BadScalarsNameTheFileAndKey) {
  test::TempDir dir;
  const std::string f = (dir / "exp.yaml").string();
  // a hex float passed validation (std::stod) and failed later as "bad conversion"
  EXPECT_EQ(error_of([&] { validate_config(load_text(dir, std::string(kMinimal) + "metrics:\n  blur_sigma: 0x1p3\n")); }),
            f + ":5:3: metrics.blur_sigma: expected a number in 0.01..100, got '0x1p3'");
  // complex keys
  const std::string complex_key = error_of([&] { load_text(dir, "? [a]\n: 1\n"); });
  EXPECT_EQ(complex_key.rfind(f + ":1:", 0), 0u) << complex_key;
  EXPECT_NE(complex_key.find(": a mapping key is a list; expected a plain name"), std::string::npos) << complex_key;
  // a sweep value that yaml-cpp cannot convert
  const Config c = load_text(dir, std::string(kMinimal) + "sweep:\n  seed: [08]\n");
  validate_config(c);
  ASSERT_EQ(sweep_points(c).size(), 1u);
  EXPECT_EQ(sweep_points(c)[0].label(), "seed=08");
  // a non-scalar where a scalar is read: the key, not "bad conversion"
  EXPECT_EQ(error_of([&] { experiment_settings(load_text(dir, "experiment: [a, b]\ndatasets:\n  - name: x\n")); }),
            f + ":1:1: experiment: expected a text value, got a list");
}

TEST(Issue13Runner, Case08_InvalidUtf8IsRefusedWhereItIsRead) {
  test::TempDir dir;
  const std::string f = (dir / "exp.yaml").string();
  EXPECT_EQ(error_of([&] { load_text(dir, std::string(kMinimal) + "description: caf\xe9\n"); }),
            f + ":4:14: 'caf\\xE9' is not valid UTF-8; expected UTF-8 text");
  const std::string set = error_of([&] { load_text(dir, kMinimal, {"experiment=\xff"}); });
  EXPECT_EQ(set.rfind("--set experiment=\\xFF", 0), 0u) << set;
  EXPECT_NE(set.find(": '\\xFF' is not valid UTF-8; expected UTF-8 text"), std::string::npos) << set;
}

TEST(Issue13Runner, Case12_EmptyExperimentFileNamesTheFile) {
  test::TempDir dir;
  EXPECT_EQ(error_of([&] { experiment_settings(load_text(dir, "")); }),
            (dir / "exp.yaml").string() + ": experiment: a name is required");
}

TEST(Issue13Runner, Case12_DuplicateKeysAreAnError) {
  test::TempDir dir;
  EXPECT_EQ(error_of([&] { load_text(dir, "experiment: a\nseed: 1\nseed: 2\n"); }),
            (dir / "exp.yaml").string() + ":3:1: key 'seed' appears twice in the same mapping; expected each key once");
}
