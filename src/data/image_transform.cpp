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

cv::Mat resize_center_crop(const cv::Mat& rgb, const EvalTransform& t) {
  const int scale = static_cast<int>(std::floor(double(t.size) / t.crop_pct));
  const int h = rgb.rows, w = rgb.cols;
  int nh, nw;
  if (w <= h) {
    nw = scale;
    nh = static_cast<int>(double(scale) * h / w);
  } else {
    nh = scale;
    nw = static_cast<int>(double(scale) * w / h);
  }
  cv::Mat resized;
  cv::resize(rgb, resized, cv::Size(nw, nh), 0, 0, t.interpolation);
  // torchvision CenterCrop uses Python's round(): half to even (72.5 -> 72), which
  // std::nearbyint gives in the default rounding mode; std::round would give 73
  const int top = static_cast<int>(std::nearbyint((nh - t.size) / 2.0));
  const int left = static_cast<int>(std::nearbyint((nw - t.size) / 2.0));
  return resized(cv::Rect(left, top, static_cast<int>(t.size), static_cast<int>(t.size))).clone();
}

torch::Tensor to_normalized_tensor(const cv::Mat& rgb, const std::vector<double>& mean, const std::vector<double>& std) {
  cv::Mat f;
  rgb.convertTo(f, CV_32FC3, 1.0 / 255.0);
  auto t = torch::from_blob(f.data, {f.rows, f.cols, 3}, torch::kFloat32).permute({2, 0, 1}).clone();
  for (int c = 0; c < 3; ++c) t[c].sub_(mean[c]).div_(std[c]);
  return t;
}

}  // namespace entcam
