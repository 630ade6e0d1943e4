#pragma once
// Image decoding and the evaluation transform of timm's legacy_xception
// (resize the shorter side to floor(size / crop_pct), centre-crop size x size,
// x = (rgb / 255 - mean) / std).
#include <torch/torch.h>

#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace entcam {

struct EvalTransform {
  int64_t size = 299;
  double crop_pct = 0.8975;
  std::vector<double> mean{0.5, 0.5, 0.5};
  std::vector<double> std{0.5, 0.5, 0.5};
  int interpolation = 2;  // cv::INTER_CUBIC (timm: bicubic)
};

// Reads an image as 8-bit RGB. Throws InputError naming the file when it is missing,
// empty or not a decodable image.
cv::Mat read_rgb(const std::filesystem::path& path);

// Resize + centre crop (uint8 RGB out), as torchvision's Resize(int) then CenterCrop.
cv::Mat resize_center_crop(const cv::Mat& rgb, const EvalTransform& t);

// uint8 RGB [H,W,3] -> normalised float32 tensor [3,H,W].
torch::Tensor to_normalized_tensor(const cv::Mat& rgb, const std::vector<double>& mean, const std::vector<double>& std);

}  // namespace entcam
