// extract_archive: tar/zip/compressed input into a fresh folder; a finding is also any file
// that lands outside that folder (the sandbox holds only the archive and the target's
// parents, so an escape by a few levels shows up there).
#include <cstdio>

#include "core/fs.h"
#include "core/progress.h"
#include "data/archive.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  entcam::Progress::set_enabled(false);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  const fs::path sandbox = entcam::fuzz::scratch() / "sandbox", archive = sandbox / "in.archive",
                 target = sandbox / "d1/d2/d3/target";
  std::error_code ec;
  fs::remove_all(sandbox, ec);
  entcam::write_file_atomic(archive, std::string_view(reinterpret_cast<const char*>(data), size));
  entcam::fuzz::expect_parse_or_input_error([&] { entcam::extract_archive(archive, target); });
  for (auto it = fs::recursive_directory_iterator(sandbox); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path& p = it->path();
    if (p == target) {
      it.disable_recursion_pending();
      continue;
    }
    if (p == archive || p == sandbox / "d1" || p == sandbox / "d1/d2" || p == sandbox / "d1/d2/d3") continue;
    std::fprintf(stderr, "archive wrote outside its target: %s\n", p.c_str());
    std::abort();
  }
  fs::remove_all(sandbox, ec);
  return 0;
}
