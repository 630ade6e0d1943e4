// parse_npy: magic, version, the header dict, shape, dtype, data length.
#include "core/npy.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  entcam::fuzz::expect_parse_or_input_error(
      [&] { entcam::parse_npy(std::string(reinterpret_cast<const char*>(data), size), "f.npy"); });
  return 0;
}
