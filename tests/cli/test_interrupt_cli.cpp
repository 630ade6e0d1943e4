#include <gtest/gtest.h>

#include "support/test_support.h"

using namespace entcam;
namespace fs = std::filesystem;

// Ctrl-C (SIGINT) stops a run between batches: exit 130, no report, no temp files.
TEST(RunCli, InterruptStopsCleanlyWithNothingHalfWritten) {
  test::TempDir dir;
  const fs::path src = test::source_dir();
  const std::string cmd = "timeout --preserve-status -s INT 0.5 " + std::string(ENTCAM_BINARY) + " -q run " +
                          (src / "experiments/ci-regression.yaml").string() + " --run-id stopped --data-root " +
                          (dir / "data").string() + " --set results=" + (dir / "results").string() +
                          " --set datasets.0.explain_images=0 >" + (dir / "out").string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_FALSE(fs::exists(dir / "results/ci-regression/stopped/report.json"));
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
}
