#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/fs.h"
#include "core/npy.h"
#include "support/torch_support.h"

using namespace entcam;
using entcam::test::fixture;
using entcam::test::run_entcam;

namespace {
nlohmann::json read_json(const std::filesystem::path& p) { return nlohmann::json::parse(read_file(p)); }
const std::string kMini = "xception-mini:" + fixture("xception_mini.safetensors");
}  // namespace

TEST(ExplainCli, TensorInputWritesEveryMethodAndExplainJson) {
  test::TempDir out;
  auto r = run_entcam("-q explain --model " + kMini + " --tensor " + fixture("mini_input.npy") +
                      " --methods all --layer conv4 --out " + out.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = read_json(out / "explain.json");
  EXPECT_EQ(j["layer"], "conv4");
  EXPECT_EQ(j["model"], kMini);
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][1]["stem"], "0001");
  EXPECT_EQ(j["items"][0]["methods"].size(), 12u);
  const auto& gc = j["items"][0]["methods"]["grad_cam"];
  EXPECT_EQ(gc["file"], "0000/grad_cam.npy");
  EXPECT_TRUE(gc["degenerate"].is_boolean());
  EXPECT_GT(gc["seconds"].get<double>(), 0.0);  // measured, not a placeholder
  // The map on disk is the method's map at the layer's resolution (6x6), not normalised:
  // the raw values of the reference (whose maximum is far from 1), not only its shape.
  NpyArray a = read_npy(out / "0000/hires_cam.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{6, 6}));
  auto want = test::load_npy_tensor(fixture("mini_conv4_hires_cam.npy"))[0];
  auto got = torch::from_blob(a.data.data(), {6, 6}, torch::kFloat32).clone();
  const double scale = want.abs().max().item<double>();
  ASSERT_GT(std::abs(scale - 1.0), 1e-2) << "the fixture would not tell a normalised map apart";
  EXPECT_LE((got - want).abs().max().item<double>(), 1e-4 * scale);
}

TEST(ExplainCli, ImageInputWritesOverlaysAndFlagsTheGapHeadSetting) {
  test::TempDir out;
  cv::Mat img(120, 160, CV_8UC3, cv::Scalar(30, 60, 90));
  cv::circle(img, {80, 60}, 30, cv::Scalar(250, 250, 250), -1);
  ASSERT_TRUE(cv::imwrite((out / "shirt.png").string(), img));
  auto r = run_entcam("-q explain --model " + kMini + " --image " + (out / "shirt.png").string() +
                      " --methods grad_cam,hires_cam,grad_entropy_cam --class 2 --out " + (out / "maps").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = read_json(out / "maps/explain.json");
  EXPECT_EQ(j["layer"], "act4");
  EXPECT_EQ(j["items"][0]["stem"], "shirt");
  EXPECT_EQ(j["items"][0]["class"], 2);
  EXPECT_TRUE(j["items"][0]["methods"]["grad_entropy_cam"]["degenerate"].get<bool>());
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_NE(j["warnings"][0].get<std::string>().find("gradients are constant over space at layer 'act4'"), std::string::npos);
  EXPECT_NE(r.err.find("warning: gradients are constant"), std::string::npos);
  cv::Mat png = cv::imread((out / "maps/shirt/grad_cam.png").string());
  EXPECT_EQ(png.rows, 96);  // the model's input crop
  EXPECT_EQ(png.cols, 96);
}

TEST(ExplainCli, TorchScriptModelUsesItsFeaturesLayer) {
  test::TempDir out;
  auto r = run_entcam("-q explain --model torchscript:" + fixture("mini_split.pt") + " --tensor " +
                      fixture("mini_input.npy") + " --methods grad_cam,eigen_cam --out " + out.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_json(out / "explain.json")["layer"], "features");
  // features() ends at conv4, so its maps equal the xception-mini conv4 references.
  NpyArray a = read_npy(out / "0001/grad_cam.npy");
  auto got = torch::from_blob(a.data.data(), {1, 6, 6}, torch::kFloat32).clone();
  auto want = test::load_npy_tensor(fixture("mini_conv4_grad_cam.npy"))[1].unsqueeze(0);
  EXPECT_LE(test::normalized_max_diff(got, want), 1e-4);
}

TEST(PredictCli, JsonHasLogitsProbabilitiesAndTopK) {
  auto r = run_entcam("predict --model " + kMini + " --tensor " + fixture("mini_input.npy") + " --topk 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  auto want = test::load_npy_tensor(fixture("mini_logits.npy"));
  ASSERT_EQ(j["logits"].size(), 2u);
  for (int i = 0; i < 2; ++i) {
    double sum = 0;
    for (int c = 0; c < 5; ++c) {
      EXPECT_NEAR(j["logits"][i][c].get<double>(), want[i][c].item<double>(), 1e-4);
      sum += j["probabilities"][i][c].get<double>();
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    ASSERT_EQ(j["top"][i].size(), 3u);
    EXPECT_EQ(j["top"][i][0]["class"].get<int64_t>(), want[i].argmax().item<int64_t>());
    EXPECT_GE(j["top"][i][0]["probability"].get<double>(), j["top"][i][1]["probability"].get<double>());
  }
}

TEST(ExplainCli, BadInputExitsTwoNamingTheProblem) {
  test::TempDir dir;
  write_file_atomic(dir / "broken.jpg", std::string("\xff\xd8\xff\xe0 not really a jpeg"));  // 22 bytes
  auto r = run_entcam("explain --model " + kMini + " --image " + (dir / "broken.jpg").string() + " --out " + dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  // the dataset parser's rule (data/image_transform.h decode_image): a JPEG without its end
  EXPECT_NE(r.err.find((dir / "broken.jpg").string() + ": truncated JPEG"), std::string::npos) << r.err;

  r = run_entcam("explain --model xception:/nope.safetensors --tensor " + fixture("mini_input.npy") + " --out " + dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nope.safetensors: model file does not exist"), std::string::npos) << r.err;

  r = run_entcam("explain --model " + kMini + " --tensor " + fixture("mini_input.npy") + " --methods gradcam --out " + dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown CAM method 'gradcam'"), std::string::npos) << r.err;

  r = run_entcam("explain --model " + kMini + " --tensor " + fixture("mini_logits.npy") + " --out " + dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("mini_logits.npy: expected a float32 batch [N,3,H,W], got shape (2, 5)"), std::string::npos) << r.err;

  r = run_entcam("explain --model " + kMini + " --tensor " + fixture("mini_input.npy") + " --layer block9 --out " + dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--layer 'block9' is not a layer of"), std::string::npos) << r.err;

  r = run_entcam("explain --model " + kMini + " --tensor " + fixture("mini_input.npy") + " --entropy bins=-3 --out " + dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--entropy: bins '-3'"), std::string::npos) << r.err;

  r = run_entcam("explain --tensor x.npy");  // --model and --out missing
  EXPECT_EQ(r.exit_code, 2);
}
