#pragma once
// From a manifest to a parsed dataset: download + verify each file into the cache,
// extract archives, (or render fashion-scenes), then parse the layout.
//
// Cache layout under the root (`--root`, $ENTCAM_DATA or <repo>/datasets/cache):
//   <root>/<name>/downloads/<file>          verified downloads (+ <file>.sha256 when the
//                                           manifest has no checksum: recorded on first download)
//   <root>/<name>/data/                     extracted content, what the layout parser reads
//   <root>/<name>/data/.entcam-extracted/   one marker per archive: the sha256 it was extracted from
//   <root>/<name>/data-<fingerprint>/       fashion-scenes: one folder per scene options
//   <root>/<name>/<data folder>.index.json  the parse result, reused while nothing above changed
//   <root>/<name>/.lock                     flock: one entcam process at a time prepares a dataset
#include <filesystem>
#include <string>

#include "data/dataset.h"
#include "data/manifest.h"

namespace entcam {

struct PreparedDataset {
  Manifest manifest;
  std::filesystem::path dir;       // <root>/<name>
  std::filesystem::path data_dir;  // <root>/<name>/data
  Dataset dataset;
};

PreparedDataset prepare_dataset(const Manifest& manifest, const std::filesystem::path& root);

}  // namespace entcam
