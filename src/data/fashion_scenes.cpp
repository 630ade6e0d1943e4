#include "data/fashion_scenes.h"

#include <tbb/parallel_for.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "data/split.h"

namespace entcam {
namespace fs = std::filesystem;

const std::array<const char*, 10> kFashionClasses = {"tshirt-top", "trouser", "pullover", "dress",   "coat",
                                                     "sandal",     "shirt",   "sneaker",  "bag",     "ankle-boot"};

namespace {

std::string gunzip(const fs::path& p) {
  if (!fs::is_regular_file(p))
    throw file_error(p.string(), "not found (Fashion-MNIST comes with the Debian package dataset-fashion-mnist: "
                                 "sudo apt-get install dataset-fashion-mnist, or set ENTCAM_FASHION_MNIST=DIR)");
  gzFile f = gzopen(p.c_str(), "rb");
  if (!f) throw file_error(p.string(), "cannot open");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  int err = 0;
  const char* msg = gzerror(f, &err);
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    throw file_error(p.string(), std::string("corrupt gzip data: ") + (msg ? msg : "unknown error"));
  return out;
}

uint32_t be32(const std::string& s, size_t at) {
  return uint32_t(uint8_t(s[at])) << 24 | uint32_t(uint8_t(s[at + 1])) << 16 | uint32_t(uint8_t(s[at + 2])) << 8 |
         uint32_t(uint8_t(s[at + 3]));
}

// Random colour gradient background (dark, so items stand out) and an item tint.
cv::Vec3f random_colour(SplitMix64& r, double lo, double hi) {
  return {float(r.uniform(lo, hi)), float(r.uniform(lo, hi)), float(r.uniform(lo, hi))};
}

cv::Mat item_image(const IdxImages& src, int idx, int side) {
  cv::Mat m(src.rows, src.cols, CV_8U, const_cast<uint8_t*>(&src.pixels[size_t(idx) * size_t(src.rows * src.cols)]));
  cv::Mat out;
  cv::resize(m, out, cv::Size(side, side), 0, 0, side >= src.cols ? cv::INTER_LINEAR : cv::INTER_AREA);
  return out;
}

constexpr int kVisible = 48;  // an item pixel counts as visible (and owns the pixel) at this intensity

}  // namespace

fs::path fashion_mnist_dir() {
  const char* e = std::getenv("ENTCAM_FASHION_MNIST");
  return e && *e ? fs::path(e) : fs::path("/usr/share/datasets/fashion-mnist");
}

IdxImages read_fashion_mnist(const fs::path& dir, const std::string& split) {
  if (!fs::is_directory(dir))
    throw file_error(dir.string(), "Fashion-MNIST not found: install the Debian package dataset-fashion-mnist "
                                   "(sudo apt-get install dataset-fashion-mnist) or set ENTCAM_FASHION_MNIST=DIR");
  const std::string prefix = split == "test" ? "t10k" : "train";
  const fs::path ip = dir / (prefix + "-images-idx3-ubyte.gz"), lp = dir / (prefix + "-labels-idx1-ubyte.gz");
  const std::string images = gunzip(ip), labels = gunzip(lp);
  if (images.size() < 16 || be32(images, 0) != 0x00000803)
    throw file_error(ip.string(), "not an IDX image file (expected magic 0x00000803: unsigned bytes, 3 dimensions)");
  if (labels.size() < 8 || be32(labels, 0) != 0x00000801)
    throw file_error(lp.string(), "not an IDX label file (expected magic 0x00000801: unsigned bytes, 1 dimension)");
  IdxImages d;
  d.count = int(be32(images, 4));
  d.rows = int(be32(images, 8));
  d.cols = int(be32(images, 12));
  if (d.rows != 28 || d.cols != 28 || d.count <= 0)
    throw file_error(ip.string(), "expected N x 28 x 28 images, header says " + std::to_string(d.count) + " x " +
                                      std::to_string(d.rows) + " x " + std::to_string(d.cols));
  if (images.size() != 16 + size_t(d.count) * 28 * 28)
    throw file_error(ip.string(), "size " + std::to_string(images.size()) + " bytes does not match its header (" +
                                      std::to_string(16 + size_t(d.count) * 784) + " expected)");
  if (int(be32(labels, 4)) != d.count || labels.size() != 8 + size_t(d.count))
    throw file_error(lp.string(), "expected " + std::to_string(d.count) + " labels to match " + ip.string());
  d.pixels.assign(images.begin() + 16, images.end());
  d.labels.assign(labels.begin() + 8, labels.end());
  for (uint8_t l : d.labels)
    if (l > 9) throw file_error(lp.string(), "label " + std::to_string(l) + " out of range (expected 0-9)");
  return d;
}

std::vector<int> scene_classes(const SceneOptions& o) {
  std::vector<int> out;
  if (o.classes.empty()) {
    for (int k = 0; k < 10; ++k) out.push_back(k);
    return out;
  }
  for (const auto& name : o.classes) {
    int found = -1;
    std::string n;
    for (char c : name) n += char(std::tolower(static_cast<unsigned char>(c)));
    for (int k = 0; k < 10; ++k)
      if (n == kFashionClasses[size_t(k)] || n == std::to_string(k)) found = k;
    if (found < 0) {
      std::string all;
      for (auto* c : kFashionClasses) all += std::string(all.empty() ? "" : ", ") + c;
      throw InputError("scenes.classes: '" + name + "' is not a Fashion-MNIST class (expected one of " + all +
                       ", or 0-9)");
    }
    if (std::find(out.begin(), out.end(), found) != out.end())
      throw InputError("scenes.classes: '" + name + "' is listed twice");
    out.push_back(found);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Scene render_scene(const IdxImages& src, const SceneOptions& o, int index) {
  const std::vector<int> classes = scene_classes(o);
  // per-class pools of source images (cheap next to rendering)
  std::array<std::vector<int>, 10> pools;
  for (int i = 0; i < src.count; ++i) pools[src.labels[size_t(i)]].push_back(i);
  SplitMix64 rng(mix_seed(o.seed, uint64_t(index)));
  Scene s;
  s.label = index % int(classes.size());  // balanced classes
  const int klass = classes[size_t(s.label)];
  const int W = o.canvas;

  // background: vertical or horizontal gradient between two dark colours
  cv::Mat3f canvas(W, W);
  const cv::Vec3f c0 = random_colour(rng, 0.0, 0.3), c1 = random_colour(rng, 0.0, 0.3);
  const bool vertical = rng.below(2) == 0;
  for (int y = 0; y < W; ++y)
    for (int x = 0; x < W; ++x) {
      const float t = float(vertical ? y : x) / float(W - 1);
      canvas(y, x) = c0 * (1 - t) + c1 * t;
    }
  s.owner = cv::Mat(W, W, CV_32S, cv::Scalar(-1));

  const auto paint = [&](const cv::Mat& item, int x0, int y0, const cv::Vec3f& tint, int owner_id) {
    for (int y = 0; y < item.rows; ++y)
      for (int x = 0; x < item.cols; ++x) {
        const int v = item.at<uint8_t>(y, x);
        if (v == 0) continue;
        const float a = float(v) / 255.f;
        cv::Vec3f& p = canvas(y0 + y, x0 + x);
        p = p * (1 - a) + tint * a;
        if (v >= kVisible) s.owner.at<int>(y0 + y, x0 + x) = owner_id;
      }
  };

  // clutter under the items: fragments (a quarter to half of the side) of other classes
  const int n_clutter = o.clutter > 0 ? rng.integer(0, o.clutter) : 0;
  for (int c = 0; c < n_clutter; ++c) {
    int other = rng.integer(0, 8);
    if (other >= klass) ++other;  // any class but the scene's
    const auto& pool = pools[size_t(other)];
    const int side = rng.integer(o.min_scale, o.max_scale);
    cv::Mat full = item_image(src, pool[size_t(rng.below(pool.size()))], side);
    const int fw = rng.integer(std::max(4, side / 4), std::max(4, side / 2));
    const int fh = rng.integer(std::max(4, side / 4), std::max(4, side / 2));
    const int fx = rng.integer(0, side - fw), fy = rng.integer(0, side - fh);
    cv::Mat frag = full(cv::Rect(fx, fy, fw, fh)).clone();
    paint(frag, rng.integer(0, W - fw), rng.integer(0, W - fh), random_colour(rng, 0.35, 0.8), -1);
  }
  const int n_items = rng.integer(o.min_items, o.max_items);
  std::vector<cv::Rect> placed;
  const auto& pool = pools[size_t(klass)];
  for (int i = 0; i < n_items; ++i) {
    const int side = rng.integer(o.min_scale, o.max_scale);
    cv::Mat item = item_image(src, pool[size_t(rng.below(pool.size()))], side);
    // a few tries for a spot that does not bury an earlier item (overlap stays possible)
    cv::Rect best;
    double best_overlap = 2.0;
    for (int t = 0; t < 8; ++t) {
      const cv::Rect r(rng.integer(0, W - side), rng.integer(0, W - side), side, side);
      double overlap = 0;
      for (const auto& p : placed) overlap = std::max(overlap, double((r & p).area()) / double(std::min(r.area(), p.area())));
      if (overlap < best_overlap) best_overlap = overlap, best = r;
    }
    placed.push_back(best);
    paint(item, best.x, best.y, random_colour(rng, 0.55, 1.0), i);
  }

  // boxes: tight boxes of the pixels each item still owns
  std::vector<Box> boxes(size_t(n_items), Box{W, W, -1, -1, false});
  for (int y = 0; y < W; ++y)
    for (int x = 0; x < W; ++x) {
      const int id = s.owner.at<int>(y, x);
      if (id < 0) continue;
      Box& b = boxes[size_t(id)];
      b.xmin = std::min(b.xmin, x), b.ymin = std::min(b.ymin, y);
      b.xmax = std::max(b.xmax, x), b.ymax = std::max(b.ymax, y);
    }
  for (const Box& b : boxes)
    if (b.xmax >= 0) s.boxes.push_back(b);

  canvas.convertTo(s.rgb, CV_8UC3, 255.0);
  return s;
}

static nlohmann::json scene_params(const SceneOptions& o) {
  return {{"version", 1},         {"count", o.count},         {"canvas", o.canvas},
          {"min_items", o.min_items}, {"max_items", o.max_items}, {"min_scale", o.min_scale},
          {"max_scale", o.max_scale}, {"clutter", o.clutter},     {"seed", o.seed},
          {"classes", scene_classes(o)}};
}

std::string scenes_fingerprint(const SceneOptions& o) { return sha256_hex(scene_params(o).dump()).substr(0, 12); }

void materialise_scenes(const SceneOptions& o, const fs::path& data_dir) {
  const std::vector<int> classes = scene_classes(o);
  const nlohmann::json params = scene_params(o);
  const fs::path marker = data_dir / ".entcam-scenes.json";
  std::error_code ec;
  if (fs::is_regular_file(marker, ec)) {
    try {
      if (nlohmann::json::parse(read_file(marker)) == params) return;  // already there
    } catch (const std::exception&) {
    }
  }
  const IdxImages src = read_fashion_mnist(fashion_mnist_dir());
  const fs::path tmp = data_dir.parent_path() / (".tmp-scenes-" + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  for (int k : classes) fs::create_directories(tmp / "scenes" / kFashionClasses[size_t(k)]);
  // the dataset's class index is the position of the folder name in sorted order
  std::vector<std::string> sorted_names;
  for (int k : classes) sorted_names.push_back(kFashionClasses[size_t(k)]);
  std::sort(sorted_names.begin(), sorted_names.end());
  std::vector<nlohmann::json> entries(size_t(o.count));
  tbb::parallel_for(0, o.count, [&](int i) {
    const Scene s = render_scene(src, o, i);
    char stem[32];
    std::snprintf(stem, sizeof stem, "%05d", i);
    const std::string cls = kFashionClasses[size_t(classes[size_t(s.label)])];
    cv::Mat bgr;
    cv::cvtColor(s.rgb, bgr, cv::COLOR_RGB2BGR);
    const fs::path file = tmp / "scenes" / cls / (std::string(stem) + ".png");
    if (!cv::imwrite(file.string(), bgr)) throw file_error(file.string(), "cannot write scene image");
    nlohmann::json boxes = nlohmann::json::array();
    for (const Box& b : s.boxes) boxes.push_back({b.xmin, b.ymin, b.xmax, b.ymax});
    entries[size_t(i)] = {{"id", "scenes/" + cls + "/" + stem}, {"width", o.canvas}, {"height", o.canvas},
                          {"boxes", boxes},
                          {"class", std::lower_bound(sorted_names.begin(), sorted_names.end(), cls) - sorted_names.begin()}};
  });
  write_file_atomic(tmp / "BOXES.json", nlohmann::json{{"images", entries}}.dump() + "\n");
  write_file_atomic(tmp / ".entcam-scenes.json", params.dump() + "\n");
  fs::remove_all(data_dir, ec);
  fs::create_directories(data_dir.parent_path());
  fs::rename(tmp, data_dir);
}

}  // namespace entcam
