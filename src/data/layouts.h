#pragma once
// Parsers from an extracted dataset folder to a Dataset (images, classes, boxes).
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>

#include "data/dataset.h"

namespace entcam {

struct ParseOptions {
  std::string name;                   // dataset name (also the class of a single-class folder)
  std::filesystem::path extra_boxes;  // optional BOXES.json adding boxes to any layout
};

// layout: stanford-dogs | image-folder | kaggle-fruits | kaggle-goldfish | fashion-scenes.
// Bad images and malformed annotations are skipped with a warning on stderr naming the
// file and counted in Dataset::skipped; they never stop the parse.
// Content under one single top folder (an archive packed as `tar czf x.tgz x/`) is read as if
// that folder were the root; Dataset::root is the folder actually read, ids are relative to it.
Dataset parse_dataset(const std::string& layout, const std::filesystem::path& root, const ParseOptions& options);

bool is_image_file(const std::filesystem::path& p);

// Reads and decodes one image (OpenCV, BGR, EXIF orientation ignored so that pixel boxes
// stay in the file's own coordinates). Returns an empty string on success, else the reason
// it is unusable: zero-size, unreadable, truncated JPEG, cannot be decoded.
std::string check_image(const std::filesystem::path& p, int* width, int* height);

// The one rule for image files, shared by the dataset parser (check_image) and
// explain/predict (read_rgb): decodes `bytes` (BGR, EXIF orientation ignored) into `bgr` and
// returns "", or the reason it cannot be used (empty, truncated JPEG, undecodable, over
// OpenCV's pixel limit).
std::string decode_image(const std::string& bytes, cv::Mat& bgr);

}  // namespace entcam
