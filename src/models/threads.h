#pragma once
// LibTorch's intra-op thread count, without LibTorch's headers (the command-line entry point
// includes this; <torch/torch.h> would triple its compile time).

namespace entcam {

// torch::set_num_threads(threads) when threads > 0; otherwise LibTorch's default stays.
void set_torch_threads(int threads);

}  // namespace entcam
