// configs/defaults.yaml is the one place every experiment default lives: entcam finds it
// beside its binary (or through ENTCAM_DEFAULTS) or refuses to run, and a defaults file
// without a key is an error naming the key, never a silent value from the C++ side.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/fs.h"
#include "support/test_support.h"

using namespace entcam;
namespace fs = std::filesystem;

namespace {

test::CommandResult run_binary(const fs::path& binary, const std::string& env, const std::string& args, const fs::path& tmp) {
  const std::string cmd = env + " " + binary.string() + " " + args + " >" + (tmp / "out").string() + " 2>" +
                          (tmp / "err").string() + " </dev/null";
  const int status = std::system(cmd.c_str());
  test::CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(tmp / "out");
  r.err = read_file(tmp / "err");
  return r;
}

}  // namespace

TEST(Defaults, ABinaryWithoutItsDefaultsFileRefusesToRun) {
  test::TempDir dir;
  fs::copy_file(ENTCAM_BINARY, dir / "entcam");  // no configs/ beside it or above /tmp
  const std::string experiment = (test::source_dir() / "experiments/ci-regression.yaml").string();
  auto r = run_binary(dir / "entcam", "env -u ENTCAM_DEFAULTS", "-q run " + experiment + " --dry-run", dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("configs/defaults.yaml: not found beside the entcam binary"), std::string::npos) << r.err;

  // With ENTCAM_DEFAULTS pointing at the shipped file it runs.
  const std::string shipped = (test::source_dir() / "configs/defaults.yaml").string();
  r = run_binary(dir / "entcam", "ENTCAM_DEFAULTS=" + shipped, "-q run " + experiment + " --dry-run", dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Defaults, AKeyMissingFromTheDefaultsIsNamed) {
  test::TempDir dir;
  std::string text = read_file(test::source_dir() / "configs/defaults.yaml");
  const auto at = text.find("\n  layer: ");  // cam.layer
  ASSERT_NE(at, std::string::npos);
  text.erase(at + 1, text.find('\n', at + 1) - at);
  write_file_atomic(dir / "defaults.yaml", text);
  fs::create_directories(dir / "exp");
  write_file_atomic(dir / "exp/e.yaml", "experiment: e\ndatasets:\n  - name: fashion-scenes\n");
  auto r = run_binary(ENTCAM_BINARY, "ENTCAM_DEFAULTS=" + (dir / "defaults.yaml").string(),
                      "-q run " + (dir / "exp/e.yaml").string() + " --dry-run", dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("cam.layer: no value, and configs/defaults.yaml gives none"), std::string::npos) << r.err;
}
