#pragma once
// The offline default dataset: scenes composed from Debian's Fashion-MNIST
// (package dataset-fashion-mnist, /usr/share/datasets/fashion-mnist, gzipped IDX).
//
// Each scene is an RGB canvas with 1-4 items of ONE class (the multi-instance case CAMs
// struggle with) at random positions and scales over a random gradient background, under
// them optional clutter fragments cut from items of other classes. Boxes are the tight
// boxes of each item's visible pixels after occlusion by later items. Everything follows
// from the seed. Scenes are materialised once as PNG files + BOXES.json in the cache
// (scenes/<class>/<nnnnn>.png), so they go through the same parse/split/load path as
// every downloaded dataset.
#include <array>
#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/manifest.h"

namespace entcam {

// Folder-safe Fashion-MNIST class names, index = IDX label.
extern const std::array<const char*, 10> kFashionClasses;

struct IdxImages {
  int count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols
  std::vector<uint8_t> labels;  // count
};

// $ENTCAM_FASHION_MNIST, else /usr/share/datasets/fashion-mnist.
std::filesystem::path fashion_mnist_dir();

// Reads <dir>/train-images-idx3-ubyte.gz + train-labels-idx1-ubyte.gz (zlib); validates
// magic numbers and sizes. A missing folder names the Debian package to install.
IdxImages read_fashion_mnist(const std::filesystem::path& dir, const std::string& split = "train");

struct Scene {
  cv::Mat rgb;              // CV_8UC3, RGB order
  int label = 0;            // index into the options' class list
  std::vector<Box> boxes;   // one per visible item
  cv::Mat owner;            // CV_32S: item index per pixel, -1 for background and clutter
};

// Class indices (0-9) selected by the options (names or digits); all ten when empty.
std::vector<int> scene_classes(const SceneOptions& o);

// Renders scene `index` (deterministic from o.seed and index).
Scene render_scene(const IdxImages& src, const SceneOptions& o, int index);

// A short hex fingerprint of everything that shapes the scenes (options + renderer version):
// scenes rendered with other options live in another folder, so concurrent runs with
// different options never replace each other's images.
std::string scenes_fingerprint(const SceneOptions& o);

// Writes all scenes into `data_dir` (scenes/<class>/<n>.png, BOXES.json) unless a previous
// run already wrote them with the same options. Built in a temp folder, moved into place.
void materialise_scenes(const SceneOptions& o, const std::filesystem::path& data_dir);

}  // namespace entcam
