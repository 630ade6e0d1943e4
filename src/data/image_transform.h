#pragma once
// Image decoding shared by the loader and explain/predict. The transforms themselves
// (timm's eval transform, training augmentation) are in data/loader.h.
#include <filesystem>
#include <opencv2/core.hpp>

namespace entcam {

// Reads an image as 8-bit RGB. Throws InputError naming the file when it is missing,
// empty or not a decodable image.
cv::Mat read_rgb(const std::filesystem::path& path);

}  // namespace entcam
