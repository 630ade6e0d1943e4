#include "data/prepare.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "data/archive.h"
#include "data/download.h"
#include "data/fashion_scenes.h"
#include "data/layouts.h"

namespace entcam {
namespace fs = std::filesystem;

namespace {

// Moves `src` to `dest`; where both are folders their contents are merged, a file
// replaces what was there.
void merge_move(const fs::path& src, const fs::path& dest) {
  std::error_code ec;
  if (fs::is_directory(src) && fs::is_directory(dest) && !fs::is_symlink(dest)) {
    for (const auto& e : fs::directory_iterator(src)) merge_move(e.path(), dest / e.path().filename());
    fs::remove(src, ec);
    return;
  }
  if (fs::exists(fs::symlink_status(dest))) fs::remove_all(dest, ec);
  fs::rename(src, dest);
}

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
  // complete: move it into place, merging folders (archives split in parts share them)
  fs::create_directories(data_dir);
  for (const auto& e : fs::directory_iterator(tmp)) merge_move(e.path(), data_dir / e.path().filename());
  fs::remove_all(tmp, ec);
  write_file_atomic(marker, sha + "\n");
}

// Serialises concurrent entcam processes (shards of one run, two terminals) working on the
// same dataset folder: downloads, extraction and scene rendering are not shared-safe.
class DirLock {
 public:
  explicit DirLock(const fs::path& dir) {
    fs::create_directories(dir);
    const fs::path p = dir / ".lock";
    fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw file_error(p.string(), "cannot create lock file");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      std::fprintf(stderr, "entcam: waiting for another entcam process using %s\n", dir.c_str());
      ::flock(fd_, LOCK_EX);
    }
  }
  ~DirLock() { ::close(fd_); }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

constexpr int kIndexVersion = 2;  // 2: content under one top folder is read from that folder

// A folder given by `path:` is read in place; its index is keyed by what is in it (names,
// sizes, modification times), so an edit to the folder is noticed without re-decoding
// every image on each run.
std::string folder_fingerprint(const fs::path& dir) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec)) continue;
    const auto mtime = fs::last_write_time(it->path(), ec).time_since_epoch().count();
    lines.push_back(it->path().lexically_relative(dir).generic_string() + "\t" + std::to_string(it->file_size(ec)) +
                    "\t" + std::to_string(mtime));
  }
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  return sha256_hex(all);
}

// What the parse depends on: the layout, what was extracted or rendered (their markers),
// and the extra boxes file. Equal keys mean the index can stand in for a fresh parse,
// which for Stanford Dogs saves decoding 20k JPEGs on every run.
std::string index_key(const Manifest& m, const fs::path& data_dir) {
  std::string key = "v" + std::to_string(kIndexVersion) + "|" + m.layout + "|";
  std::error_code ec;
  std::vector<fs::path> markers;
  for (const auto& e : fs::directory_iterator(data_dir / ".entcam-extracted", ec)) markers.push_back(e.path());
  std::sort(markers.begin(), markers.end());
  for (const auto& p : markers) key += p.filename().string() + "=" + read_file(p);
  if (fs::is_regular_file(data_dir / ".entcam-scenes.json", ec)) key += read_file(data_dir / ".entcam-scenes.json");
  if (!m.boxes.empty()) key += "|boxes=" + sha256_file(m.boxes);
  if (!m.path.empty()) key += "|path=" + data_dir.string() + "=" + folder_fingerprint(data_dir);
  return sha256_hex(key);
}

void write_index(const Dataset& ds, const fs::path& data_dir, const fs::path& file, const std::string& key) {
  nlohmann::json samples = nlohmann::json::array();
  for (const Sample& s : ds.samples) {
    nlohmann::json boxes = nlohmann::json::array();
    for (const Box& b : s.boxes) boxes.push_back({b.xmin, b.ymin, b.xmax, b.ymax, b.difficult ? 1 : 0});
    samples.push_back({{"id", s.id}, {"file", s.path.lexically_relative(data_dir).generic_string()}, {"label", s.label},
                       {"width", s.width}, {"height", s.height}, {"boxes", boxes}});
  }
  const nlohmann::json j = {{"key", key},           {"name", ds.name},         {"classes", ds.classes},
                            {"skipped", ds.skipped}, {"warnings", ds.warnings}, {"samples", samples}};
  write_file_atomic(file, j.dump() + "\n");
}

// The cached parse, or nullopt when it is missing, stale or unreadable (then we re-parse).
std::optional<Dataset> read_index(const fs::path& data_dir, const fs::path& file, const std::string& key) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(read_file(file));
    if (j.at("key") != key) return std::nullopt;
    Dataset ds;
    ds.name = j.at("name");
    ds.root = data_dir;
    ds.classes = j.at("classes").get<std::vector<std::string>>();
    ds.skipped = j.at("skipped");
    ds.warnings = j.at("warnings").get<std::vector<std::string>>();
    for (const auto& e : j.at("samples")) {
      Sample s;
      s.id = e.at("id");
      s.path = data_dir / e.at("file").get<std::string>();
      s.label = e.at("label");
      s.width = e.at("width");
      s.height = e.at("height");
      for (const auto& b : e.at("boxes")) s.boxes.push_back({b.at(0), b.at(1), b.at(2), b.at(3), b.at(4) == 1});
      ds.samples.push_back(std::move(s));
    }
    for (const auto& w : ds.warnings) std::fprintf(stderr, "entcam: warning: %s\n", w.c_str());
    return ds;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

PreparedDataset prepare_dataset(const Manifest& m, const fs::path& root) {
  PreparedDataset p;
  p.manifest = m;
  p.dir = root / m.name;
  p.data_dir = p.dir / "data";
  DirLock lock(p.dir);
  if (!m.path.empty()) {
    std::error_code ec;
    if (!fs::is_directory(m.path, ec))
      throw file_error(m.source.string(), "path: " + m.path.string() + " is not a folder (expected the dataset's folder, "
                                          "relative to the manifest's folder or absolute)");
    p.data_dir = fs::canonical(m.path);
  }
  if (m.layout == "fashion-scenes") {
    p.data_dir = p.dir / ("data-" + scenes_fingerprint(m.scenes));
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
  const std::string key = index_key(m, p.data_dir);
  // (a `path:` folder gets its index in the cache, never inside the user's folder)
  const fs::path index =
      p.dir / (m.path.empty() ? p.data_dir.filename().string() + ".index.json"
                              : "path-" + sha256_hex(p.data_dir.string()).substr(0, 12) + ".index.json");
  if (auto cached = read_index(p.data_dir, index, key)) {
    p.dataset = std::move(*cached);
  } else {
    ParseOptions po;
    po.name = m.name;
    po.extra_boxes = m.boxes;
    p.dataset = parse_dataset(m.layout, p.data_dir, po);
    write_index(p.dataset, p.data_dir, index, key);
  }
  if (p.dataset.samples.empty())
    throw file_error(p.data_dir.string(), "no usable images found for layout '" + m.layout + "'");
  return p;
}

}  // namespace entcam
