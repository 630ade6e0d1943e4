// Training loop tests on a tiny Xception and a tiny stand-in scene set (seconds on 2 cores).
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <fstream>

#include "core/error.h"
#include "core/fs.h"
#include "core/safetensors.h"
#include "models/device.h"
#include "models/registry.h"
#include "support/test_support.h"
#include "train/checkpoint.h"
#include "train/fashion_scenes_standin.h"
#include "train/trainer.h"

#include <nlohmann/json.hpp>

namespace entcam {
namespace {

using ::testing::HasSubstr;

// 4 classes, 32 px scenes: 64 training and 32 test images, built once.
const TrainData& tiny_data() {
  static const TrainData data = [] {
    auto pool = standin::read_fashion_mnist(true, 2000);
    auto tr = standin::make_scenes(pool, 64, 32, 1, 2, 4);
    auto te = standin::make_scenes(pool, 32, 32, 2, 2, 4);
    return in_memory_data(tr.images, tr.labels, te.images, te.labels, 4);
  }();
  return data;
}

TrainConfig tiny_config(const std::filesystem::path& out) {
  TrainConfig c;
  c.model.arch = "xception-mini";
  c.model.options = {{"entcam.width_divisor", "16"}, {"entcam.middle_blocks", "1"},
                     {"entcam.output_stride", "16"}, {"entcam.input_size", "32"}};
  c.optimizer = "sgd";
  c.lr = 0.05;
  c.warmup_epochs = 0.5;
  c.epochs = 3;
  c.batch_size = 16;
  c.seed = 7;
  c.device = "cpu";
  c.threads = 1;  // tests share 2 busy cores; one thread is both faster and steadier here
  c.progress = false;
  c.out_dir = out;
  return c;
}

std::map<std::string, torch::Tensor> snapshot(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (auto& p : m.named_parameters()) out[p.key()] = p.value().detach().clone();
  for (auto& b : m.named_buffers()) out[b.key()] = b.value().detach().clone();
  return out;
}

std::string read_all(const std::filesystem::path& p) { return read_file(p); }

TEST(Train, LearningRateSchedules) {
  TrainConfig c;
  c.lr = 1.0;
  c.epochs = 10;
  c.warmup_epochs = 1;
  c.schedule = "cosine";
  EXPECT_DOUBLE_EQ(learning_rate(c, 0, 10), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(c, 9, 10), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(c, 10, 10), 1.0);
  EXPECT_NEAR(learning_rate(c, 55, 10), 0.5, 1e-12);
  EXPECT_NEAR(learning_rate(c, 100, 10), 0.0, 1e-12);
  c.schedule = "step";
  c.step_epochs = 3;
  c.step_gamma = 0.1;
  EXPECT_DOUBLE_EQ(learning_rate(c, 29, 10), 1.0);
  EXPECT_NEAR(learning_rate(c, 30, 10), 0.1, 1e-15);
  c.schedule = "constant";
  EXPECT_DOUBLE_EQ(learning_rate(c, 99, 10), 1.0);
}

TEST(Train, BadConfigNamesTheKey) {
  TrainConfig c;
  c.optimizer = "adam";
  try {
    c.validate();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("train.optimizer"));
  }
  EXPECT_THROW(parse_device("tpu"), InputError);
  EXPECT_THROW(parse_device("cuda:x"), InputError);
  if (!torch::cuda::is_available()) {
    EXPECT_THROW(parse_device("cuda:0"), InputError);
  }
}

// Mean loss over the training set with BatchNorm in train mode (batch statistics): after a
// handful of steps the running statistics are still far off, so eval mode would hide progress.
double train_mode_loss(Classifier& m, const TrainData& d) {
  torch::NoGradGuard ng;
  m.module()->train();
  double sum = 0;
  int64_t n = 0;
  d.train_epoch(0, 0, 16, [&](const TrainBatch& b) {
    sum += torch::nn::functional::cross_entropy(m.forward(b.images), b.labels).item<double>() * b.labels.size(0);
    n += b.labels.size(0);
  });
  return sum / static_cast<double>(n);
}

TEST(Train, FewStepsLowerTheLoss) {
  TrainConfig c = tiny_config({});
  ModelShape mc = c.model;
  mc.num_classes = 4;
  torch::manual_seed(c.seed);  // the trainer's initial weights are a function of the seed
  auto before = create_model(mc, "test");
  const double loss0 = train_mode_loss(*before, tiny_data());
  TrainResult r = train(c, tiny_data());  // 3 epochs x 4 steps
  const double loss1 = train_mode_loss(*r.model, tiny_data());
  EXPECT_LT(loss1, loss0 * 0.9) << "before " << loss0 << " after " << loss1;
  ASSERT_EQ(r.history.size(), 3u);
  EXPECT_LT(r.history.back().train_loss, r.history.front().train_loss);
}

void expect_bitwise_equal(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, t] : a) {
    // BatchNorm's step counter is not saved (it only matters when momentum is None, which
    // Xception never uses), so a resumed model counts from the resume point.
    if (k.find("num_batches_tracked") != std::string::npos) continue;
    ASSERT_TRUE(b.count(k)) << k;
    EXPECT_TRUE(torch::equal(t, b.at(k))) << k << " differs";
  }
}

class Resume : public ::testing::TestWithParam<std::string> {};

TEST_P(Resume, InterruptedRunEndsBitwiseEqual) {
  test::TempDir a, b;
  TrainConfig c = tiny_config(a.path());
  c.optimizer = GetParam();
  if (c.optimizer == "adamw") c.lr = 2e-3, c.weight_decay = 0.05;
  c.label_smoothing = 0.1;
  c.freeze_prefixes = {"conv1.", "bn1."};
  c.freeze_epochs = 1;
  TrainResult full = train(c, tiny_data());
  ASSERT_TRUE(full.finished);

  TrainConfig ci = c;
  ci.out_dir = b.path();
  ci.max_epochs_this_call = 1;  // interrupted after epoch 1 ...
  TrainResult part = train(ci, tiny_data());
  EXPECT_FALSE(part.finished);
  EXPECT_EQ(part.epochs_done, 1);
  ci.resume = true;  // ... and after epoch 2 ...
  part = train(ci, tiny_data());
  EXPECT_EQ(part.epochs_done, 2);
  ci.max_epochs_this_call = 0;  // ... then finished
  TrainResult resumed = train(ci, tiny_data());
  ASSERT_TRUE(resumed.finished);
  expect_bitwise_equal(snapshot(*full.model->module()), snapshot(*resumed.model->module()));
  // Checkpoint files hold the same tensors too, and the log has every epoch once.
  auto fa = SafeTensorsFile::load(a / "last.safetensors"), fb = SafeTensorsFile::load(b / "last.safetensors");
  ASSERT_EQ(fa.tensors().size(), fb.tensors().size());
  for (const auto& [k, info] : fa.tensors()) EXPECT_EQ(fa.read_f32(k), fb.read_f32(k)) << k;
  auto sa = SafeTensorsFile::load(a / "last.train.safetensors"), sb = SafeTensorsFile::load(b / "last.train.safetensors");
  ASSERT_EQ(sa.tensors().size(), sb.tensors().size());
  for (const auto& [k, info] : sa.tensors()) EXPECT_EQ(sa.read_f32(k), sb.read_f32(k)) << k;
  auto log = nlohmann::json::parse(read_all(b / "train_log.json"));
  ASSERT_EQ(log["epochs"].size(), 3u);
  EXPECT_EQ(log["epochs"][2]["epoch"], 3);
  EXPECT_EQ(log["epochs"][2]["test_accuracy"].get<double>(), full.history[2].test_accuracy);
}

INSTANTIATE_TEST_SUITE_P(Optimizers, Resume, ::testing::Values("sgd", "adamw"));

TEST(Train, CheckpointRoundTrips) {
  test::TempDir dir;
  TrainConfig c = tiny_config(dir.path());
  c.epochs = 1;
  TrainResult r = train(c, tiny_data());
  ASSERT_TRUE(std::filesystem::exists(dir / "last.safetensors"));
  ASSERT_TRUE(std::filesystem::exists(dir / "last.train.safetensors"));
  ASSERT_TRUE(std::filesystem::exists(dir / "best.safetensors"));
  ASSERT_TRUE(std::filesystem::exists(dir / "train_log.json"));

  auto file = SafeTensorsFile::load(dir / "last.safetensors");
  const auto& meta = file.metadata();
  EXPECT_EQ(meta.at("entcam.arch"), "xception-mini");
  EXPECT_EQ(meta.at("entcam.num_classes"), "4");
  EXPECT_EQ(meta.at("entcam.epoch"), "1");
  EXPECT_EQ(meta.at("entcam.seed"), "7");
  TrainConfig hashed = c;
  hashed.model.num_classes = 4;  // the trainer takes the class count from the data
  EXPECT_EQ(meta.at("entcam.config_hash"), hashed.config_hash());
  auto metrics = nlohmann::json::parse(meta.at("entcam.metrics"));
  EXPECT_EQ(metrics["test_accuracy"].get<double>(), r.history[0].test_accuracy);

  // `--model FILE.safetensors` alone: the metadata names the architecture.
  auto clf = load_classifier((dir / "last.safetensors").string());
  EXPECT_EQ(clf->num_classes(), 4);
  auto x = torch::randn({2, 3, 32, 32});
  r.model->module()->eval();
  torch::NoGradGuard ng;
  EXPECT_TRUE(torch::allclose(clf->forward(x), r.model->forward(x), 1e-5, 1e-6));
}

TEST(Train, TruncatedCheckpointGivesAClearError) {
  test::TempDir dir;
  TrainConfig c = tiny_config(dir.path());
  c.epochs = 2;
  c.max_epochs_this_call = 1;
  train(c, tiny_data());
  c.resume = true;
  const auto last = dir / "last.safetensors";
  const std::string bytes = read_file(last);
  write_file_atomic(last, bytes.substr(0, 100));
  try {
    train(c, tiny_data());
    FAIL() << "resumed from a truncated checkpoint";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(last.string() + ": safetensors header length"));
    EXPECT_THAT(e.what(), HasSubstr("exceeds the file size 100"));
  }
  // Cut inside the data: the header promises more bytes than there are.
  write_file_atomic(last, bytes.substr(0, bytes.size() - 10));
  try {
    train(c, tiny_data());
    FAIL() << "resumed from a truncated checkpoint";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(last.string() + ": "));
  }
  // A corrupt optimiser-state file is named too.
  write_file_atomic(last, bytes);
  const auto state = train_state_path(last);
  write_file_atomic(state, "garbage");
  try {
    train(c, tiny_data());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(state.string() + ": not a safetensors file"));
  }
  // A missing one as well.
  std::filesystem::remove(state);
  try {
    train(c, tiny_data());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(state.string() + ": training-state checkpoint is missing"));
  }
}

TEST(Train, ResumeWithAnotherConfigIsRefused) {
  test::TempDir dir;
  TrainConfig c = tiny_config(dir.path());
  c.epochs = 2;
  c.max_epochs_this_call = 1;
  train(c, tiny_data());
  c.resume = true;
  c.lr = 0.01;
  try {
    train(c, tiny_data());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("different configuration"));
    EXPECT_THAT(e.what(), HasSubstr("last.safetensors"));
  }
}

TEST(Train, FrozenLayersDoNotChangeDuringFrozenEpochs) {
  test::TempDir dir;
  TrainConfig c = tiny_config(dir.path());
  c.epochs = 2;
  c.freeze_prefixes = {"conv1.", "bn1.", "block1."};
  c.freeze_epochs = 1;
  c.max_epochs_this_call = 1;
  ModelShape mc = c.model;
  mc.num_classes = 4;
  torch::manual_seed(c.seed);
  auto init = create_model(mc, "test");
  auto before = snapshot(*init->module());
  TrainResult r = train(c, tiny_data());
  auto after = snapshot(*r.model->module());
  int frozen = 0, moved = 0;
  for (const auto& [k, t] : before) {
    const bool is_frozen = k.rfind("conv1.", 0) == 0 || k.rfind("bn1.", 0) == 0 || k.rfind("block1.", 0) == 0;
    if (k.find("num_batches_tracked") != std::string::npos) continue;
    if (is_frozen) {
      ++frozen;
      EXPECT_TRUE(torch::equal(t, after.at(k))) << k << " changed while frozen";
    } else if (!torch::equal(t, after.at(k))) {
      ++moved;
    }
  }
  EXPECT_GT(frozen, 5);
  EXPECT_GT(moved, 10);
  c.resume = true;
  c.max_epochs_this_call = 0;
  TrainResult r2 = train(c, tiny_data());
  EXPECT_FALSE(torch::equal(before.at("conv1.weight"), r2.model->module()->named_parameters()["conv1.weight"]));
}

TEST(Train, EvaluationCountsAConfusionMatrix) {
  const TrainData& d = tiny_data();
  ModelShape mc = tiny_config({}).model;
  mc.num_classes = 4;
  torch::manual_seed(0);
  auto m = create_model(mc, "test");
  EvalResult e = evaluate(*m, d, 10, torch::kCPU);
  EXPECT_EQ(e.count, 32);
  ASSERT_EQ(e.confusion.size(), 4u);
  int64_t total = 0, diag = 0;
  for (size_t i = 0; i < 4; ++i)
    for (size_t j = 0; j < 4; ++j) total += e.confusion[i][j], diag += i == j ? e.confusion[i][j] : 0;
  EXPECT_EQ(total, 32);
  EXPECT_DOUBLE_EQ(e.accuracy, static_cast<double>(diag) / 32.0);
  EXPECT_EQ(e.per_class_accuracy.size(), 4u);
}

}  // namespace
}  // namespace entcam
