// load_manifest: a dataset manifest (YAML limits, keys, URLs, sizes, scenes options).
#include "core/fs.h"
#include "data/manifest.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = entcam::fuzz::scratch() / "manifest.yaml";
  entcam::write_file_atomic(file, std::string_view(reinterpret_cast<const char*>(data), size));
  entcam::fuzz::expect_parse_or_input_error([&] { entcam::load_manifest(file); });
  return 0;
}
