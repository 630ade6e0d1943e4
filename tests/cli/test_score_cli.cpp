// `entcam score` end to end through the binary, against the reference fixture made by
// tests/fixtures/score/make_reference.py (an independent numpy/OpenCV re-implementation of
// wsolevaluation's BoxEvaluator and TorchRay's pointing game).
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "core/npy.h"
#include "support/test_support.h"

namespace entcam {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path fixture() { return test::source_dir() / "tests/fixtures/score"; }

json expected() { return json::parse(read_file(fixture() / "expected.json")); }

json score_json(const std::string& extra = "") {
  const auto r = test::run_entcam("score --maps " + (fixture() / "maps").string() + " --boxes " +
                                  (fixture() / "boxes.json").string() + " --json " + extra);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

TEST(ScoreCli, MatchesWsolevaluationAndTorchRay) {
  const json e = expected();
  const json s = score_json();
  EXPECT_EQ(s["n_images"], 24);
  EXPECT_NEAR(s["metrics"]["max_box_acc"].get<double>(), e["max_box_acc"].get<double>(), 1e-6);
  EXPECT_NEAR(s["metrics"]["max_box_acc_v2"].get<double>(), e["max_box_acc_v2"].get<double>(), 1e-6);
  EXPECT_NEAR(s["metrics"]["pointing_game"].get<double>(), e["pointing_game_tol15"].get<double>(), 1e-12);
  EXPECT_NEAR(s["metrics"]["pointing_game_class_mean"].get<double>(), e["pointing_game_class_mean_tol15"].get<double>(),
              1e-12);
  ASSERT_EQ(s["per_image"].size(), 24u);
  for (size_t i = 0; i < 24; ++i) {
    const json& row = s["per_image"][i];
    char id[8];
    std::snprintf(id, sizeof id, "img%02zu", i);
    EXPECT_EQ(row["id"], id);
    EXPECT_NEAR(row["box_iou"].get<double>(), e["box_iou"][i].get<double>(), 1e-12) << id;
    EXPECT_EQ(row["pointing_game"].get<double>(), e["pointing_hits_tol15"][i].get<int>()) << id;
    for (const char* k : {"energy_pointing_game", "box_acc", "max_box_acc", "max_box_acc_v2", "instance_recall",
                          "all_instances_hit"})
      EXPECT_TRUE(row.contains(k)) << k;
  }
}

TEST(ScoreCli, ToleranceOption) {
  const json e = expected();
  for (int tol : {3, 0}) {
    const json s = score_json("--tolerance " + std::to_string(tol));
    const std::string k = "_tol" + std::to_string(tol);
    EXPECT_NEAR(s["metrics"]["pointing_game"].get<double>(), e["pointing_game" + k].get<double>(), 1e-12) << tol;
    EXPECT_NEAR(s["metrics"]["pointing_game_class_mean"].get<double>(), e["pointing_game_class_mean" + k].get<double>(),
                1e-12);
  }
}

TEST(ScoreCli, HumanReadableTable) {
  const auto r = test::run_entcam("score --maps " + (fixture() / "maps").string() + " --boxes " +
                                  (fixture() / "boxes.json").string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("24 images"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("max_box_acc_v2"), std::string::npos);
  EXPECT_NE(r.out.find("pointing_game"), std::string::npos);
}

// A small hand-made case: one 6x4 image, a map at half resolution, no class.
struct Small {
  test::TempDir dir;
  Small() {
    fs::create_directories(dir / "maps");
    const float m[] = {0, 0, 1, 0, 0, 0};  // 2x3, the peak at column 2, row 0
    write_npy(dir / "maps/x.npy", {2, 3}, m);
    write_file_atomic(dir / "boxes.json", R"({"images": [{"id": "x", "width": 6, "height": 4, "boxes": [[3, 0, 5, 1]]}]})");
  }
  test::CommandResult run() {
    return test::run_entcam("score --maps " + (dir / "maps").string() + " --boxes " + (dir / "boxes.json").string() +
                            " --json");
  }
};

TEST(ScoreCli, SmallMapIsResizedAndNoClassMeansNoClassMean) {
  Small s;
  const auto r = s.run();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_FALSE(j["metrics"].contains("pointing_game_class_mean"));
  // Upsampled 2x: the peak lands on the 2x2 block x 4..5, y 0..1 minus interpolation; the
  // argmax lies inside [3,0,5,1].
  EXPECT_EQ(j["metrics"]["pointing_game"].get<double>(), 1.0);
  EXPECT_GT(j["metrics"]["energy_pointing_game"].get<double>(), 0.5);
}

TEST(ScoreCli, MissingMapExits2NamingTheFile) {
  Small s;
  fs::remove(s.dir / "maps/x.npy");
  const auto r = s.run();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("x.npy"), std::string::npos) << r.err;
}

TEST(ScoreCli, NaNMapExits2NamingTheFile) {
  Small s;
  const float m[] = {0, std::numeric_limits<float>::quiet_NaN(), 1, 0, 0, 0};
  write_npy(s.dir / "maps/x.npy", {2, 3}, m);
  const auto r = s.run();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("x.npy"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("non-finite"), std::string::npos) << r.err;
}

TEST(ScoreCli, MalformedBoxesExit2NamingFileAndKey) {
  Small s;
  const std::pair<const char*, const char*> cases[] = {
      {"{not json", "not valid JSON"},
      {R"({"pictures": []})", "\"images\""},
      {R"({"images": [{"id": "x", "width": 6, "height": 4, "boxes": [[3, 0, 5]]}]})", "images[0].boxes[0]"},
      {R"({"images": [{"id": "x", "width": 6, "height": 4, "boxes": [[5, 0, 3, 1]]}]})", "images[0].boxes[0]"},
      {R"({"images": [{"id": "x", "width": -6, "height": 4, "boxes": [[3, 0, 5, 1]]}]})", "images[0].width"},
      {R"({"images": [{"id": "x", "width": 6, "height": 4, "boxes": [[3, 0, 5, 1]], "class": "dog"}]})",
       "images[0].class"},
  };
  for (const auto& [text, key] : cases) {
    write_file_atomic(s.dir / "boxes.json", text);
    const auto r = s.run();
    EXPECT_EQ(r.exit_code, 2) << text;
    EXPECT_NE(r.err.find("boxes.json"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(key), std::string::npos) << r.err;
  }
}

TEST(ScoreCli, MissingArgumentsExit2) {
  EXPECT_EQ(test::run_entcam("score --maps /nonexistent").exit_code, 2);
}

}  // namespace
}  // namespace entcam
