#include "data/layouts.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "core/progress.h"
#include "data/annotations.h"

namespace entcam {
namespace fs = std::filesystem;

int64_t Dataset::box_count() const {
  int64_t n = 0;
  for (const auto& s : samples) n += int64_t(s.boxes.size());
  return n;
}

bool clip_box(Box& b, int width, int height) {
  b.xmin = std::max(b.xmin, 0);
  b.ymin = std::max(b.ymin, 0);
  b.xmax = std::min(b.xmax, width - 1);
  b.ymax = std::min(b.ymax, height - 1);
  return b.xmin <= b.xmax && b.ymin <= b.ymax;
}

static std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_image_file(const fs::path& p) {
  static const std::set<std::string> exts = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"};
  return exts.count(lower(p.extension().string())) > 0 && p.filename().string()[0] != '.';
}

std::string decode_image(const std::string& bytes, cv::Mat& bgr) {
  if (bytes.empty()) return "zero-size image";
  // libjpeg pads a truncated JPEG with grey and only warns: insist on the end-of-image
  // marker near the end (a little trailing data after it is tolerated).
  const auto u = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (bytes.size() >= 2 && u(0) == 0xFF && u(1) == 0xD8) {
    bool eoi = false;
    const size_t from = bytes.size() > 4096 ? bytes.size() - 4096 : 0;
    for (size_t i = bytes.size() - 1; i > from && !eoi; --i) eoi = u(i - 1) == 0xFF && u(i) == 0xD9;
    if (!eoi) return "truncated JPEG (no end-of-image marker)";
  }
  try {
    const cv::Mat buf(1, int(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    bgr = cv::imdecode(buf, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  } catch (const cv::Exception&) {
    // OpenCV asserts on images over its pixel limit (CV_IO_MAX_IMAGE_PIXELS, 2^30)
    return "cannot be decoded as an image (larger than OpenCV's pixel limit, or corrupt)";
  }
  if (bgr.empty()) return "cannot be decoded as an image (corrupt or unsupported format)";
  return "";
}

std::string check_image(const fs::path& p, int* width, int* height) {
  std::string bytes;
  try {
    bytes = read_file(p);
  } catch (const InputError&) {
    return "unreadable";
  }
  cv::Mat img;
  if (std::string why = decode_image(bytes, img); !why.empty()) return why;
  if (width) *width = img.cols;
  if (height) *height = img.rows;
  return "";
}

namespace {

// One image found by a layout, before validation.
struct Candidate {
  fs::path image;
  std::string klass;
  fs::path voc;   // optional VOC XML
  fs::path yolo;  // optional YOLO txt (class cx cy w h, normalised)
};

std::vector<fs::path> sorted_entries(const fs::path& dir, bool dirs) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename().string()[0] == '.') continue;  // our temp folders and hidden files
    if (dirs ? e.is_directory() : e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> images_under(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().filename().string()[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && is_image_file(it->path())) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The folder named `name` at most `depth` levels below root (archives often add a top folder).
fs::path find_dir(const fs::path& root, const std::string& name, int depth) {
  if (fs::is_directory(root / name)) return root / name;
  if (depth == 0) return {};
  for (const auto& d : sorted_entries(root, true))
    if (fs::path f = find_dir(d, name, depth - 1); !f.empty()) return f;
  return {};
}

std::vector<Candidate> stanford_dogs(const fs::path& root) {
  const fs::path images = find_dir(root, "Images", 2);
  if (images.empty()) throw file_error(root.string(), "no Images/ folder (expected the Stanford Dogs layout Images/<wnid>-<Breed>/)");
  fs::path annotations = images.parent_path() / "Annotation";
  if (!fs::is_directory(annotations)) annotations = find_dir(root, "Annotation", 2);
  std::vector<Candidate> out;
  for (const auto& class_dir : sorted_entries(images, true)) {
    const std::string klass = class_dir.filename().string();
    for (const auto& img : sorted_entries(class_dir, false)) {
      if (!is_image_file(img)) continue;
      Candidate c{img, klass, {}, {}};
      if (!annotations.empty()) {
        const fs::path a = annotations / klass / img.stem();
        if (fs::is_regular_file(a)) c.voc = a;
        else if (fs::is_regular_file(fs::path(a.string() + ".xml"))) c.voc = a.string() + ".xml";
      }
      out.push_back(c);
    }
  }
  return out;
}

// root/<Class>/<image> with an optional <stem>.xml beside each image.
void class_folders(const fs::path& dir, std::vector<Candidate>& out) {
  for (const auto& class_dir : sorted_entries(dir, true)) {
    for (const auto& img : images_under(class_dir)) {
      Candidate c{img, class_dir.filename().string(), {}, {}};
      fs::path xml = img;
      xml.replace_extension(".xml");
      if (fs::is_regular_file(xml)) c.voc = xml;
      out.push_back(c);
    }
  }
}

std::vector<Candidate> kaggle_fruits(const fs::path& root) {
  fs::path train = find_dir(root, "train", 3);
  if (train.empty()) train = find_dir(root, "Train", 3);
  if (train.empty()) throw file_error(root.string(), "no train/ folder (expected train/valid/test/<Class>/ folders)");
  std::vector<Candidate> out;
  for (const auto& split : sorted_entries(train.parent_path(), true)) class_folders(split, out);
  return out;
}

// Goldfish and other loosely structured sets: every image anywhere below root; its class
// is the nearest folder that is not a split or container name, else the dataset name;
// boxes from a VOC XML or a YOLO .txt with the same stem anywhere in the tree.
std::vector<Candidate> loose_images(const fs::path& root, const std::string& dataset_name) {
  static const std::set<std::string> generic = {"train", "training", "valid", "validation", "val", "test",
                                                "testing", "images", "image", "imgs", "img", "data", "dataset",
                                                "jpegimages", "all", "photos", "pictures"};
  std::map<std::string, fs::path> xml_by_stem, txt_by_stem;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file()) continue;
    const std::string ext = lower(it->path().extension().string());
    if (ext == ".xml") xml_by_stem.emplace(it->path().stem().string(), it->path());
    // YOLO labels live in a labels/ folder parallel to images/ (not README.txt and friends)
    else if (ext == ".txt" && it->path().string().find("label") != std::string::npos)
      txt_by_stem.emplace(it->path().stem().string(), it->path());
  }
  std::vector<Candidate> out;
  for (const auto& img : images_under(root)) {
    std::string klass;
    for (fs::path d = img.parent_path(); d != root && d.has_relative_path() && d != d.parent_path(); d = d.parent_path()) {
      if (!generic.count(lower(d.filename().string()))) {
        klass = d.filename().string();
        break;
      }
    }
    if (klass.empty()) klass = dataset_name;
    Candidate c{img, klass, {}, {}};
    const std::string stem = img.stem().string();
    if (auto x = xml_by_stem.find(stem); x != xml_by_stem.end()) c.voc = x->second;
    else if (auto t = txt_by_stem.find(stem); t != txt_by_stem.end()) c.yolo = t->second;
    out.push_back(c);
  }
  return out;
}

// What sits directly in a folder (hidden entries and __MACOSX left out; text files such as a
// README do not count).
struct Level {
  std::vector<fs::path> dirs;
  bool images = false, boxes = false;
};
Level list_level(const fs::path& dir) {
  Level l;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name[0] == '.' || name == "__MACOSX") continue;
    if (e.is_directory()) l.dirs.push_back(e.path());
    else if (is_image_file(e.path())) l.images = true;
    else if (name == "BOXES.json") l.boxes = true;
  }
  return l;
}

// `tar czf digits.tar.gz digits/` (or a folder holding one folder) puts everything under one
// top folder: that folder is the root, descending while a level holds exactly one folder and
// nothing else, and that folder holds folders rather than images (else it is a class folder).
fs::path content_root(const fs::path& root) {
  fs::path r = root;
  for (int depth = 0; depth < 8; ++depth) {
    const Level here = list_level(r);
    if (here.images || here.boxes || here.dirs.size() != 1) break;
    const Level below = list_level(here.dirs[0]);
    if (below.images || below.dirs.empty()) break;
    r = here.dirs[0];
  }
  return r;
}

// YOLO: one "class cx cy w h" line per object, normalised to [0,1].
std::vector<Box> read_yolo(const fs::path& p, int width, int height) {
  std::ifstream in(p);
  std::vector<Box> boxes;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    double k, cx, cy, w, h;
    if (std::sscanf(line.c_str(), "%lf %lf %lf %lf %lf", &k, &cx, &cy, &w, &h) != 5 || w < 0 || h < 0)
      throw file_error(p.string(), "line " + std::to_string(n) + ": expected 'class cx cy w h'");
    Box b;
    b.xmin = int(std::floor((cx - w / 2) * width));
    b.ymin = int(std::floor((cy - h / 2) * height));
    b.xmax = int(std::ceil((cx + w / 2) * width)) - 1;
    b.ymax = int(std::ceil((cy + h / 2) * height)) - 1;
    boxes.push_back(b);
  }
  return boxes;
}

struct Checked {
  bool ok = false;
  std::string warning;
  Sample sample;
};

}  // namespace

Dataset parse_dataset(const std::string& layout, const fs::path& top, const ParseOptions& options) {
  if (!fs::is_directory(top)) throw file_error(top.string(), "dataset folder not found");
  // stanford-dogs and kaggle-fruits look for their marker folders a few levels down already.
  const bool searches = layout == "stanford-dogs" || layout == "kaggle-fruits" || layout == "fashion-scenes";
  const fs::path root = searches ? top : content_root(top);
  std::vector<Candidate> cands;
  if (layout == "stanford-dogs") cands = stanford_dogs(root);
  else if (layout == "kaggle-fruits") cands = kaggle_fruits(root);
  else if (layout == "kaggle-goldfish") cands = loose_images(root, options.name);
  else if (layout == "image-folder" || layout == "fashion-scenes") {
    fs::path dir = root;
    if (layout == "fashion-scenes") dir = root / "scenes";
    class_folders(dir, cands);
  } else {
    throw InputError("layout '" + layout + "': expected stanford-dogs, image-folder, kaggle-fruits, kaggle-goldfish or fashion-scenes");
  }

  std::map<std::string, BoxesImage> extra;
  if (!options.extra_boxes.empty())
    for (auto& e : read_boxes_json(options.extra_boxes)) extra.emplace(e.id, e);
  // A BOXES.json at the dataset root (image-folder, fashion-scenes) counts as well.
  for (const fs::path& dir : {root, top})
    if (fs::is_regular_file(dir / "BOXES.json") && dir / "BOXES.json" != options.extra_boxes)
      for (auto& e : read_boxes_json(dir / "BOXES.json")) extra.emplace(e.id, e);

  std::vector<Checked> checked(cands.size());
  // every image is decoded once to catch corrupt files: a bar for the big datasets
  Progress progress("check " + options.name + " images", int64_t(cands.size()), "img");
  std::atomic<int64_t> done{0};
  std::mutex progress_mutex;
  tbb::parallel_for(size_t(0), cands.size(), [&](size_t i) {
    struct Tick {  // counts the image however the lambda returns
      std::atomic<int64_t>& done;
      std::mutex& m;
      Progress& p;
      ~Tick() {
        const int64_t n = ++done;
        if (m.try_lock()) {
          p.set(n);
          m.unlock();
        }
      }
    } tick{done, progress_mutex, progress};
    const Candidate& c = cands[i];
    Checked& r = checked[i];
    Sample& s = r.sample;
    s.path = c.image;
    fs::path rel = c.image.lexically_relative(root);
    s.id = (rel.parent_path() / rel.stem()).generic_string();
    if (const std::string why = check_image(c.image, &s.width, &s.height); !why.empty()) {
      r.warning = c.image.string() + ": " + why + "; skipped";
      return;
    }
    std::vector<Box> raw;
    try {
      if (!c.voc.empty())
        for (const auto& o : read_voc(c.voc).objects) raw.push_back(o.box);
      if (!c.yolo.empty()) raw = read_yolo(c.yolo, s.width, s.height);
    } catch (const std::exception& e) {
      r.warning = std::string(e.what()) + "; skipped (malformed annotation for " + c.image.string() + ")";
      return;
    }
    auto x = extra.find(s.id);
    if (x == extra.end()) x = extra.find(c.image.stem().string());
    if (x == extra.end()) x = extra.find(c.image.filename().string());
    if (x != extra.end()) {
      // BOXES.json boxes are given for a width x height image; rescale if the file differs
      const BoxesImage& e = x->second;
      const double sx = e.width > 0 ? double(s.width) / e.width : 1.0, sy = e.height > 0 ? double(s.height) / e.height : 1.0;
      for (Box b : e.boxes) {
        if (sx != 1.0 || sy != 1.0) {
          b.xmin = int(std::floor(b.xmin * sx));
          b.ymin = int(std::floor(b.ymin * sy));
          b.xmax = int(std::ceil((b.xmax + 1) * sx)) - 1;
          b.ymax = int(std::ceil((b.ymax + 1) * sy)) - 1;
        }
        raw.push_back(b);
      }
    }
    for (Box b : raw)
      if (clip_box(b, s.width, s.height)) s.boxes.push_back(b);
    r.ok = true;
  });

  progress.set(int64_t(cands.size()));
  progress.finish();
  Dataset ds;
  ds.name = options.name;
  ds.root = root;
  std::set<std::string> class_set;
  for (size_t i = 0; i < cands.size(); ++i)
    if (checked[i].ok) class_set.insert(cands[i].klass);
  ds.classes.assign(class_set.begin(), class_set.end());
  for (size_t i = 0; i < cands.size(); ++i) {
    if (!checked[i].ok) {
      ++ds.skipped;
      ds.warnings.push_back(checked[i].warning);
      std::fprintf(stderr, "entcam: warning: %s\n", checked[i].warning.c_str());
      continue;
    }
    Sample s = std::move(checked[i].sample);
    s.label = int(std::lower_bound(ds.classes.begin(), ds.classes.end(), cands[i].klass) - ds.classes.begin());
    ds.samples.push_back(std::move(s));
  }
  std::sort(ds.samples.begin(), ds.samples.end(), [](const Sample& a, const Sample& b) { return a.id < b.id; });
  return ds;
}

}  // namespace entcam
