// scripts/export_torchscript.py round trip: torchvision's resnet18 (random weights, Debian's
// python3-torchvision) cut at layer4 into the `torchscript:` model, then `entcam predict` and
// `entcam explain` on it, checked against PyTorch on the same file and input. Skips when
// /usr/bin/python3 has no torchvision (scripts/install-deps.sh installs it).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/fs.h"
#include "core/npy.h"
#include "support/test_support.h"

namespace entcam {
namespace {
namespace fs = std::filesystem;

const char* const kPython = "/usr/bin/python3";

bool has_torchvision() {
  return fs::exists(kPython) &&
         std::system((std::string(kPython) + " -c 'import torch, torchvision' >/dev/null 2>&1").c_str()) == 0;
}

int run_shell(const std::string& cmd, const fs::path& log) {
  const int status = std::system((cmd + " >" + log.string() + " 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// The reference: PyTorch on the exported file. Logits, and Grad-CAM / HiResCAM of the top
// class at the output of features() (docs/spec.md §2), computed with autograd.
const char* const kReference = R"PY(
import sys, numpy as np, torch
m = torch.jit.load(sys.argv[1]).eval()
x = torch.from_numpy(np.load(sys.argv[2]))
a = m.features(x).detach().requires_grad_(True)
y = m.head(a)
cls = y.argmax(1)
g, = torch.autograd.grad(y.gather(1, cls[:, None]).sum(), a)
np.save(sys.argv[3] + "/logits.npy", y.detach().numpy().astype(np.float32))
gc = torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1))
hr = torch.relu((g * a).sum(1))
np.save(sys.argv[3] + "/grad_cam.npy", gc.detach().numpy().astype(np.float32))
np.save(sys.argv[3] + "/hires_cam.npy", hr.detach().numpy().astype(np.float32))
)PY";

TEST(TorchScriptExport, Resnet18RoundTripThroughExplainAndPredict) {
  if (!has_torchvision()) GTEST_SKIP() << "/usr/bin/python3 has no torchvision (scripts/install-deps.sh installs it)";
  test::TempDir tmp;
  const fs::path model = tmp / "r18.pt";
  // Export: 4 random classes, 96 px input (layer4 is then 3x3).
  ASSERT_EQ(run_shell(std::string(kPython) + " " + (test::source_dir() / "scripts/export_torchscript.py").string() +
                          " --model resnet18 --weights none --num-classes 4 --layer layer4 --input-size 96 --out " +
                          model.string(),
                      tmp / "export.log"),
            0)
      << read_file(tmp / "export.log");
  const std::string log = read_file(tmp / "export.log");
  EXPECT_NE(log.find("features: [2, 512, 3, 3]  logits: [2, 4]"), std::string::npos) << log;
  EXPECT_NE(log.find("model spec: torchscript:" + model.string()), std::string::npos) << log;

  // A cut across a residual connection is refused, naming it.
  EXPECT_EQ(run_shell(std::string(kPython) + " " + (test::source_dir() / "scripts/export_torchscript.py").string() +
                          " --model resnet18 --layer layer3.1.conv1 --out " + (tmp / "bad.pt").string(),
                      tmp / "bad.log"),
            2);
  EXPECT_NE(read_file(tmp / "bad.log").find("a connection across the cut"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp / "bad.pt"));

  // A fixed input batch, already normalised (docs/spec.md §1: --tensor is fed as is).
  std::vector<float> x(2 * 3 * 96 * 96);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(0.37 * double(i)) * 1.5);
  write_npy(tmp / "x.npy", {2, 3, 96, 96}, x.data());
  write_file_atomic(tmp / "reference.py", kReference);
  ASSERT_EQ(run_shell(std::string(kPython) + " " + (tmp / "reference.py").string() + " " + model.string() + " " +
                          (tmp / "x.npy").string() + " " + tmp.path().string(),
                      tmp / "reference.log"),
            0)
      << read_file(tmp / "reference.log");

  auto p = test::run_entcam("-q predict --model torchscript:" + model.string() + " --tensor " +
                            (tmp / "x.npy").string() + " --json");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto pj = nlohmann::json::parse(p.out);
  const NpyArray logits = read_npy(tmp / "logits.npy");
  ASSERT_EQ(pj["logits"].size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    for (size_t c = 0; c < 4; ++c) EXPECT_NEAR(pj["logits"][i][c].get<double>(), logits.data[i * 4 + c], 1e-4);

  auto r = test::run_entcam("-q explain --model torchscript:" + model.string() + " --tensor " +
                            (tmp / "x.npy").string() + " --methods all --out " + (tmp / "maps").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(read_file(tmp / "maps/explain.json"));
  EXPECT_EQ(j["layer"], "features");
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][0]["methods"].size(), 12u);
  // Images are fed with the exported input transform: 96 px (entcam_input_size), so layer4
  // is 3x3 (Xception's default 299 px would give 10x10).
  cv::Mat img(100, 120, CV_8UC3, cv::Scalar(30, 80, 160));
  cv::circle(img, {60, 50}, 25, cv::Scalar(240, 240, 240), -1);
  ASSERT_TRUE(cv::imwrite((tmp / "disc.png").string(), img));
  auto ri = test::run_entcam("-q explain --model torchscript:" + model.string() + " --image " +
                             (tmp / "disc.png").string() + " --methods grad_cam --out " + (tmp / "img_maps").string());
  ASSERT_EQ(ri.exit_code, 0) << ri.err;
  EXPECT_EQ(read_npy(tmp / "img_maps/disc/grad_cam.npy").shape, (std::vector<int64_t>{3, 3}));
  EXPECT_TRUE(fs::exists(tmp / "img_maps/disc/grad_cam.png"));

  for (const std::string method : {"grad_cam", "hires_cam"}) {
    const NpyArray want = read_npy(tmp / (method + ".npy"));  // [2,3,3]
    for (int i = 0; i < 2; ++i) {
      const NpyArray got = read_npy(tmp / "maps" / ("000" + std::to_string(i)) / (method + ".npy"));
      ASSERT_EQ(got.shape, (std::vector<int64_t>{3, 3})) << method;
      for (size_t k = 0; k < 9; ++k)
        EXPECT_NEAR(got.data[k], want.data[size_t(i) * 9 + k], 1e-4 * (1 + std::fabs(want.data[size_t(i) * 9 + k])))
            << method << " item " << i << " cell " << k;
    }
  }
}

// Issue 11: "runs `entcam explain` and a small `entcam run` on it". An exported resnet18 with
// the four classes of the ci-regression scenes, as model.arch torchscript: the run evaluates
// and explains the module as it is and writes its report; fine-tuning it and a head of the
// wrong size are refused with one line naming the key or file.
TEST(TorchScriptExport, Resnet18RunsAsAnExperimentModel) {
  if (!has_torchvision()) GTEST_SKIP() << "/usr/bin/python3 has no torchvision (scripts/install-deps.sh installs it)";
  test::TempDir tmp;
  const std::string exporter = std::string(kPython) + " " + (test::source_dir() / "scripts/export_torchscript.py").string();
  for (const char* classes : {"4", "3"})
    ASSERT_EQ(run_shell(exporter + " --model resnet18 --weights none --num-classes " + classes +
                            " --layer layer4 --input-size 64 --out " + (tmp / ("r18-" + std::string(classes) + ".pt")).string(),
                        tmp / "export.log"),
              0)
        << read_file(tmp / "export.log");
  const std::string base = (test::source_dir() / "experiments/ci-regression.yaml").string() + " --run-id ts --data-root " +
                           (tmp / "data").string() + " --set results=" + (tmp / "results").string() +
                           " --set model.arch=torchscript --set cam.layer=default --set model.input_size=0" +
                           " --set datasets.0.explain_images=8";

  auto r = test::run_entcam("-q run " + base + " --set model.pretrained=" + (tmp / "r18-4.pt").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(read_file(tmp / "results/ci-regression/ts/report.json"));
  const auto& d = report["datasets"]["fashion-scenes"];
  EXPECT_EQ(d["training"]["epochs"], 0);
  EXPECT_TRUE(d["training"]["test_accuracy"].is_number());
  EXPECT_EQ(d["methods"].size(), 12u);
  EXPECT_EQ(d["methods"]["grad_cam"]["pointing_game"]["n"], 8);
  EXPECT_EQ(d["methods"]["grad_entropy_cam"]["instance_recall"]["n"], 8);
  EXPECT_TRUE(fs::exists(tmp / "results/ci-regression/ts/report.html"));
  EXPECT_TRUE(fs::exists(tmp / "results/ci-regression/ts/summary.md"));
  // The module's own transform: 64 px (entcam_input_size), so layer4 ("features") is 2x2.
  fs::path records;
  for (const auto& e : fs::recursive_directory_iterator(tmp / "results/cache"))
    if (e.path().filename().string().rfind("explain-", 0) == 0 && e.path().extension() == ".json") records = e.path();
  ASSERT_FALSE(records.empty());
  const auto items = nlohmann::json::parse(read_file(records))["items"];
  ASSERT_EQ(items.size(), 8u);
  EXPECT_EQ(items[0]["width"], 64);
  EXPECT_EQ(items[0]["methods"]["grad_cam"]["shape"], nlohmann::json::array({2, 2}));

  auto tuned = test::run_entcam("-q run " + base + " --set model.pretrained=" + (tmp / "r18-4.pt").string() +
                                " --set train.epochs=1 --dry-run");
  EXPECT_EQ(tuned.exit_code, 2);
  EXPECT_NE(tuned.err.find("train.epochs: a torchscript model is explained as it is (entcam cannot fine-tune it); expected 0"),
            std::string::npos)
      << tuned.err;
  auto wrong = test::run_entcam("-q run " + base + " --set model.pretrained=" + (tmp / "r18-3.pt").string());
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find((tmp / "r18-3.pt").string() + ": the model has 3 classes, the dataset 4"), std::string::npos)
      << wrong.err;
  auto none = test::run_entcam("-q run " + base + " --dry-run");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("model.arch torchscript needs the module file here"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace entcam
