// parse_voc: the small XML reader and the VOC fields.
#include "data/annotations.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  entcam::fuzz::expect_parse_or_input_error(
      [&] { entcam::parse_voc(std::string(reinterpret_cast<const char*>(data), size), "a.xml"); });
  return 0;
}
