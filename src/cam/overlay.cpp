#include "cam/overlay.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/fs.h"

namespace entcam {

cv::Mat overlay_map(const cv::Mat& rgb, const torch::Tensor& map, double alpha) {
  auto m = map.to(torch::kCPU, torch::kFloat32).contiguous();
  cv::Mat small(static_cast<int>(m.size(0)), static_cast<int>(m.size(1)), CV_32F, m.data_ptr<float>());
  cv::Mat up;
  cv::resize(small, up, rgb.size(), 0, 0, cv::INTER_LINEAR);
  double lo, hi;
  cv::minMaxLoc(up, &lo, &hi);
  cv::Mat u8;
  if (hi > lo) up.convertTo(u8, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
  else u8 = cv::Mat::zeros(up.size(), CV_8U);
  cv::Mat heat_bgr, heat;
  cv::applyColorMap(u8, heat_bgr, cv::COLORMAP_JET);
  cv::cvtColor(heat_bgr, heat, cv::COLOR_BGR2RGB);
  cv::Mat out;
  cv::addWeighted(rgb, 1.0 - alpha, heat, alpha, 0.0, out);
  return out;
}

void write_rgb_png(const std::filesystem::path& path, const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uchar> bytes;
  if (!cv::imencode(".png", bgr, bytes)) throw file_error(path.string(), "PNG encoding failed");
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace entcam
