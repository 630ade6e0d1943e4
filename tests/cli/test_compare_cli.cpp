// `entcam compare` through the binary: its three exit codes (docs/spec.md §4).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "support/test_support.h"

namespace entcam {
namespace {

using nlohmann::json;

json report(double pg, double del, const std::string& experiment = "ci", const std::string& dataset = "scenes") {
  json methods = {{"grad_cam",
                   {{"pointing_game", {{"n", 10}, {"mean", pg}, {"ci95", {pg - 0.1, pg + 0.1}}}},
                    {"deletion_auc", {{"n", 10}, {"mean", del}, {"ci95", {del - 0.05, del + 0.05}}}}}}};
  return {{"schema_version", 1},
          {"experiment", experiment},
          {"run_id", "r1"},
          {"datasets", {{dataset, {{"n_test", 10}, {"methods", methods}}}}}};
}

struct Files {
  test::TempDir dir;
  std::string base, cand;
  Files(const json& b, const json& c) {
    base = (dir / "baseline.json").string();
    cand = (dir / "candidate.json").string();
    write_file_atomic(base, b.dump());
    write_file_atomic(cand, c.dump());
  }
  test::CommandResult run(const std::string& extra = "") { return test::run_entcam("compare " + base + " " + cand + " " + extra); }
};

TEST(CompareCli, NoRegressionExits0) {
  Files f(report(0.60, 0.30), report(0.65, 0.25));  // both better
  const auto r = f.run();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pointing_game"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 regressed"), std::string::npos) << r.out;
}

TEST(CompareCli, WrongWayMoveExits1AndListsIt) {
  // deletion_auc is lower-is-better: 0.30 -> 0.40 is a regression; pointing game improved.
  Files f(report(0.60, 0.30), report(0.70, 0.40));
  const auto r = f.run();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("scenes/grad_cam/deletion_auc"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("pointing_game"), std::string::npos) << r.err;
  // Higher-is-better metric dropping.
  Files g(report(0.60, 0.30), report(0.50, 0.30));
  const auto r2 = g.run("--json");
  EXPECT_EQ(r2.exit_code, 1);
  const json j = json::parse(r2.out);
  ASSERT_EQ(j["regressions"].size(), 1u);
  EXPECT_EQ(j["regressions"][0]["metric"], "pointing_game");
  EXPECT_NEAR(j["regressions"][0]["diff"].get<double>(), -0.1, 1e-12);
}

TEST(CompareCli, ToleranceAbsorbsSmallMoves) {
  Files f(report(0.60, 0.30), report(0.58, 0.31));
  EXPECT_EQ(f.run().exit_code, 1);
  EXPECT_EQ(f.run("--tolerance 0.05").exit_code, 0);
  EXPECT_EQ(f.run("--tolerance 0.015").exit_code, 1);  // 0.02 drop is beyond it
}

TEST(CompareCli, IncomparableFilesExit2NamingTheFile) {
  {
    json c = report(0.6, 0.3);
    c["schema_version"] = 2;
    Files f(report(0.6, 0.3), c);
    const auto r = f.run();
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("candidate.json"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("schema_version"), std::string::npos) << r.err;
  }
  {
    Files f(report(0.6, 0.3), report(0.6, 0.3, "other-experiment"));
    const auto r = f.run();
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("experiment"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("candidate.json"), std::string::npos) << r.err;
  }
  {
    Files f(report(0.6, 0.3), report(0.6, 0.3, "ci", "dogs"));
    const auto r = f.run();
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("datasets"), std::string::npos) << r.err;
  }
  {
    Files f(report(0.6, 0.3), report(0.6, 0.3));
    write_file_atomic(f.base, "{\"schema_version\": 1,");
    const auto r = f.run();
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("baseline.json"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("JSON"), std::string::npos) << r.err;
  }
  {
    json b = report(0.6, 0.3);
    b.erase("schema_version");
    Files f(b, report(0.6, 0.3));
    const auto r = f.run();
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("baseline.json"), std::string::npos) << r.err;
  }
  EXPECT_EQ(test::run_entcam("compare /nonexistent/a.json /nonexistent/b.json").exit_code, 2);
}

}  // namespace
}  // namespace entcam
