#pragma once
// Error types and the exit codes of docs/spec.md §1: 0 success, 1 a checked condition failed,
// 2 bad usage or bad input.
#include <stdexcept>
#include <string>

namespace entcam {

enum ExitCode : int { kExitOk = 0, kExitCheckFailed = 1, kExitBadInput = 2 };

// Bad usage or bad input: a file, key or argument that is not what was expected.
// The message names the offending thing and what was expected.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A checked condition failed (a regression found, a metric bar missed).
class CheckFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "<file>: <what>" — the form every file error takes.
inline InputError file_error(const std::string& path, const std::string& what) {
  return InputError(path + ": " + what);
}

}  // namespace entcam
