#pragma once
// Moving module parameters and buffers to and from safetensors files by name.
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/safetensors.h"

namespace entcam {

struct LoadReport {
  std::vector<std::string> skipped;  // keys whose shapes differed but were allowed to (e.g. a new classifier)
};

// Copies every parameter and buffer of `module` from `file`. Missing, unexpected and
// wrong-shaped keys are all reported by name in one InputError. `num_batches_tracked`
// may be present or absent. Keys starting with a prefix in `reinit_on_mismatch`
// (e.g. "fc.") keep their initial values when their shape differs, and are listed.
LoadReport load_state(torch::nn::Module& module, const SafeTensorsFile& file,
                      const std::vector<std::string>& reinit_on_mismatch = {});

// Writes every parameter and buffer (float32, CPU; `num_batches_tracked` left out) atomically.
void save_state(const torch::nn::Module& module, const std::filesystem::path& path,
                const std::map<std::string, std::string>& metadata);

// Sets `out` to the integer metadata value `entcam.<key>` when present (InputError naming
// `file` when it is not an integer); leaves it unchanged when absent.
void read_metadata_int(const std::map<std::string, std::string>& meta, const std::string& key,
                       const std::string& file, int64_t& out);

// Tensors by name, as float32 CPU tensors of their stored shapes.
torch::Tensor tensor_from(const SafeTensorsFile& file, const std::string& key);

}  // namespace entcam
