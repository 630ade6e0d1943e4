#pragma once
// The PNG overlay of `entcam explain --image`: the map upsampled to the image,
// min-max normalised, colour-mapped (JET) and blended over the image.
#include <torch/torch.h>

#include <filesystem>
#include <opencv2/core.hpp>

namespace entcam {

cv::Mat overlay_map(const cv::Mat& rgb, const torch::Tensor& map, double alpha = 0.5);
void write_rgb_png(const std::filesystem::path& path, const cv::Mat& rgb);  // atomic

}  // namespace entcam
