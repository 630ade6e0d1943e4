#pragma once
// The device names every command and config accepts, and the CPU weight layout.
#include <torch/torch.h>

#include <string>

namespace entcam {

// "auto" (CUDA 0 when available, else CPU), "cpu", "cuda" or "cuda:N". InputError naming
// `what` (e.g. "--device" or "device") when the text is none of these or CUDA is missing.
torch::Device parse_device(const std::string& text, const std::string& what = "device");

// Stores every 4-D parameter (the convolution weights) of `net` channels-last, in place:
// oneDNN then runs channels-last inputs on the CPU without reordering weights at each call.
void make_weights_channels_last(torch::nn::Module& net);

}  // namespace entcam
