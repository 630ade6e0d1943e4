#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "support/test_support.h"

using namespace entcam;
namespace fs = std::filesystem;

// experiments/ci-regression.yaml against the committed baseline: the regression gate of CI.
TEST(CiRegression, RunMatchesTheCommittedBaselineAndADegradedMetricFails) {
  test::TempDir dir;
  const fs::path src = test::source_dir();
  auto r = test::run_entcam("-q run " + (src / "experiments/ci-regression.yaml").string() + " --run-id ci --data-root " +
                            (dir / "data").string() + " --set results=" + (dir / "results").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path candidate = dir / "results/ci-regression/ci/report.json";
  const fs::path baseline = src / "results/baselines/ci-regression.json";
  // Just over one of the 48 images (1/48 = 0.0208): another CPU's float rounding (or a layout
  // change such as channels-last) can break a near-tie at a map's maximum the other way and
  // move a pointing game by one image; that is not a regression.
  const std::string tolerance = " --tolerance 0.025";
  r = test::run_entcam("compare " + baseline.string() + " " + candidate.string() + tolerance);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  // Degrade one metric on purpose: the comparison must fail and name it.
  auto report = nlohmann::json::parse(read_file(candidate));
  auto& pg = report["datasets"]["fashion-scenes"]["methods"]["feature_entropy_cam"]["pointing_game"]["mean"];
  pg = pg.get<double>() - 0.2;
  write_file_atomic(dir / "degraded.json", report.dump());
  r = test::run_entcam("compare " + baseline.string() + " " + (dir / "degraded.json").string() + tolerance);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("feature_entropy_cam"), std::string::npos);
}
