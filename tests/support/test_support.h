#pragma once
// Shared helpers for the test suites: temp folders, running the entcam binary.
#include <filesystem>
#include <functional>
#include <string>

namespace entcam::test {

// A fresh empty folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the built `entcam` binary with `args` (a shell-quoted string).
CommandResult run_entcam(const std::string& args);

std::filesystem::path source_dir();

// The message of the InputError `f` throws, or "no error".
std::string error_of(const std::function<void()>& f);

}  // namespace entcam::test
