#pragma once
// Parsers from an extracted dataset folder to a Dataset (images, classes, boxes).
#include <filesystem>
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
Dataset parse_dataset(const std::string& layout, const std::filesystem::path& root, const ParseOptions& options);

bool is_image_file(const std::filesystem::path& p);

// Reads and decodes one image (OpenCV, BGR, EXIF orientation ignored so that pixel boxes
// stay in the file's own coordinates). Returns an empty string on success, else the reason
// it is unusable: zero-size, unreadable, truncated JPEG, cannot be decoded.
std::string check_image(const std::filesystem::path& p, int* width, int* height);

}  // namespace entcam
