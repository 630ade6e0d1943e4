// Issue 13 (hardening) through the real `entcam` binary: each test is named after its case
// and failed before the fix (a crash, a file written outside --out, exit 0 on bad input, or
// library text such as "basic_filebuf::underflow" / "bad conversion" / a LibTorch trace).
#include <gtest/gtest.h>
#include <torch/script.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "cli/errors.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "support/dataset_fixtures.h"
#include "support/torch_support.h"

using namespace entcam;
using entcam::test::fixture;
using entcam::test::run_entcam;
namespace fs = std::filesystem;

namespace {

const std::string kMini = "xception-mini:" + fixture("xception_mini.safetensors");

// Exit 2 with one last line "entcam: error: ..." on stderr (after progress notes such as
// "entcam: downloading ..."), and no library text anywhere.
void expect_one_line_error(const test::CommandResult& r, const std::string& contains) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const size_t at = r.err.find("entcam: error: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  EXPECT_TRUE(at == 0 || r.err[at - 1] == '\n') << r.err;
  const std::string line = r.err.substr(at);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << r.err;
  EXPECT_EQ(line.back(), '\n') << r.err;
  EXPECT_NE(line.find(contains), std::string::npos) << r.err;
  for (const char* leak : {"basic_filebuf", "yaml-cpp", "json.exception", "OpenCV(", "Exception raised from", "c10::"})
    EXPECT_EQ(r.err.find(leak), std::string::npos) << r.err;
}

// The xception-mini fixture with `change` applied to its tensors (key -> values, shape).
fs::path modified_mini(const fs::path& out,
                       const std::function<void(std::map<std::string, std::pair<std::vector<float>, std::vector<int64_t>>>&)>& change,
                       const std::map<std::string, std::string>& metadata = {}) {
  const SafeTensorsFile f = SafeTensorsFile::load(fixture("xception_mini.safetensors"));
  std::map<std::string, std::pair<std::vector<float>, std::vector<int64_t>>> t;
  for (const auto& [key, info] : f.tensors()) t[key] = {f.read_f32(key), info.shape};
  change(t);
  std::vector<SafeTensorView> views;
  for (const auto& [key, v] : t) views.push_back({key, v.second, v.first.data()});
  std::map<std::string, std::string> meta = f.metadata();
  for (const auto& [k, v] : metadata) meta[k] = v;
  write_safetensors(out, views, meta);
  return out;
}

std::string experiment(const test::TempDir& dir, const std::string& yaml) {
  const fs::path p = dir / "exp.yaml";
  write_file_atomic(p, yaml);
  return p.string();
}

const char* kExperiment = "experiment: demo\ndatasets:\n  - name: fashion-scenes\n";

}  // namespace

TEST(Issue13Cli, Case01_SelfReferencingAliasExits2) {
  test::TempDir dir;
  const auto r = run_entcam("run " + experiment(dir, "description: &a [*a]\n") + " --dry-run");
  expect_one_line_error(r, "an alias refers to a value that contains it (a cycle)");
}

TEST(Issue13Cli, Case02_DeepVocInAnImageFolderArchiveIsSkippedWithAWarning) {
  test::TempDir dir;
  std::string deep = "<annotation>";
  for (int i = 0; i < 50000; ++i) deep += "<a>";
  for (int i = 0; i < 50000; ++i) deep += "</a>";
  deep += "</annotation>";
  write_file_atomic(dir / "www/pets.tar",
                    test::make_archive({{"cat/c1.jpg", test::make_jpeg(40, 30, 1), ""},
                                        {"cat/c1.xml", deep, ""},
                                        {"cat/c2.jpg", test::make_jpeg(40, 30, 2), ""},
                                        {"dog/d1.jpg", test::make_jpeg(40, 30, 3), ""}},
                                       "tar", dir / "scratch.tar"));
  write_file_atomic(dir / "pets.yaml",
                    "name: pets\nlayout: image-folder\nfiles:\n  - url: file://" + (dir / "www/pets.tar").string() + "\n");
  for (int run = 0; run < 2; ++run) {  // the rerun reads the same extracted cache
    const auto r = run_entcam("-q download " + (dir / "pets.yaml").string() + " --root " + (dir / "cache").string() + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out).at("images"), 2);
    EXPECT_NE(r.err.find("elements nested more than 256 levels deep"), std::string::npos) << r.err;
  }
}

TEST(Issue13Cli, Case03_ChainedSymlinkArchiveIsRefusedAndLeavesNothing) {
  test::TempDir dir;
  write_file_atomic(dir / "www/chain.tar", test::make_archive({{"a", "", "."},
                                                               {"a/b", "", ".."},
                                                               {"a/b/c", "", ".."},
                                                               {"a/b/c/d", "", ".."},
                                                               {"a/b/c/d/ESCAPED.txt", "gotcha", ""}},
                                                              "tar", dir / "scratch.tar"));
  write_file_atomic(dir / "chain.yaml",
                    "name: chain\nlayout: image-folder\nfiles:\n  - url: file://" + (dir / "www/chain.tar").string() + "\n");
  const fs::path root = dir / "x/y/z/root";
  const auto r = run_entcam("-q download " + (dir / "chain.yaml").string() + " --root " + root.string());
  expect_one_line_error(r, "chain.tar: cannot extract entry 'a/b");
  for (auto it = fs::recursive_directory_iterator(dir.path()); it != fs::recursive_directory_iterator(); ++it) {
    EXPECT_NE(it->path().filename(), "ESCAPED.txt") << it->path();
    EXPECT_EQ(it->path().string().find(".tmp-extract"), std::string::npos) << it->path();
  }
}

TEST(Issue13Cli, Case04_DownloadStopsAtTheDeclaredSize) {
  test::TempDir dir;
  write_file_atomic(dir / "zero.yaml", "name: zero\nlayout: image-folder\nfiles:\n  - url: file:///dev/zero\n    size: 1024\n");
  const auto r = run_entcam("-q download " + (dir / "zero.yaml").string() + " --root " + (dir / "cache").string());
  expect_one_line_error(r, "zero: download from file:///dev/zero failed: it went past 1024 bytes");
  EXPECT_FALSE(fs::exists(dir / "cache/zero/downloads/zero.part"));
  std::uintmax_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir / "cache"); it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file()) total += it->file_size();
  EXPECT_LE(total, 4096u);
}

TEST(Issue13Cli, Case05_HugeSweepIsRefusedQuickly) {
  test::TempDir dir;
  std::string y = std::string(kExperiment) + "sweep:\n";
  for (const char* key : {"metrics.steps", "metrics.blur_kernel", "seed", "cam.batch_size", "cam.perturbation_batch",
                          "report.grid_images"})
    y += std::string("  ") + key + ": [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]\n";
  const auto r = run_entcam("run " + experiment(dir, y) + " --dry-run");
  expect_one_line_error(r, "sweep: 10 x 10 x 10 x 10 x 10 x 10 values make more than 1000 points");
}

TEST(Issue13Cli, Case06_FolderWhereAFileIsExpected) {
  test::TempDir dir;
  fs::create_directories(dir / "folder.safetensors");
  fs::create_directories(dir / "t.npy");
  const std::string d = dir.path().string();
  expect_one_line_error(run_entcam("predict --model xception-mini:" + (dir / "folder.safetensors").string() + " --tensor " +
                                   fixture("mini_input.npy")),
                        "folder.safetensors: is a folder; expected a file");
  expect_one_line_error(run_entcam("predict --model " + kMini + " --tensor " + (dir / "t.npy").string()),
                        "t.npy: is a folder; expected a file");
  expect_one_line_error(run_entcam("score --maps " + d + " --boxes " + d), d + ": is a folder; expected a file");
  expect_one_line_error(run_entcam("compare " + d + " " + d), d + ": is a folder; expected a file");
  expect_one_line_error(run_entcam("run " + d + " --dry-run"), d + ": is a folder; expected a file");
  expect_one_line_error(run_entcam("run " + experiment(dir, "extends: .\n") + " --dry-run"), "is a folder; expected a file");
}

TEST(Issue13Cli, Case07_OctalLookingNumbersAreDecimalEverywhere) {
  test::TempDir dir;
  const auto r = run_entcam("run " + experiment(dir, kExperiment) + " --set metrics.steps=010 --set seed=08 --dry-run");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out.substr(0, r.out.find("\n}\n") + 2));
  EXPECT_EQ(j["metrics"]["steps"], 10);
  EXPECT_EQ(j["seed"], 8);
  expect_one_line_error(run_entcam("run " + experiment(dir, "? [a]\n: 1\n") + " --dry-run"),
                        "a mapping key is a list; expected a plain name");
}

TEST(Issue13Cli, Case08_InvalidUtf8FileNamesAndValues) {
  test::TempDir dir;
  write_file_atomic(dir / "caf\xe9.png", [] {
    std::vector<uchar> png;
    cv::imencode(".png", cv::Mat(48, 64, CV_8UC3, cv::Scalar(10, 200, 30)), png);
    return std::string(png.begin(), png.end());
  }());
  const fs::path out = dir / "maps";
  const auto r = run_entcam("-q explain --model " + kMini + " --methods grad_cam --image '" + (dir / "caf\xe9.png").string() +
                            "' --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(read_file(out / "explain.json"));
  EXPECT_EQ(j["items"][0]["stem"], "item0");
  EXPECT_TRUE(fs::exists(out / "item0/grad_cam.npy"));
  expect_one_line_error(run_entcam("run " + experiment(dir, kExperiment) + " --set 'experiment=\xff' --dry-run"),
                        "is not valid UTF-8; expected UTF-8 text");
}

TEST(Issue13Cli, Case09_TinyInputsAndAbsurdShapesGiveOneLine) {
  test::TempDir dir;
  const std::vector<float> zeros(2 * 3 * 5 * 5, 0.f);
  write_npy(dir / "tiny.npy", {2, 3, 5, 5}, zeros.data());
  expect_one_line_error(run_entcam("predict --model " + kMini + " --tensor " + (dir / "tiny.npy").string()),
                        "tiny.npy: inputs of 5x5 pixels are too small for the model's layers");
  const fs::path huge = modified_mini(dir / "huge.safetensors", [](auto& t) {
    t["fc.weight"] = {{}, {int64_t(1) << 40, 0}};
  });
  expect_one_line_error(run_entcam("predict --model xception-mini:" + huge.string() + " --tensor " + fixture("mini_input.npy")),
                        "huge.safetensors: fc.weight has shape [1099511627776, 0]; expected [classes, features]");
  // TorchScript methods that return a tuple or the wrong rank
  for (const auto& [name, body] : std::vector<std::pair<std::string, std::string>>{
           {"tuple", "def features(self, x):\n    return (x, x)\n"},
           {"rank", "def features(self, x):\n    return x.sum(1)\n"}}) {
    torch::jit::Module m("Wrong");
    m.define(body + "def head(self, a):\n    return a.mean([2, 3])\n");
    m.save((dir / (name + ".pt")).string());
  }
  expect_one_line_error(run_entcam("predict --model torchscript:" + (dir / "tuple.pt").string() + " --tensor " +
                                   fixture("mini_input.npy")),
                        "tuple.pt: TorchScript features() returned a Tuple; expected one tensor [B,K,h,w]");
  expect_one_line_error(run_entcam("predict --model torchscript:" + (dir / "rank.pt").string() + " --tensor " +
                                   fixture("mini_input.npy")),
                        "rank.pt: TorchScript features() returned a tensor of shape [1, 96, 96]; expected [B,K,h,w]");
}

TEST(Issue13Cli, Case10_NoClassesOutputIsAFileAndLongPaths) {
  test::TempDir dir;
  const fs::path none = modified_mini(dir / "none.safetensors", [](auto& t) {
    const int64_t features = t["fc.weight"].second[1];
    t["fc.weight"] = {{}, {0, features}};
    t["fc.bias"] = {{}, {0}};
  });
  expect_one_line_error(run_entcam("predict --model xception-mini:" + none.string() + " --tensor " + fixture("mini_input.npy")),
                        "none.safetensors: fc.weight has shape [0, ");
  // an input size in the metadata that would allocate 56 GB per image
  const fs::path big = modified_mini(dir / "big.safetensors", [](auto&) {}, {{"entcam.input_size", "100000"}});
  expect_one_line_error(run_entcam("predict --model " + big.string() + " --tensor " + fixture("mini_input.npy")),
                        "big.safetensors: bad metadata: xception: input_size must be in 32..4096, got 100000");
  write_file_atomic(dir / "file", "x");
  expect_one_line_error(run_entcam("explain --model " + kMini + " --tensor " + fixture("mini_input.npy") +
                                   " --methods grad_cam --out " + (dir / "file").string()),
                        (dir / "file").string());
  // a symlink loop where a folder is expected
  fs::create_symlink(dir / "loop", dir / "loop");
  expect_one_line_error(run_entcam("explain --model " + kMini + " --tensor " + fixture("mini_input.npy") +
                                   " --methods grad_cam --out " + (dir / "loop/maps").string()),
                        (dir / "loop").string());
  // --root that is a file
  write_file_atomic(dir / "m.yaml", "name: m\nlayout: image-folder\nfiles:\n  - url: file:///dev/null\n");
  expect_one_line_error(run_entcam("-q download " + (dir / "m.yaml").string() + " --root " + (dir / "file").string()),
                        (dir / "file").string());
  const std::string long_name(300, 'n');
  expect_one_line_error(run_entcam("predict --model " + kMini + " --tensor " + (dir / long_name).string() + ".npy"),
                        long_name);
}

TEST(Issue13Cli, Case11_StemsStayInsideOutAndNeverHitExplainJson) {
  test::TempDir dir;
  std::vector<uchar> png;
  cv::imencode(".png", cv::Mat(40, 40, CV_8UC3, cv::Scalar(100, 50, 200)), png);
  for (const char* name : {"..png", "...png", "explain.json.png", ".hidden.png"})
    write_file_atomic(dir / "in" / name, std::string(png.begin(), png.end()));
  const fs::path out = dir / "deep/maps";
  const std::string in = (dir / "in").string() + "/";
  const auto r = run_entcam("-q explain --model " + kMini + " --methods grad_cam --image " + in + "..png " + in +
                            "...png " + in + "explain.json.png " + in + ".hidden.png --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(read_file(out / "explain.json"));
  ASSERT_EQ(j["items"].size(), 4u);
  for (const auto& item : j["items"]) {
    const std::string stem = item["stem"];
    EXPECT_TRUE(fs::is_regular_file(out / stem / "grad_cam.npy")) << stem;
  }
  EXPECT_FALSE(fs::exists(dir / "deep/grad_cam.npy"));  // ".." used to be the parent of --out
  EXPECT_FALSE(fs::exists(out / "grad_cam.npy"));       // "." was --out itself
}

TEST(Issue13Cli, Case12_NonFiniteWeightsAndOutputs) {
  test::TempDir dir;
  const fs::path nan = modified_mini(dir / "nan.safetensors", [](auto& t) {
    t["fc.weight"].first[3] = std::numeric_limits<float>::quiet_NaN();
  });
  expect_one_line_error(run_entcam("predict --model xception-mini:" + nan.string() + " --tensor " + fixture("mini_input.npy")),
                        "nan.safetensors: tensor fc.weight holds NaN or infinite values; expected finite weights");
  // finite weights whose logits overflow (the mini model's batch norms tame 1e38 inputs,
  // the full Xception does not): the outputs are checked before printing
  const fs::path overflow = modified_mini(dir / "overflow.safetensors", [](auto& t) {
    for (float& v : t["fc.weight"].first) v = 3e38f;
  });
  expect_one_line_error(run_entcam("predict --model xception-mini:" + overflow.string() + " --json --tensor " +
                                   fixture("mini_input.npy")),
                        "overflow.safetensors: the logits for input '0000' are NaN or infinite; expected finite logits");
}

TEST(Issue13Cli, Case12_ArgumentsThatUsedToPass) {
  test::TempDir dir;
  const auto nan = run_entcam("score --maps " + dir.path().string() + " --boxes x.json --tolerance nan");
  EXPECT_EQ(nan.exit_code, 2) << nan.err;
  EXPECT_NE(nan.err.find("expected a finite number >= 0, got 'nan'"), std::string::npos) << nan.err;
  for (const char* shard : {"1/2/3", "' 1/2'", "1/", "a/2"})
    expect_one_line_error(run_entcam("run " + experiment(dir, kExperiment) + " --dry-run --shard " + shard),
                          "expected I/N, e.g. 0/4");
  // a candidate that lost every method is a regression, not a pass
  const nlohmann::json methods = {{"grad_cam", {{"pointing_game", {{"n", 10}, {"mean", 0.6}, {"ci95", {0.5, 0.7}}}}}}};
  const auto report = [](const nlohmann::json& m) {
    return nlohmann::json{{"schema_version", 1}, {"experiment", "ci"}, {"run_id", "r"},
                          {"datasets", {{"scenes", {{"n_test", 10}, {"methods", m}}}}}};
  };
  write_file_atomic(dir / "b.json", report(methods).dump());
  write_file_atomic(dir / "c.json", report(nlohmann::json::object()).dump());
  const auto c = run_entcam("compare " + (dir / "b.json").string() + " " + (dir / "c.json").string());
  EXPECT_EQ(c.exit_code, 1) << c.out << c.err;
  EXPECT_NE(c.err.find("scenes/grad_cam/pointing_game"), std::string::npos) << c.err;
}

namespace {
cli::ExitReport report_of(const std::function<void()>& f, bool debug = false) {
  try {
    f();
  } catch (...) {
    return cli::report_exception(std::current_exception(), debug);
  }
  return {0, ""};
}
}  // namespace

TEST(Issue13Cli, OneErrorPathInternalErrorsExit3) {
  // a bug: exit 3, one line that says so, the rest only with --debug
  auto r = report_of([] { throw std::logic_error("vector::_M_range_check: __n (which is 7) >= this->size() (which is 3)"); });
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.text,
            "entcam: internal error (a bug, please report it): vector::_M_range_check: __n (which is 7) >= this->size() "
            "(which is 3)\nentcam: rerun with --debug for the full message\n");
  r = report_of([] { TORCH_CHECK(false, "Expected all tensors to be on the same device"); });
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(std::count(r.text.begin(), r.text.end(), '\n'), 2) << r.text;
  EXPECT_NE(r.text.find("internal error (a bug, please report it): Expected all tensors"), std::string::npos) << r.text;
  const auto debug = report_of([] { TORCH_CHECK(false, "Expected all tensors to be on the same device"); }, true);
  EXPECT_EQ(debug.code, 3);
  EXPECT_NE(debug.text.find("Exception raised from"), std::string::npos) << debug.text;  // LibTorch's trace
  // the user's input and environment: exit 2 naming the file
  r = report_of([] { throw file_error("x.npy", "truncated .npy data"); });
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.text, "entcam: error: x.npy: truncated .npy data\n");
  r = report_of([] { fs::create_directories("/proc/entcam-cannot-be-here"); });
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.text.rfind("entcam: error: /proc/entcam-cannot-be-here: ", 0), 0u) << r.text;
  r = report_of([] { throw CheckFailed("2 metric(s) regressed"); });
  EXPECT_EQ(r.code, 1);
}
