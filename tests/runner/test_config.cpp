#include <gtest/gtest.h>

#include "core/error.h"
#include "core/fs.h"
#include "runner/config.h"
#include "runner/schema.h"
#include "support/test_support.h"

using namespace entcam;

using test::error_of;

TEST(Config, ExtendsMergesDeeplyAndTheFileWins) {
  test::TempDir dir;
  write_file_atomic(dir / "configs/base.yaml", "seed: 1\ntrain:\n  epochs: 10\n  lr: 0.1\ncam:\n  methods: all\n");
  write_file_atomic(dir / "exp/run.yaml", "extends: ../configs/base.yaml\nexperiment: demo\ntrain:\n  epochs: 3\n");
  Config c = Config::load(dir / "exp/run.yaml", {}, {"train.lr=0.05", "cam.methods=[grad_cam, hires_cam]"});
  auto j = c.to_json();
  EXPECT_EQ(j["seed"], 1);
  EXPECT_EQ(j["train"]["epochs"], 3);
  EXPECT_DOUBLE_EQ(j["train"]["lr"].get<double>(), 0.05);
  EXPECT_EQ(j["cam"]["methods"], nlohmann::json({"grad_cam", "hires_cam"}));
  EXPECT_EQ(j["experiment"], "demo");
  EXPECT_FALSE(j.contains("extends"));
  EXPECT_EQ(c.origin("train.epochs").str(), (dir / "exp/run.yaml").string() + ":4:3");
  EXPECT_EQ(c.origin("seed").str(), (dir / "exp/../configs/base.yaml").string() + ":1:1");
  EXPECT_EQ(c.origin("train.lr").str(), "--set train.lr=0.05");
}

TEST(Config, ErrorsNameFileLineAndColumn) {
  test::TempDir dir;
  write_file_atomic(dir / "bad.yaml", "experiment: x\ntrain:\n  epochs: [1\n");
  EXPECT_NE(error_of([&] { Config::load(dir / "bad.yaml", {}, {}); }).find((dir / "bad.yaml").string() + ":"), std::string::npos);
  EXPECT_NE(error_of([&] { Config::load(dir / "bad.yaml", {}, {}); }).find("malformed YAML"), std::string::npos);

  write_file_atomic(dir / "typo.yaml", "experiment: x\ntrain:\n  epochs: 3\n  lr_rate: 0.1\n");
  EXPECT_EQ(error_of([&] { validate_config(Config::load(dir / "typo.yaml", {}, {})); }),
            (dir / "typo.yaml").string() +
                ":4:3: unknown key 'train.lr_rate' (expected one of: epochs, batch_size, optimizer, lr, momentum, nesterov, "
                "weight_decay, schedule, warmup_epochs, step_size, step_gamma, label_smoothing, freeze, freeze_epochs, augment, "
                "crop_scale_min, mixed_precision, channels_last)");

  write_file_atomic(dir / "type.yaml", "train:\n  epochs: three\n");
  EXPECT_EQ(error_of([&] { validate_config(Config::load(dir / "type.yaml", {}, {})); }),
            (dir / "type.yaml").string() + ":2:3: train.epochs: expected an integer in 0..10000, got 'three'");

  write_file_atomic(dir / "range.yaml", "datasets:\n  - name: fashion-scenes\n    train_fraction: 1.5\n");
  EXPECT_EQ(error_of([&] { validate_config(Config::load(dir / "range.yaml", {}, {})); }),
            (dir / "range.yaml").string() + ":3:5: datasets.0.train_fraction: expected a number in 0.05..0.95, got 1.5");

  write_file_atomic(dir / "choice.yaml", "cam:\n  methods: [grad_cam, gradcam]\n");
  EXPECT_NE(error_of([&] { validate_config(Config::load(dir / "choice.yaml", {}, {})); })
                .find(":2:3: cam.methods: expected one of grad_cam, hires_cam"),
            std::string::npos);

  EXPECT_EQ(error_of([&] { validate_config(Config::load(dir / "type.yaml", {}, {"train.epochs=4", "model.arch=resnet"})); }),
            "--set model.arch=resnet: model.arch: expected one of xception, xception-mini, resnet50, torchscript, got 'resnet'");
  EXPECT_EQ(error_of([&] { Config::load(dir / "type.yaml", {}, {"train.epochs"}); }), "--set 'train.epochs': expected key.path=value");
  EXPECT_EQ(error_of([&] { Config::load(dir / "missing.yaml", {}, {}); }), (dir / "missing.yaml").string() + ": config file does not exist");
}

TEST(Config, ExtendsCyclesAndMissingParentsAreReported) {
  test::TempDir dir;
  write_file_atomic(dir / "a.yaml", "extends: b.yaml\n");
  write_file_atomic(dir / "b.yaml", "extends: a.yaml\n");
  EXPECT_NE(error_of([&] { Config::load(dir / "a.yaml", {}, {}); }).find("an `extends:` cycle"), std::string::npos);
  write_file_atomic(dir / "c.yaml", "seed: 2\nextends: [nope.yaml]\n");
  EXPECT_EQ(error_of([&] { Config::load(dir / "c.yaml", {}, {}); }),
            (dir / "c.yaml").string() + ":2:10: extends: 'nope.yaml' does not exist (looked for " + (dir / "nope.yaml").string() + ")");
}

TEST(Config, SweepAxesAreValidated) {
  test::TempDir dir;
  write_file_atomic(dir / "s.yaml", "sweep:\n  cam.entropy.bins: [4, 8, auto, fd]\n  cam.layer: [act4, conv4]\n");
  EXPECT_NO_THROW(validate_config(Config::load(dir / "s.yaml", {}, {})));
  write_file_atomic(dir / "t.yaml", "sweep:\n  cam.entropy.bins: [4, 0]\n");
  EXPECT_EQ(error_of([&] { validate_config(Config::load(dir / "t.yaml", {}, {})); }),
            (dir / "t.yaml").string() + ":2:3: sweep.cam.entropy.bins: expected an integer in 1..1e+06 or one of auto, fd, "
                                        "doane, scott, rice, sturges, sqrt, got '0'");
  write_file_atomic(dir / "u.yaml", "sweep:\n  cam.colour: [red]\n");
  EXPECT_EQ(error_of([&] { validate_config(Config::load(dir / "u.yaml", {}, {})); }),
            (dir / "u.yaml").string() + ":2:3: sweep key 'cam.colour' is not a sweepable config key");
}

TEST(Config, HashIsStableAndSensitive) {
  nlohmann::json a = {{"b", 1}, {"a", {1, 2}}};
  nlohmann::json b = {{"a", {1, 2}}, {"b", 1}};
  EXPECT_EQ(config_hash(a), config_hash(b));
  b["b"] = 2;
  EXPECT_NE(config_hash(a), config_hash(b));
  EXPECT_EQ(config_hash(a).size(), 16u);
}

TEST(Config, SanityAndRoadKeysAreValidated) {
  test::TempDir dir;
  write_file_atomic(dir / "ok.yaml",
                    "metrics:\n  sanity: true\n  sanity_images: 3\n  road: true\n  road_percentiles: [25, 50.5]\n"
                    "  road_noise: 0\n");
  EXPECT_EQ(error_of([&] { validate_config(Config::load(dir / "ok.yaml", {}, {})); }), "no error");
  write_file_atomic(dir / "p0.yaml", "metrics:\n  road_percentiles: [10, 100]\n");
  EXPECT_EQ(error_of([&] { validate_config(Config::load(dir / "p0.yaml", {}, {})); }),
            (dir / "p0.yaml").string() + ":2:26: metrics.road_percentiles.1: expected a number in 1..99, got 100");
  write_file_atomic(dir / "scalar.yaml", "metrics:\n  road_percentiles: 50\n");
  EXPECT_EQ(error_of([&] { validate_config(Config::load(dir / "scalar.yaml", {}, {})); }),
            (dir / "scalar.yaml").string() + ":2:3: metrics.road_percentiles: expected a list, got '50'");
  write_file_atomic(dir / "flag.yaml", "metrics:\n  sanity: maybe\n");
  EXPECT_EQ(error_of([&] { validate_config(Config::load(dir / "flag.yaml", {}, {})); }),
            (dir / "flag.yaml").string() + ":2:3: metrics.sanity: expected true or false, got 'maybe'");
}
