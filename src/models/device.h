#pragma once
// The device names every command and config accepts.
#include <torch/torch.h>

#include <string>

namespace entcam {

// "auto" (CUDA 0 when available, else CPU), "cpu", "cuda" or "cuda:N". InputError naming
// `what` (e.g. "--device" or "device") when the text is none of these or CUDA is missing.
torch::Device parse_device(const std::string& text, const std::string& what = "device");

}  // namespace entcam
