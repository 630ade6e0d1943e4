#pragma once
// The parsed form every dataset layout ends in: image files with a class and boxes.
// Boxes are 0-based inclusive pixel boxes in the image's own coordinates (docs/spec.md §1, §3b).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace entcam {

struct Box {
  int xmin = 0, ymin = 0, xmax = 0, ymax = 0;  // inclusive corners
  bool difficult = false;
  bool operator==(const Box& o) const {
    return xmin == o.xmin && ymin == o.ymin && xmax == o.xmax && ymax == o.ymax && difficult == o.difficult;
  }
};

struct Sample {
  std::string id;    // stable identifier: the path relative to the dataset root, without extension
  std::filesystem::path path;  // absolute image path
  int label = -1;    // index into Dataset::classes
  int width = 0, height = 0;
  std::vector<Box> boxes;  // may be empty: metrics that need boxes skip such images
};

struct Dataset {
  std::string name;
  std::filesystem::path root;        // the folder the layout was parsed from
  std::vector<std::string> classes;  // sorted, index = label
  std::vector<Sample> samples;       // sorted by id
  int64_t skipped = 0;               // unreadable images + malformed annotations
  std::vector<std::string> warnings; // one line per skipped file (also printed to stderr)

  int64_t box_count() const;
};

// Clips a box to a width x height image; returns false when nothing is left.
bool clip_box(Box& b, int width, int height);

}  // namespace entcam
