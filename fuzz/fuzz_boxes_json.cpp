// parse_boxes_json: docs/spec.md §1 BOXES.json, the one parser of datasets and `score`.
#include "data/annotations.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  entcam::fuzz::expect_parse_or_input_error(
      [&] { entcam::parse_boxes_json(std::string(reinterpret_cast<const char*>(data), size), "BOXES.json"); });
  return 0;
}
