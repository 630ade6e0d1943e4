#include "models/device.h"

#include "core/error.h"
#include "models/threads.h"

namespace entcam {

torch::Device parse_device(const std::string& text, const std::string& what) {
  if (text == "cpu") return torch::kCPU;
  if (text == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available())
      throw InputError(what + " '" + text + "': CUDA is not available in this build or on this machine (use cpu or auto)");
    int64_t index = 0;
    if (text.size() > 5) {
      size_t used = 0;
      try {
        index = std::stoll(text.substr(5), &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != text.size() - 5 || index < 0)
        throw InputError(what + " '" + text + "': expected cuda:N with a whole number N");
    }
    if (index >= static_cast<int64_t>(torch::cuda::device_count()))
      throw InputError(what + " '" + text + "': there are " + std::to_string(torch::cuda::device_count()) +
                       " CUDA devices");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw InputError(what + " '" + text + "': expected auto, cpu, cuda or cuda:N");
}

void make_weights_channels_last(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& p : net.parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
}

void set_torch_threads(int threads) {
  if (threads > 0) torch::set_num_threads(threads);
}

}  // namespace entcam
