// An experiment file: YAML limits (data/yaml_input), merge with origins, the resolved JSON.
// (Schema validation links the method and model tables, which need LibTorch: the
// runner tests cover it.)
#include "fuzz_common.h"
#include "runner/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  entcam::fuzz::expect_parse_or_input_error([&] {
    const entcam::Config c = entcam::Config::from_yaml(std::string(reinterpret_cast<const char*>(data), size), "exp.yaml");
    c.to_json().dump();
    c.origin("cam.entropy.bins").str();
  });
  return 0;
}
