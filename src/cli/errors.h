#pragma once
// The one error path of the `entcam` binary (docs/spec.md §1): what reaches main becomes an exit
// code and the text for stderr.
#include <exception>
#include <string>

namespace entcam::cli {

// docs/spec.md §1's exit codes beyond core/error.h's 0/1/2 (kept here, where the one error path
// is: every library layer only ever throws).
enum : int { kExitInternal = 3, kExitInterrupted = 130 };

struct ExitReport {
  int code;
  std::string text;  // for stderr, ends with a newline
};

// InputError -> 2 "entcam: error: ...", CheckFailed -> 1, Interrupted -> 130, an OS refusal
// with a path (std::filesystem::filesystem_error) -> 2 naming the path, anything else -> 3
// "entcam: internal error (a bug, please report it): <first line>"; `debug` keeps the whole
// message (LibTorch's with its stack trace).
ExitReport report_exception(std::exception_ptr error, bool debug);

}  // namespace entcam::cli
