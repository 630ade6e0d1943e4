#pragma once
// Box sources: Pascal VOC XML files (Stanford Dogs' Annotation/ files, image-folder
// datasets) and SPEC's BOXES.json.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace entcam {

struct VocObject {
  std::string name;
  Box box;  // as written in the file (read as 0-based; see SPEC §3b), not yet clipped
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

struct BoxesEntry {
  int width = 0, height = 0;
  int klass = -1;  // -1: not given
  std::vector<Box> boxes;
};

// SPEC §1 BOXES.json, keyed by image id. Throws InputError naming the file and the entry.
std::map<std::string, BoxesEntry> read_boxes_json(const std::filesystem::path& path);

// Writes SPEC BOXES.json for the given samples (all when `indices` is empty), atomically:
// id = sample id, the image's own width/height, its boxes and its class.
void write_boxes_json(const Dataset& ds, const std::vector<size_t>& indices, const std::filesystem::path& path);

}  // namespace entcam
