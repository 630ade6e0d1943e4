#include "data/image_transform.h"

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace entcam {

cv::Mat read_rgb(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw file_error(path.string(), "image file does not exist");
  if (std::filesystem::file_size(path, ec) == 0) throw file_error(path.string(), "image file is empty");
  cv::Mat bgr;
  try {
    // EXIF orientation ignored, as PIL (timm) does and as the dataset parser does, so
    // pixel boxes stay in the file's own coordinates
    bgr = cv::imread(path.string(), cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  } catch (const cv::Exception& e) {
    throw file_error(path.string(), std::string("cannot decode image: ") + e.what());
  }
  if (bgr.empty()) throw file_error(path.string(), "cannot decode image (corrupt or unsupported format)");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

}  // namespace entcam
