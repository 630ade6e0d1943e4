#pragma once
// What every fuzz target shares: an input either parses or throws InputError (a one-line
// message for the user). Anything else (another exception type, a crash, a sanitizer
// report, a hang) is a finding.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "core/error.h"

namespace entcam::fuzz {

template <class F>
void expect_parse_or_input_error(F&& f) {
  try {
    f();
  } catch (const InputError&) {
  }
}

// A scratch folder per fuzzing process, for parsers that read files.
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("entcam-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

}  // namespace entcam::fuzz
