#pragma once
// Box sources: Pascal VOC XML files (Stanford Dogs' Annotation/ files, image-folder
// datasets) and the BOXES.json of docs/spec.md.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace entcam {

struct VocObject {
  std::string name;
  Box box;  // as written in the file (read as 0-based; see docs/spec.md §3b), not yet clipped
};

struct VocAnnotation {
  std::string filename;
  int width = 0, height = 0;  // 0 when the file has no <size>
  std::vector<VocObject> objects;
};

// Parses VOC XML text. Throws InputError naming `origin` on malformed XML, a missing
// <bndbox> coordinate or a non-numeric value.
VocAnnotation parse_voc(const std::string& xml, const std::string& origin);
VocAnnotation read_voc(const std::filesystem::path& path);

// One image of docs/spec.md §1's BOXES.json.
struct BoxesImage {
  std::string id;
  int width = 0, height = 0;
  std::vector<Box> boxes;
  int cls = -1;  // -1: no class given
};

// The one BOXES.json parser (datasets' extra boxes and `entcam score`): {"images": [{"id",
// "width", "height", "boxes": [[x0,y0,x1,y1],...], "class"?}]}, ids unique, boxes of 4
// integers inside the image. Anything else throws InputError naming `name`, the key and what
// was expected. Callers that need images or boxes (score) check for empty lists themselves.
std::vector<BoxesImage> parse_boxes_json(const std::string& text, const std::string& name);
std::vector<BoxesImage> read_boxes_json(const std::filesystem::path& path);

// Writes BOXES.json (docs/spec.md §1) for the given samples (all when `indices` is empty), atomically:
// id = sample id, the image's own width/height, its boxes and its class.
void write_boxes_json(const Dataset& ds, const std::vector<size_t>& indices, const std::filesystem::path& path);

}  // namespace entcam
