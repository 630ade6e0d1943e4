#include "data/prepare.h"

#include <unistd.h>

#include <cstdio>

#include "core/error.h"
#include "core/fs.h"
#include "data/archive.h"
#include "data/download.h"
#include "data/fashion_scenes.h"
#include "data/layouts.h"

namespace entcam {
namespace fs = std::filesystem;

namespace {

// Extracts (or copies, for a plain file) one verified download into data_dir, unless the
// marker says this exact file was extracted already.
void unpack(const fs::path& file, const std::string& sha, const fs::path& dir, const fs::path& data_dir) {
  const fs::path marker = data_dir / ".entcam-extracted" / (file.filename().string() + ".sha256");
  std::error_code ec;
  if (fs::is_regular_file(marker, ec) && read_file(marker) == sha + "\n") return;
  const fs::path tmp = dir / (".tmp-extract-" + file.filename().string() + "-" + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  try {
    std::fprintf(stderr, "entcam: extracting %s\n", file.filename().c_str());
    if (!extract_archive(file, tmp)) {
      fs::create_directories(tmp);
      fs::copy_file(file, tmp / file.filename());
    }
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  // complete: move each top-level entry into place (replacing an older copy of it)
  fs::create_directories(data_dir);
  for (const auto& e : fs::directory_iterator(tmp)) {
    const fs::path dest = data_dir / e.path().filename();
    fs::remove_all(dest, ec);
    fs::rename(e.path(), dest);
  }
  fs::remove_all(tmp, ec);
  write_file_atomic(marker, sha + "\n");
}

}  // namespace

PreparedDataset prepare_dataset(const Manifest& m, const fs::path& root) {
  PreparedDataset p;
  p.manifest = m;
  p.dir = root / m.name;
  p.data_dir = p.dir / "data";
  if (m.layout == "fashion-scenes") {
    materialise_scenes(m.scenes, p.data_dir);
  }
  if (!m.files.empty()) {
    const DownloadOptions opts = download_options_from_env(m);
    for (const auto& f : m.files) {
      const std::string sha = fetch_file(f, p.dir / "downloads", opts);
      unpack(p.dir / "downloads" / f.name, sha, p.dir, p.data_dir);
    }
  }
  if (!m.boxes.empty() && !fs::is_regular_file(m.boxes))
    throw file_error(m.source.string(), "boxes: " + m.boxes.string() + " not found (expected a BOXES.json file)");
  ParseOptions po;
  po.name = m.name;
  po.extra_boxes = m.boxes;
  p.dataset = parse_dataset(m.layout, p.data_dir, po);
  if (p.dataset.samples.empty())
    throw file_error(p.data_dir.string(), "no usable images found for layout '" + m.layout + "'");
  return p;
}

}  // namespace entcam
