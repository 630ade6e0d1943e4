#include "data/image_transform.h"

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "data/layouts.h"

namespace entcam {

cv::Mat read_rgb(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw file_error(path.string(), "image file does not exist");
  // EXIF orientation ignored, as PIL (timm) does and as the dataset parser does, so pixel
  // boxes stay in the file's own coordinates
  cv::Mat bgr;
  if (const std::string why = decode_image(read_file(path), bgr); !why.empty()) throw file_error(path.string(), why);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

}  // namespace entcam
