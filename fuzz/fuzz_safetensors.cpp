// SafeTensorsFile::parse: header length, JSON header, dtypes, offsets; then every tensor read.
#include "core/safetensors.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  entcam::fuzz::expect_parse_or_input_error([&] {
    const auto f = entcam::SafeTensorsFile::parse(std::string(reinterpret_cast<const char*>(data), size), "f.safetensors");
    for (const auto& [key, info] : f.tensors())
      if (info.numel() < (1 << 20)) f.read_f32(key);
  });
  return 0;
}
